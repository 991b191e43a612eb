// Test data: LLM-like activation rows (Gaussian tokens with per-token scales and a few outlier
// channels) and all-finite-FP16 enumerations.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <anda/format/fp16.hpp>
#include "seed.hpp"

namespace anda::test {

// rows x cols FP16 bits, row-major: N(0, s_r) per token with s_r spread over 3 decades, and
// every 97th channel an outlier 20-100x larger.
inline std::vector<std::uint16_t> llm_activations(std::size_t rows, std::size_t cols,
                                                  std::uint32_t seed) {
  auto rng = anda::test::test_rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> decade(-2.0f, 1.0f), outlier(20.0f, 100.0f);
  std::vector<std::uint16_t> out(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const float scale = std::pow(10.0f, decade(rng));
    for (std::size_t c = 0; c < cols; ++c) {
      float x = gauss(rng) * scale;
      if (c % 97 == 13) x *= outlier(rng);
      out[r * cols + c] = fp16::from_float(x).bits();
    }
  }
  return out;
}

// Every finite FP16 bit pattern (63,488 of them: both signs, zeros and subnormals included).
inline std::vector<std::uint16_t> all_finite_fp16() {
  std::vector<std::uint16_t> v;
  for (std::uint32_t b = 0; b < 0x10000; ++b)
    if ((b & 0x7C00) != 0x7C00) v.push_back(static_cast<std::uint16_t>(b));
  return v;
}

// Random bit patterns; with `finite`, Inf and NaN are replaced by their sign's largest finite.
inline std::vector<std::uint16_t> random_fp16(std::size_t n, std::uint32_t seed, bool finite) {
  auto rng = anda::test::test_rng(seed);
  std::vector<std::uint16_t> v(n);
  for (auto& b : v) {
    b = static_cast<std::uint16_t>(rng());
    if (finite && (b & 0x7C00) == 0x7C00) b = static_cast<std::uint16_t>((b & 0x8000) | 0x7BFF);
  }
  return v;
}

}  // namespace anda::test
