// anda::fp16 against Eigen's independent half conversions: exhaustive over the 65,536 patterns
// for decoding, and every rounding boundary of FP16 plus random floats for encoding.
#include <catch2/catch.hpp>

#include <anda/format/fp16.hpp>

#include <Eigen/Core>

#include <bit>
#include <cmath>
#include <random>
#include "seed.hpp"

using anda::fp16;

static std::uint16_t eigen_bits(float x) {
  return Eigen::numext::bit_cast<std::uint16_t>(Eigen::half(x));
}

TEST_CASE("fp16 fields and to_float are exact for every bit pattern", "[fp16]") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const auto h = fp16::from_bits(static_cast<std::uint16_t>(b));
    const float ref = static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(std::uint16_t(b)));
    if (h.is_nan()) {
      REQUIRE(std::isnan(h.to_float()));
      continue;
    }
    REQUIRE(std::bit_cast<std::uint32_t>(h.to_float()) == std::bit_cast<std::uint32_t>(ref));
    if (h.is_finite()) {
      REQUIRE(std::ldexp(double(h.significand()), int(h.effective_exponent()) - 25) ==
              std::abs(double(ref)));
    }
  }
}

TEST_CASE("fp16::from_float rounds to nearest even at every FP16 boundary", "[fp16]") {
  // Each pair of neighbouring finite FP16 values: the midpoint (a tie) and the floats next to it.
  for (std::uint32_t b = 0; b < 0x7C00; ++b) {
    for (std::uint32_t sign : {0u, 0x8000u}) {
      const float lo = fp16::from_bits(std::uint16_t(b | sign)).to_float();
      const float hi = b + 1 < 0x7C00 ? fp16::from_bits(std::uint16_t((b + 1) | sign)).to_float()
                                      : (sign ? -65536.0f : 65536.0f);  // beyond 65504: Inf side
      const float mid = static_cast<float>((double(lo) + double(hi)) / 2);  // exact in float
      for (float x : {lo, mid, std::nextafter(mid, lo), std::nextafter(mid, hi)}) {
        INFO("x = " << x);
        REQUIRE(fp16::from_float(x).bits() == eigen_bits(x));
      }
    }
  }
}

TEST_CASE("fp16::from_float on random floats, overflow, Inf and NaN", "[fp16]") {
  auto rng = anda::test::test_rng(7);
  for (int i = 0; i < 2'000'000; ++i) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (std::isnan(x)) continue;
    REQUIRE(fp16::from_float(x).bits() == eigen_bits(x));
  }
  CHECK(fp16::from_float(65504.0f).bits() == 0x7BFF);
  CHECK(fp16::from_float(65519.996f).bits() == 0x7BFF);
  CHECK(fp16::from_float(65520.0f).bits() == 0x7C00);  // the tie rounds to even: Inf
  CHECK(fp16::from_float(-1e30f).bits() == 0xFC00);
  CHECK(fp16::from_float(INFINITY).bits() == 0x7C00);
  CHECK(fp16::from_float(-0.0f).bits() == 0x8000);
  CHECK(fp16::from_float(0x1p-25f).bits() == 0x0000);  // half the smallest subnormal: to even
  CHECK(fp16::from_float(0x1.000002p-25f).bits() == 0x0001);
  CHECK(fp16::from_float(0x1.8p-24f).bits() == 0x0002);                  // 1.5 ulp ties to 2
  const auto nan = fp16::from_float(std::bit_cast<float>(0xFFA00001u));  // signalling, negative
  CHECK(nan.is_nan());
  CHECK(nan.bits() == 0xFF00);  // quieted; sign and top payload bits kept, as vcvtps2ph does
}
