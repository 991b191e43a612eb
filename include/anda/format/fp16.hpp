// IEEE binary16 (FP16) as raw bits: field access, classification and exact conversions.
// The format core works on the 16-bit pattern; a value only becomes a float where it is exact.
#pragma once

#include <bit>
#include <cstdint>

namespace anda {

// An FP16 value held as its bit pattern. Bits enter only through `from_bits`; a float enters
// only through `from_float`, which names its rounding (to nearest, ties to even).
class fp16 {
 public:
  constexpr fp16() = default;
  static constexpr fp16 from_bits(std::uint16_t bits) { return fp16{bits}; }
  static constexpr fp16 from_float(float x);  // IEEE round to nearest even; overflow -> +-Inf

  constexpr std::uint16_t bits() const { return bits_; }
  constexpr unsigned sign() const { return bits_ >> 15; }
  constexpr unsigned exponent_field() const { return (bits_ >> 10) & 0x1F; }
  constexpr unsigned fraction() const { return bits_ & 0x3FF; }

  constexpr bool is_finite() const { return exponent_field() != 31; }
  constexpr bool is_nan() const { return exponent_field() == 31 && fraction() != 0; }
  constexpr bool is_zero() const { return (bits_ & 0x7FFF) == 0; }

  // Significand with the hidden bit (1024 + f for normals, f for subnormals) and the effective
  // exponent field (subnormals count as 1): |value| = significand * 2^(exponent - 25).
  constexpr unsigned significand() const {
    return exponent_field() == 0 ? fraction() : 1024u + fraction();
  }
  constexpr unsigned effective_exponent() const {
    return exponent_field() == 0 ? 1u : exponent_field();
  }

  constexpr float to_float() const;  // exact

  friend constexpr bool operator==(fp16, fp16) = default;  // bitwise

 private:
  constexpr explicit fp16(std::uint16_t bits) : bits_{bits} {}
  std::uint16_t bits_ = 0;
};

constexpr float fp16::to_float() const {
  const std::uint32_t s = std::uint32_t{sign()} << 31;
  const unsigned e = exponent_field();
  const unsigned f = fraction();
  if (e == 31) return std::bit_cast<float>(s | 0x7F800000u | (f << 13));
  if (e != 0) return std::bit_cast<float>(s | ((e + 112u) << 23) | (f << 13));
  // Subnormal or zero: f * 2^-24 is exact in float.
  const float magnitude = static_cast<float>(f) * 0x1p-24f;
  return sign() ? -magnitude : magnitude;
}

constexpr fp16 fp16::from_float(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const auto s = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t e = (u >> 23) & 0xFF;
  const std::uint32_t f = u & 0x7FFFFF;
  if (e == 0xFF) {  // Inf stays Inf; NaN stays a quiet NaN with the top payload bits
    return fp16{static_cast<std::uint16_t>(s | 0x7C00u | (f ? 0x200u | (f >> 13) : 0u))};
  }
  // The float's magnitude as an integer multiple of 2^-149 (its own grid), then rounded onto
  // the FP16 grid of its binade: 2^(e16 - 25) for normals, 2^-24 below.
  const int unbiased = static_cast<int>(e) - 127;
  if (unbiased >= 16) return fp16{static_cast<std::uint16_t>(s | 0x7C00u)};
  const std::uint32_t sig = e == 0 ? f : (f | 0x800000u);
  const int e16 = unbiased < -14 ? -14 : unbiased;  // FP16 binade exponent
  // Number of float-grid bits dropped to land on the FP16 grid 2^(e16 - 10) of that binade.
  const int shift = (e16 - 10) - (e == 0 ? -149 : unbiased - 23);
  std::uint32_t q = 0;  // shift >= 32: far below half of the smallest subnormal
  if (shift < 32) {
    q = sig >> shift;
    const std::uint32_t rem = sig & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
  }
  // q counts units of 2^(e16 - 10) (1024 <= q <= 2048 in a normal binade). Adding it to the
  // binade's biased exponent carries into the next binade, from subnormal to normal and to Inf.
  const auto mag = static_cast<std::uint32_t>(e16 + 14) * 1024u + q;
  return fp16{static_cast<std::uint16_t>(s | mag)};
}

}  // namespace anda
