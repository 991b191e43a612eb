// The scalar reference encoder and decoder: the readable, normative definition of docs/format.md
// section 2 and 5 for one group. Every fast path must produce the same bits.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>

#include "anda/format/fp16.hpp"
#include "anda/format/policies.hpp"

namespace anda::reference {

// Shared exponent of a group that holds Inf or NaN (docs/format.md section 5).
inline constexpr unsigned nonfinite_exponent = 31;

// Shared exponent E of a group: the largest effective exponent of its non-zero elements, 0 for
// an all-zero group [ours], nonfinite_exponent when any element is Inf or NaN.
constexpr unsigned shared_exponent(std::span<const std::uint16_t> group) {
  unsigned e = 0;
  for (const auto bits : group) {
    const auto v = fp16::from_bits(bits);
    if (!v.is_finite()) return nonfinite_exponent;
    if (!v.is_zero()) e = std::max(e, v.effective_exponent());
  }
  return e;
}

// The exact aligned magnitude a = S * 2^(M - 11 - d), d = E - x, of one finite element under
// shared exponent E, rounded to an integer as `round` says, before saturation (<= 2^M).
constexpr std::uint32_t rounded_magnitude(fp16 v, unsigned E, int M, rounding round) {
  const std::uint32_t S = v.significand();
  const int shift = M - 11 - static_cast<int>(E - v.effective_exponent());
  std::uint32_t m;
  if (shift >= 0) {
    m = S << shift;  // exact: M >= 11 + d
  } else {
    const int r = std::min(-shift, 12);  // S < 2^11: any r >= 12 drops everything, below half
    m = S >> r;
    const std::uint32_t rem = S & ((1u << r) - 1u);
    const std::uint32_t half = 1u << (r - 1);
    const bool up = round == rounding::nearest_away   ? rem >= half
                    : round == rounding::nearest_even ? rem > half || (rem == half && (m & 1u))
                                                      : false;
    m += up ? 1u : 0u;
  }
  return m;
}

// The stored M-bit magnitude: the rounded magnitude saturated at 2^M - 1.
constexpr std::uint32_t magnitude(fp16 v, unsigned E, int M, rounding round) {
  return std::min(rounded_magnitude(v, E, M, round), (1u << M) - 1u);
}

// Encodes one group (its values, n <= G; the caller pads to G with zeros). Writes one sign and
// one magnitude per value and returns E. A non-finite group returns nonfinite_exponent with
// zero magnitudes (the caller applies the non-finite policy).
constexpr unsigned encode_group(std::span<const std::uint16_t> group, int M, rounding round,
                                std::span<std::uint8_t> signs,
                                std::span<std::uint32_t> magnitudes) {
  const unsigned E = shared_exponent(group);
  for (std::size_t i = 0; i < group.size(); ++i) {
    const auto v = fp16::from_bits(group[i]);
    signs[i] = static_cast<std::uint8_t>(v.sign());
    magnitudes[i] = E == nonfinite_exponent ? 0u : magnitude(v, E, M, round);
  }
  return E;
}

// The decoded value (-1)^s * m * 2^(E - 15 - (M - 1)), exact in float; E = 0 scales as E = 1
// (all-zero group); E = 31 decodes to a quiet NaN.
constexpr float decode_float(unsigned E, unsigned sign, std::uint32_t m, int M) {
  if (E == nonfinite_exponent) return std::bit_cast<float>(0x7FC00000u);
  const int k = static_cast<int>(std::max(E, 1u)) - 15 - (M - 1);  // -29 .. 15: a normal float
  const float scale = std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23);
  const float magnitude_value = static_cast<float>(m) * scale;  // m < 2^16: exact
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(magnitude_value) | (sign << 31));
}

// The same value as FP16 bits: every decoded value is exactly representable in FP16
// (docs/format.md section 2); E = 31 gives the quiet NaN 0x7E00.
constexpr std::uint16_t decode_fp16(unsigned E, unsigned sign, std::uint32_t m, int M) {
  if (E == nonfinite_exponent) return 0x7E00;
  return fp16::from_float(decode_float(E, sign, m, M)).bits();
}

}  // namespace anda::reference
