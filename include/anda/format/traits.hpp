// Anda<G, M>: the compile-time facts of one format (docs/format.md sections 1 and 4).
#pragma once

#include <cstddef>
#include <cstdint>

namespace anda {

constexpr bool is_supported_group(int g) {
  return g == 8 || g == 16 || g == 32 || g == 64 || g == 128 || g == 256;
}
constexpr bool is_supported_mantissa(int m) {
  return m >= 1 && m <= 16;
}

template <int G, int M>
struct Anda {
  static_assert(is_supported_group(G), "Anda: G must be 8, 16, 32, 64, 128 or 256");
  static_assert(is_supported_mantissa(M), "Anda: M must be in 1..16 (hidden 1 included)");

  static constexpr int group_size = G;
  static constexpr int mantissa_bits = M;
  static constexpr int planes = 1 + M;               // sign plane + M mantissa planes
  static constexpr std::size_t plane_bytes = G / 8;  // one bit per element
  static constexpr std::size_t group_bytes = planes * plane_bytes;
  static constexpr std::uint32_t max_magnitude = (1u << M) - 1u;  // saturation value
  static constexpr int exponent_bits = 5;  // the paper's field (stored in a byte)
  // Storage cost per element: planes plus this library's exponent byte shared by G elements.
  static constexpr double bits_per_element = planes + 8.0 / G;
  // The paper's ideal, with a 5-bit exponent field.
  static constexpr double ideal_bits_per_element = planes + double(exponent_bits) / G;
};

static_assert(Anda<64, 7>::group_bytes == 64 && Anda<64, 7>::bits_per_element == 8.125);
static_assert(Anda<8, 1>::plane_bytes == 1 && Anda<256, 16>::max_magnitude == 65535);

}  // namespace anda
