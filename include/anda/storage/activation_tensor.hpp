// A rows x cols activation tensor in the Anda bit-plane layout (docs/format.md section 4): groups
// of G along each row (the reduction dimension K), the tail group zero-padded, one exponent byte
// per group, sign plane and M mantissa planes per group. Encoders (kernels/encode.hpp) fill it.
//
// Memory: (1 + M) bits of planes per element plus 8 bits of exponent per group, i.e.
// bits_per_element() = 1 + M + 8/G per stored (padded) element.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/format/format.hpp"
#include "anda/format/reference.hpp"
#include "anda/storage/aligned_buffer.hpp"
#include "anda/storage/bit_planes.hpp"

namespace anda {

using MatrixXh = Eigen::Matrix<Eigen::half, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr std::size_t groups_per_row(std::size_t cols, int group) {
  return (cols + static_cast<std::size_t>(group) - 1) / static_cast<std::size_t>(group);
}

class activation_tensor {
 public:
  // An all-zero tensor (every group E = 0, every plane 0).
  activation_tensor(format fmt, std::size_t rows, std::size_t cols)
      : fmt_{fmt},
        rows_{rows},
        cols_{cols},
        groups_{anda::groups_per_row(cols, fmt.group())},
        planes_(rows * groups_ * fmt.group_bytes()),
        exponents_(rows * groups_) {}

  const format& fmt() const { return fmt_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t groups_per_row() const { return groups_; }

  unsigned exponent(std::size_t row, std::size_t group) const {
    return exponents_.data()[row * groups_ + group];
  }
  group_view group(std::size_t row, std::size_t g) const {
    return {planes_.data() + (row * groups_ + g) * fmt_.group_bytes(), exponent(row, g),
            fmt_.group(), fmt_.mantissa()};
  }
  // Raw storage for kernels: groups row-major, each fmt().group_bytes() long; exponents likewise.
  std::span<const std::uint8_t> planes() const { return {planes_.data(), planes_.size()}; }
  std::span<const std::uint8_t> exponents() const { return {exponents_.data(), exponents_.size()}; }
  // Where encoders write: any planes with exponents <= 31 make a valid tensor (the bits of the
  // padded tail of a row's last group are never read as values).
  std::span<std::uint8_t> writable_planes() { return {planes_.data(), planes_.size()}; }
  std::span<std::uint8_t> writable_exponents() { return {exponents_.data(), exponents_.size()}; }

  double bits_per_element() const { return fmt_.bits_per_element(); }
  std::size_t storage_bytes() const { return planes_.size() + exponents_.size(); }

  // Exact decoding into a row-major buffer (row stride in elements): float or FP16 bits.
  void decode_to(float* dst, std::size_t stride) const { decode_rows(dst, stride); }
  void decode_to(std::uint16_t* dst, std::size_t stride) const { decode_rows(dst, stride); }

  // Column-major float (Eigen's default), and row-major FP16 (the layout of encode's input).
  Eigen::MatrixXf decode_float() const {
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> y(rows_, cols_);
    decode_to(y.data(), cols_);
    return y;
  }
  MatrixXh decode_fp16() const {
    MatrixXh y(rows_, cols_);
    decode_to(reinterpret_cast<std::uint16_t*>(y.data()), cols_);
    return y;
  }

  // The same tensor with only the `mantissa` most significant planes (mantissa <= M). Under
  // rounding::truncate this equals encoding the input with `mantissa` bits (planes are
  // progressive); after a nearest rounding it truncates the rounded magnitudes.
  activation_tensor drop_planes(int mantissa) const {
    if (mantissa > fmt_.mantissa())
      throw format_error("drop_planes: M' = " + std::to_string(mantissa) +
                         " exceeds the tensor's M = " + std::to_string(fmt_.mantissa()));
    activation_tensor t{fmt_.with_mantissa(mantissa), rows_, cols_};
    const std::size_t kept = t.fmt_.group_bytes();
    for (std::size_t i = 0; i < rows_ * groups_; ++i)
      std::memcpy(t.planes_.data() + i * kept, planes_.data() + i * fmt_.group_bytes(), kept);
    t.exponents_ = exponents_;
    return t;
  }

 private:
  template <class Out>
  void decode_rows(Out* dst, std::size_t stride) const {
    std::uint32_t magnitudes[256];
    const int G = fmt_.group();
    const int M = fmt_.mantissa();
    for (std::size_t r = 0; r < rows_; ++r) {
      for (std::size_t g = 0; g < groups_; ++g) {
        const group_view v = group(r, g);
        const std::size_t n = std::min<std::size_t>(G, cols_ - g * G);
        unpack_magnitudes(v, n, magnitudes);
        Out* out = dst + r * stride + g * G;
        for (std::size_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<Out, float>)
            out[i] = reference::decode_float(v.exponent(), v.sign(int(i)), magnitudes[i], M);
          else
            out[i] = reference::decode_fp16(v.exponent(), v.sign(int(i)), magnitudes[i], M);
        }
      }
    }
  }

  static void unpack_magnitudes(const group_view& v, std::size_t n, std::uint32_t* magnitudes) {
    for (std::size_t i = 0; i < n; ++i) magnitudes[i] = 0;
    for (int k = 0; k < v.mantissa(); ++k) {
      const auto plane = v.mantissa_plane(k);
      for (std::size_t i = 0; i < n; ++i)
        magnitudes[i] = (magnitudes[i] << 1) | ((plane[i / 8] >> (i % 8)) & 1u);
    }
  }

  format fmt_;
  std::size_t rows_, cols_, groups_;
  aligned_buffer planes_;
  aligned_buffer exponents_;
};

}  // namespace anda
