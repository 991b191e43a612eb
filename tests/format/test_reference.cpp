// The reference encoder on realistic data (against exact rationals), the edge cases of
// docs/format.md, and the properties of its section 2.
#include <catch2/catch.hpp>

#include <anda/format/reference.hpp>

#include "encode_helpers.hpp"
#include "generators.hpp"

using namespace anda;
using namespace anda::test;

namespace {

std::uint16_t h(float x) {
  return fp16::from_float(x).bits();
}

// Decodes one group given as floats (each exactly an FP16 value).
std::vector<float> one_group(const format& fmt, std::initializer_list<float> xs) {
  std::vector<std::uint16_t> bits;
  for (float x : xs) bits.push_back(h(x));
  return round_trip(fmt, bits, 1, bits.size());
}

}  // namespace

TEST_CASE("LLM-like rows match the exact rational oracle", "[reference]") {
  const std::size_t rows = 6, cols = 256;
  const auto bits = llm_activations(rows, cols, 11);
  for (int G : {16, 64, 256}) {
    for (int M : {1, 3, 4, 7, 8, 11, 13, 16}) {
      for (auto round : all_roundings) {
        const format fmt{G, M, round};
        const auto out = round_trip(fmt, bits, rows, cols);
        for (std::size_t r = 0; r < rows; ++r) {
          for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t g0 = c / G * G;
            const auto group = std::span(bits).subspan(r * cols + g0, G);
            const auto want = rational_decode(group, c - g0, M, round);
            if (boost::multiprecision::cpp_rational(out[r * cols + c]) == want) continue;
            INFO("G " << G << " M " << M << " " << to_string(round) << " at " << r << "," << c);
            REQUIRE(boost::multiprecision::cpp_rational(out[r * cols + c]) == want);
          }
        }
      }
    }
  }
}

TEST_CASE("edge cases: zeros, -0, subnormals, +-65504", "[reference]") {
  SECTION("+0 and -0 keep their signs, all-zero groups have E = 0") {
    const std::vector<std::uint16_t> bits = {0x0000, 0x8000, 0x8000, 0x0000, 0, 0, 0, 0};
    const auto t = encode(format{8, 4}, bits.data(), 1, 8, 8);
    CHECK(t.exponent(0, 0) == 0);
    std::vector<std::uint16_t> out(8);
    t.decode_to(out.data(), 8);
    CHECK(out == bits);
  }
  SECTION("a negative element that truncates to 0 decodes to -0") {
    const auto out = one_group(format{8, 2}, {1.0f, -0.125f});
    CHECK(out[1] == 0.0f);
    CHECK(std::signbit(out[1]));
  }
  SECTION("subnormal-only groups keep E = 1 and vanish below 2^(-14 - (M - 1))") {
    const std::vector<std::uint16_t> bits = {0x03FF, 0x0001, 0x8200, 0x0010, 0, 0, 0, 0};
    const auto t = encode(format{8, 4}, bits.data(), 1, 8, 8);
    CHECK(t.exponent(0, 0) == 1);
    const auto out = round_trip(format{8, 4}, bits, 1, 8);
    CHECK(out[0] == 0x1.cp-15f);  // 0x03FF = 1023 * 2^-24 -> floor(1023 / 2^7) = 7 steps of 2^-17
    CHECK(out[1] == 0.0f);        // 2^-24 is below the grid step 2^-17
    CHECK(out[2] == -0x1p-15f);   // -512 * 2^-24
    const auto exact = round_trip(format{8, 11}, bits, 1, 8);
    for (int i = 0; i < 4; ++i) CHECK(exact[i] == fp16::from_bits(bits[i]).to_float());
  }
  SECTION("+-65504 are exact at M = 11 and give E = 30") {
    const std::vector<std::uint16_t> bits = {0x7BFF, 0xFBFF, h(1.0f), h(-3.5f)};
    const auto t = encode(format{8, 11}, bits.data(), 1, 4, 4);
    CHECK(t.exponent(0, 0) == 30);
    const auto out = round_trip(format{8, 11}, bits, 1, 4);
    CHECK(out[0] == 65504.0f);
    CHECK(out[1] == -65504.0f);
    CHECK(out[2] == 0.0f);  // 1.0 is 15 binades below: needs M >= 26
    CHECK(round_trip(format{8, 4}, bits, 1, 4)[0] == 61440.0f);  // 1111 -> 1.111b * 2^15
  }
}

TEST_CASE("rounding ties and saturation", "[reference]") {
  // Group max 1.0 (E = 15), M = 2: grid step 0.5.
  // 0.75 -> a = 1.5 (tie), 0.25 -> a = 0.5 (tie), 1.25 -> a = 2.5 (tie).
  const float xs[] = {1.0f, 0.75f, 0.25f, 1.25f, -0.75f};
  auto decode = [&](rounding r) {
    return one_group(format{8, 2, r}, {xs[0], xs[1], xs[2], xs[3], xs[4]});
  };
  CHECK(decode(rounding::truncate) == std::vector<float>{1.0f, 0.5f, 0.0f, 1.0f, -0.5f});
  CHECK(decode(rounding::nearest_even) == std::vector<float>{1.0f, 1.0f, 0.0f, 1.0f, -1.0f});
  CHECK(decode(rounding::nearest_away) == std::vector<float>{1.0f, 1.0f, 0.5f, 1.5f, -1.0f});
  // 1.9995 (0x3FFF) at M = 4: a = 2047 / 128 = 15.99 rounds to 16 and saturates at 15.
  for (auto r : {rounding::nearest_even, rounding::nearest_away}) {
    const auto out =
        one_group(format{8, 4, r}, {fp16::from_bits(0x3FFF).to_float(), -1.9990234375f});
    CHECK(out[0] == 1.875f);
    CHECK(out[1] == -1.875f);
    CHECK(reference::rounded_magnitude(fp16::from_bits(0x3FFF), 15, 4, r) == 16);
  }
  CHECK(one_group(format{8, 4}, {fp16::from_bits(0x3FFF).to_float()})[0] == 1.875f);
}

TEST_CASE("all-equal and one-outlier groups", "[reference]") {
  for (std::uint16_t b : {std::uint16_t(0x3C00), std::uint16_t(0x3FFF), std::uint16_t(0xC155),
                          std::uint16_t(0x0155), std::uint16_t(0x7BFF)}) {
    const std::vector<std::uint16_t> bits(64, b);
    for (int M = 1; M <= 16; ++M) {
      for (auto round : all_roundings) {
        const auto out = round_trip(format{64, M, round}, bits, 1, 64);
        const float x = fp16::from_bits(b).to_float();
        for (float v : out) {
          if (M >= 11) REQUIRE(v == x);  // exact
          REQUIRE(v == out[0]);          // every element the same
        }
      }
    }
  }
  // One outlier 2^10 above a group of ones: 1.0 is a grid point for M >= 11 and is shifted out
  // (a = 2^(M - 11) < 1) for M <= 10.
  std::vector<std::uint16_t> bits(64, h(1.0f));
  bits[5] = h(1024.0f);
  CHECK(round_trip(format{64, 11}, bits, 1, 64)[0] == 1.0f);  // d = 10 < M: 1.0 is a grid point
  CHECK(round_trip(format{64, 10}, bits, 1, 64)[0] == 0.0f);  // d = 10 >= M: shifted out
  CHECK(round_trip(format{64, 10}, bits, 1, 64)[5] == 1024.0f);
  CHECK(oracle_mismatches(format{64, 6}, bits, 1, 64, round_trip(format{64, 6}, bits, 1, 64)) == 0);
}

TEST_CASE("non-finite inputs: reject names row and group, propagate decodes to NaN",
          "[reference]") {
  std::vector<std::uint16_t> bits(3 * 100, h(0.5f));
  bits[2 * 100 + 70] = 0x7C00;  // +Inf in row 2, group 1 (G = 64), column 70
  bits[2 * 100 + 90] = 0x7E00;  // NaN later in the same row
  try {
    (void)encode(format{64, 4}, bits.data(), 3, 100, 100);
    FAIL("no error");
  } catch (const nonfinite_error& e) {
    CHECK(e.row() == 2);
    CHECK(e.group() == 1);
    CHECK(e.column() == 70);
    CHECK_THAT(e.what(), Catch::Contains("row 2") && Catch::Contains("group 1"));
  }
  const format propagate{64, 4, rounding::truncate, nonfinite::propagate};
  const auto t = encode(propagate, bits.data(), 3, 100, 100);
  CHECK(t.exponent(2, 1) == reference::nonfinite_exponent);
  CHECK(t.exponent(2, 0) == 14);
  const Eigen::MatrixXf y = t.decode_float();
  for (int c = 0; c < 100; ++c) {
    CHECK(std::isnan(y(2, c)) == (c >= 64));
    CHECK(y(1, c) == 0.5f);
  }
  // A float that overflows FP16 is an Inf, then follows the policy.
  Eigen::MatrixXf big = Eigen::MatrixXf::Constant(1, 8, 1.0f);
  big(0, 3) = 70000.0f;
  CHECK_THROWS_AS(encode(format{8, 4}, big), nonfinite_error);
  const Eigen::MatrixXf nan_group = encode(propagate, big).decode_float();
  CHECK(nan_group.array().isNaN().all());  // one group of 64 holds the Inf: all of it is NaN
}

TEST_CASE("docs/format.md section 2 properties on random groups", "[reference][properties]") {
  const std::size_t rows = 64, cols = 256;
  auto bits = random_fp16(rows * cols, 5, true);
  const auto llm = llm_activations(rows, cols, 6);
  bits.insert(bits.end(), llm.begin(), llm.end());
  const std::size_t all_rows = 2 * rows;
  for (int G : {8, 64, 256}) {
    for (int M = 1; M <= 16; ++M) {
      const format fmt{G, M};
      const auto t = encode(fmt, bits.data(), all_rows, cols, cols);
      std::vector<float> out(bits.size());
      std::vector<std::uint16_t> out16(bits.size());
      t.decode_to(out.data(), cols);
      t.decode_to(out16.data(), cols);
      for (std::size_t i = 0; i < bits.size(); ++i) {
        const std::size_t r = i / cols, g = (i % cols) / G;
        const float x = fp16::from_bits(bits[i]).to_float();
        const unsigned E = std::max(t.exponent(r, g), 1u);
        const double step = std::ldexp(1.0, int(E) - 15 - (M - 1));
        // Decoding is exact in FP16 and FP32.
        REQUIRE(fp16::from_bits(out16[i]).to_float() == out[i]);
        // Truncation never grows a magnitude and loses less than one grid step.
        REQUIRE(std::abs(out[i]) <= std::abs(x));
        REQUIRE(std::abs(x) - std::abs(out[i]) < step);
        // M >= 11 + d reproduces the element exactly.
        const unsigned x_exp = fp16::from_bits(bits[i]).effective_exponent();
        if (M >= 11 + int(E - x_exp)) REQUIRE(out[i] == x);
      }
      // Dropping planes equals re-encoding with fewer bits, bit for bit.
      for (int fewer = 1; fewer < M; ++fewer) {
        const auto dropped = t.drop_planes(fewer);
        const auto direct = encode(fmt.with_mantissa(fewer), bits.data(), all_rows, cols, cols);
        REQUIRE(std::ranges::equal(dropped.planes(), direct.planes()));
        REQUIRE(std::ranges::equal(dropped.exponents(), direct.exponents()));
      }
    }
  }
  CHECK_THROWS_AS(activation_tensor(format{64, 4}, 1, 64).drop_planes(5), format_error);
}
