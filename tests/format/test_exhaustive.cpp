// Exhaustive checks over FP16: every finite value alone in a group, and as a non-maximum element
// under group maxima of every exponent, for every M and rounding, against the exact oracle.
#include <catch2/catch.hpp>

#include "encode_helpers.hpp"
#include "generators.hpp"

using namespace anda;
using namespace anda::test;

namespace {

// Every finite FP16 value v placed alone: one group of 8 per value, v first, zeros after.
std::vector<std::uint16_t> values_alone() {
  std::vector<std::uint16_t> bits;
  for (auto v : all_finite_fp16()) {
    bits.push_back(v);
    bits.insert(bits.end(), 7, std::uint16_t{0});
  }
  return bits;
}

// Rows of one group of 64: the group maximum first (exponent field E, mantissa `frac`), then
// every finite FP16 value not larger in magnitude, 63 per group, signs as they come.
std::vector<std::uint16_t> values_under_maximum(unsigned E, unsigned frac, std::size_t& rows) {
  std::vector<std::uint16_t> bits;
  const auto max_bits = static_cast<std::uint16_t>((E << 10) | frac);
  std::size_t in_group = 64;
  for (auto v : all_finite_fp16()) {
    if ((v & 0x7FFF) > max_bits) continue;
    if (in_group == 64) {
      bits.push_back(static_cast<std::uint16_t>(max_bits | ((bits.size() / 64) % 2 ? 0x8000 : 0)));
      in_group = 1;
    }
    bits.push_back(v);
    ++in_group;
  }
  bits.resize((bits.size() + 63) / 64 * 64, 0);
  rows = bits.size() / 64;
  return bits;
}

}  // namespace

TEST_CASE("every finite FP16 value alone in a group, every M and rounding", "[exhaustive]") {
  const auto bits = values_alone();
  for (int M = 1; M <= 16; ++M) {
    for (auto round : all_roundings) {
      const format fmt{8, M, round};
      const auto out = round_trip(fmt, bits, 1, bits.size());
      INFO("M = " << M << ", " << to_string(round));
      REQUIRE(oracle_mismatches(fmt, bits, 1, bits.size(), out) == 0);
    }
  }
}

TEST_CASE("every finite FP16 value under group maxima of every exponent", "[exhaustive]") {
  for (unsigned E = 0; E <= 30; ++E) {
    for (unsigned frac : {0x000u, 0x3FFu, 0x2A5u}) {
      if (E == 0 && frac == 0) continue;  // that maximum is zero: covered by the all-zero cases
      std::size_t rows = 0;
      const auto bits = values_under_maximum(E, frac, rows);
      for (int M = 1; M <= 16; ++M) {
        for (auto round : all_roundings) {
          const format fmt{64, M, round};
          const auto out = round_trip(fmt, bits, rows, 64);
          INFO("max exponent field " << E << ", fraction " << frac << ", M = " << M << ", "
                                     << to_string(round));
          REQUIRE(oracle_mismatches(fmt, bits, rows, 64, out) == 0);
        }
      }
    }
  }
}

TEST_CASE("every backend agrees with the scalar one byte for byte on the exhaustive inputs",
          "[exhaustive][kernels]") {
  std::size_t rows = 0;
  const auto under = values_under_maximum(15, 0x3FF, rows);
  const auto alone = values_alone();
  for (const auto* fast : runnable_simd_encoders()) {
    for (const auto* input : {&under, &alone}) {
      for (int G : {8, 16, 32, 64, 128, 256}) {
        for (int M = 1; M <= 16; ++M) {
          for (auto round : all_roundings) {
            const format fmt{G, M, round};
            const auto a = encode(fmt, input->data(), 1, input->size(), input->size(),
                                  kernels::scalar::record);
            const auto b = encode(fmt, input->data(), 1, input->size(), input->size(), *fast);
            INFO(fast->name << ": G = " << G << ", M = " << M << ", " << to_string(round));
            REQUIRE(std::ranges::equal(a.planes(), b.planes()));
            REQUIRE(std::ranges::equal(a.exponents(), b.exponents()));
          }
        }
      }
    }
  }
}
