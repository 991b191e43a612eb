// How the GeMM turns exact integer group products into the FP32 result (docs/gemm.md step 3).
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace anda {

enum class accumulate : std::uint8_t {
  fp32,   // default [ours]: each group result rounded to FP32, then fma with the weight scale
  paper,  // the paper's datapath: each group result rounded to FP16 (overflow -> +-Inf, counted)
};

constexpr std::string_view to_string(accumulate a) {
  return a == accumulate::fp32 ? "fp32" : "paper";
}

constexpr std::optional<accumulate> parse_accumulate(std::string_view s) {
  for (auto a : {accumulate::fp32, accumulate::paper})
    if (s == to_string(a)) return a;
  return std::nullopt;
}

// What a GeMM call observed; only `paper` mode can overflow FP16 group results.
struct gemm_stats {
  std::size_t fp16_overflows = 0;
};

// p * 2^k rounded to FP16 (nearest even; from 65520 up, +-Inf), returned as the exact float.
// Integer rounding, so it is exact for every int32 p (a float detour would round twice).
inline float round_scaled_to_fp16(std::int32_t p, int k) {
  if (p == 0) return 0.0f;
  const std::uint64_t a = p < 0 ? std::uint64_t(-std::int64_t(p)) : std::uint64_t(p);
  const int e = std::bit_width(a) - 1 + k;       // floor(log2 |p * 2^k|)
  const int quantum = (e < -14 ? -14 : e) - 10;  // FP16 grid step exponent at that binade
  const int shift = quantum - k;                 // low bits of a below the grid
  std::uint64_t q = a;
  if (shift > 0) {
    q = a >> shift;
    const std::uint64_t rem = a & ((std::uint64_t{1} << shift) - 1);
    const std::uint64_t half = std::uint64_t{1} << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
  } else {
    q = a << -shift;
  }
  const float magnitude = std::ldexp(static_cast<float>(q), quantum);  // |p * 2^k| rounded
  const float v = magnitude >= 65536.0f ? INFINITY : magnitude;        // q <= 2048: float is exact
  return p < 0 ? -v : v;
}

// p * 2^k rounded to FP32 (nearest even): the int32 -> float conversion rounds once, the power
// of two scales exactly (k in -29..15 keeps every result normal).
inline float round_scaled_to_fp32(std::int32_t p, int k) {
  return std::ldexp(static_cast<float>(p), k);
}

}  // namespace anda
