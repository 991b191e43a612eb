// The bit-plane layout of one group (docs/format.md section 4): [sign][mantissa MSB]...[mantissa
// LSB], each plane G bits, element i in byte i/8, bit i%8 (so a G = 64 plane is one little-endian
// uint64_t with element i in bit i, and G > 64 planes are G/64 consecutive uint64_t words).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace anda {

// Read-only view of one stored group: its shared exponent and its 1 + M planes.
class group_view {
 public:
  group_view(const std::uint8_t* planes, unsigned exponent, int group, int mantissa)
      : planes_{planes}, exponent_{exponent}, group_{group}, mantissa_{mantissa} {}

  unsigned exponent() const { return exponent_; }
  int size() const { return group_; }
  int mantissa() const { return mantissa_; }
  std::size_t plane_bytes() const { return static_cast<std::size_t>(group_) / 8; }

  // Plane p: 0 is the sign plane, 1 + k is mantissa plane k (k = 0 the most significant).
  std::span<const std::uint8_t> plane(int p) const {
    return {planes_ + p * plane_bytes(), plane_bytes()};
  }
  std::span<const std::uint8_t> sign_plane() const { return plane(0); }
  std::span<const std::uint8_t> mantissa_plane(int k) const { return plane(1 + k); }

  // Word w (64 elements) of plane p; G < 64 fills the low G bits.
  std::uint64_t word(int p, int w = 0) const {
    std::uint64_t x = 0;
    const std::uint8_t* at = planes_ + p * plane_bytes() + 8 * w;  // little-endian layout
    if (plane_bytes() >= 8)
      std::memcpy(&x, at, 8);  // a constant size: one load, not a call
    else
      std::memcpy(&x, at, plane_bytes());
    return x;
  }

  unsigned sign(int i) const { return bit(0, i); }
  std::uint32_t magnitude(int i) const {
    std::uint32_t m = 0;
    for (int k = 0; k < mantissa_; ++k) m = (m << 1) | bit(1 + k, i);
    return m;
  }

 private:
  unsigned bit(int p, int i) const { return (planes_[p * plane_bytes() + i / 8] >> (i % 8)) & 1u; }
  const std::uint8_t* planes_;
  unsigned exponent_;
  int group_;
  int mantissa_;
};

// Writes the planes of one group of `group` elements from unpacked signs and magnitudes.
inline void pack_group(std::span<const std::uint8_t> signs,
                       std::span<const std::uint32_t> magnitudes, int group, int mantissa,
                       std::uint8_t* planes) {
  const std::size_t plane_bytes = static_cast<std::size_t>(group) / 8;
  std::memset(planes, 0, (1 + mantissa) * plane_bytes);
  for (int i = 0; i < group; ++i) {
    const auto bit = static_cast<std::uint8_t>(1u << (i % 8));
    if (signs[i]) planes[i / 8] |= bit;
    for (int k = 0; k < mantissa; ++k)
      if ((magnitudes[i] >> (mantissa - 1 - k)) & 1u) planes[(1 + k) * plane_bytes + i / 8] |= bit;
  }
}

}  // namespace anda
