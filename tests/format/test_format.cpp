// Format parameters: compile-time traits, run-time validation with clear messages, policies.
#include <catch2/catch.hpp>

#include <anda/format/format.hpp>

using namespace anda;

static_assert(Anda<64, 4>::planes == 5 && Anda<64, 4>::plane_bytes == 8);
static_assert(Anda<256, 13>::group_bytes == 14 * 32);
static_assert(Anda<8, 16>::max_magnitude == 0xFFFF && Anda<8, 1>::max_magnitude == 1);
static_assert(Anda<64, 7>::ideal_bits_per_element == 8 + 5.0 / 64);

TEST_CASE("runtime format validates G and M with a message naming the problem", "[format]") {
  CHECK_THROWS_WITH(format(48, 4), Catch::Contains("G = 48") && Catch::Contains("8, 16"));
  CHECK_THROWS_WITH(format(64, 0), Catch::Contains("M = 0") && Catch::Contains("1..16"));
  CHECK_THROWS_WITH(format(64, 17), Catch::Contains("M = 17"));
  CHECK_THROWS_AS(format(0, 4), format_error);
  CHECK_THROWS_AS(format(512, 4), format_error);
  for (int g : {8, 16, 32, 64, 128, 256}) {
    for (int m = 1; m <= 16; ++m) {
      const format f{g, m};
      CHECK(f.planes() == m + 1);
      CHECK(f.group_bytes() == std::size_t((m + 1) * g / 8));
      CHECK(f.bits_per_element() == Approx(m + 1 + 8.0 / g).epsilon(0));
      CHECK(f.round() == rounding::truncate);
      CHECK(f.nonfinite_policy() == nonfinite::reject);
    }
  }
  CHECK(format::of<64, 7>(rounding::nearest_even) == format(64, 7, rounding::nearest_even));
  CHECK(format(64, 7).with_mantissa(4) == format(64, 4));
  CHECK_THROWS_AS(format(64, 7).with_mantissa(0), format_error);
}

TEST_CASE("policy names parse and print", "[format]") {
  for (auto r : all_roundings) CHECK(parse_rounding(to_string(r)) == r);
  for (auto n : {nonfinite::reject, nonfinite::propagate})
    CHECK(parse_nonfinite(to_string(n)) == n);
  CHECK_FALSE(parse_rounding("nearest").has_value());
  CHECK_FALSE(parse_nonfinite("ignore").has_value());
}
