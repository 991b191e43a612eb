// Activations as the SIMD GeMM kernels read them: the bit-planes of an activation_tensor unpacked
// once per GeMM call into signed int8 chunks of `chunk_bits` magnitude bits each, so that
//   a = sum over chunks c of a_c * 2^(chunk_bits * c)   (a_c carries a's sign, |a_c| <
//   2^chunk_bits)
// and the integer group product p = sum a * w is the same shifted sum of chunk products, exact.
// A backend picks chunk_bits so that its integer instructions cannot overflow or saturate: 7 for
// u8 x s8 -> s32 dot products (vpdpbusd, sdot), 6 where u8 x s8 pairs are summed in int16
// (vpmaddubsw) with INT8 weights (2 * 255 * 63 = 32130 <= 32767).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "anda/format/reference.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/aligned_buffer.hpp"

namespace anda::kernels {

struct int8_activations {
  int chunk_bits = 7;
  int chunks = 1;  // ceil(M / chunk_bits)
  std::size_t rows = 0, padded_cols = 0, groups = 0;
  // Bytes from one row to the next: a cache line more than padded_cols, so that the rows of a
  // tile of tokens do not all fall into one L1 set (as a stride of 4 KiB would).
  std::size_t row_stride = 0;
  // Rows past the last one that a kernel may read (an AMX tile loads 16 rows at once): zero, and
  // their results are never used.
  static constexpr std::size_t slack_rows = 15;
  aligned_buffer values;  // [chunk][row][row_stride] int8 + slack_rows, tail groups zero-padded
  std::vector<std::int32_t> sums;  // [(t * groups + g) * chunks + c]: sum of a_c over the group
  std::vector<float> scale;  // [t * groups + g]: 2^k of docs/gemm.md, or NaN (non-finite group)

  const std::int8_t* row(int c, std::size_t t) const {
    return reinterpret_cast<const std::int8_t*>(values.data()) + (c * rows + t) * row_stride;
  }
  std::int8_t* row(int c, std::size_t t) {
    return reinterpret_cast<std::int8_t*>(values.data()) + (c * rows + t) * row_stride;
  }

  // The layout for X with chunks of `chunk_bits` bits: sized and zeroed, scales filled.
  static int8_activations shape_for(const activation_tensor& X, int chunk_bits) {
    const int M = X.fmt().mantissa();
    int8_activations a;
    a.chunk_bits = chunk_bits;
    a.chunks = (M + chunk_bits - 1) / chunk_bits;
    a.rows = X.rows();
    a.groups = X.groups_per_row();
    a.padded_cols = a.groups * std::size_t(X.fmt().group());
    a.row_stride = a.padded_cols + 64;
    a.values = aligned_buffer((std::size_t(a.chunks) * a.rows + slack_rows) * a.row_stride);
    a.sums.resize(a.rows * a.groups * std::size_t(a.chunks));
    a.scale.resize(a.rows * a.groups);
    for (std::size_t t = 0; t < a.rows; ++t) {
      for (std::size_t g = 0; g < a.groups; ++g) {
        const unsigned E = X.exponent(t, g);
        const int k = int(std::max(E, 1u)) - 15 - (M - 1);  // -29 .. 15: a normal float
        a.scale[t * a.groups + g] = E == reference::nonfinite_exponent
                                        ? std::bit_cast<float>(0x7FC00000u)
                                        : std::bit_cast<float>(std::uint32_t(k + 127) << 23);
      }
    }
    return a;
  }

  // Portable unpacking from the planes, eight elements per step: each plane byte spreads to
  // one bit in each of eight bytes (a 2 KiB table), then the signs are applied bytewise.
  static int8_activations unpack(const activation_tensor& X, int chunk_bits) {
    int8_activations a = shape_for(X, chunk_bits);
    const int M = X.fmt().mantissa();
    const std::size_t G = std::size_t(X.fmt().group());
    std::uint8_t magnitude[256], negative[256];
    for (std::size_t t = 0; t < a.rows; ++t) {
      for (std::size_t g = 0; g < a.groups; ++g) {
        const group_view v = X.group(t, g);
        // Only the row's real columns: the reference ignores the padded tail of the last group,
        // whose weights need not be zero (INT4-asym padding is 0 - z).
        const std::size_t real = std::min(G, X.cols() - g * G);
        spread_plane(v.sign_plane().data(), G, negative);
        for (int c = 0; c < a.chunks; ++c) {
          const int low = chunk_bits * c, high = std::min(M, low + chunk_bits);
          for (std::size_t byte = 0; byte < G / 8; ++byte) {
            std::uint64_t eight = 0;          // magnitude bits [low, high) of elements 8 * byte ...
            for (int b = low; b < high; ++b)  // magnitude bit b is mantissa plane M - 1 - b
              eight |= spread_bits[v.mantissa_plane(M - 1 - b)[byte]] << (b - low);
            std::memcpy(magnitude + 8 * byte, &eight, 8);
          }
          std::int8_t* out = a.row(c, t) + g * G;
          std::int32_t sum = 0;
          for (std::size_t i = 0; i < real; ++i) {
            const auto s = std::uint8_t(-negative[i]);  // 0x00 or 0xFF
            const auto value = static_cast<std::int8_t>((magnitude[i] ^ s) + negative[i]);
            out[i] = value;
            sum += value;
          }
          a.sums[(t * a.groups + g) * std::size_t(a.chunks) + std::size_t(c)] = sum;
        }
      }
    }
    return a;
  }

 private:
  // spread_bits[b] has bit i of b in bit 0 of byte i.
  static constexpr auto spread_bits = [] {
    std::array<std::uint64_t, 256> t{};
    for (unsigned b = 0; b < 256; ++b)
      for (unsigned i = 0; i < 8; ++i) t[b] |= std::uint64_t((b >> i) & 1u) << (8 * i);
    return t;
  }();
  static void spread_plane(const std::uint8_t* plane, std::size_t G, std::uint8_t* out) {
    for (std::size_t byte = 0; byte < G / 8; ++byte) {
      const std::uint64_t eight = spread_bits[plane[byte]];
      std::memcpy(out + 8 * byte, &eight, 8);
    }
  }
};

}  // namespace anda::kernels
