// A rows x cols activation tensor in the Anda bit-plane layout (format.md section 4): groups of G
// along each row (the reduction dimension K), the tail group zero-padded, one exponent byte per
// group, sign plane and M mantissa planes per group. Encoding goes through the kernel table.
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
#include "anda/simd/dispatch.hpp"
#include "anda/storage/aligned_buffer.hpp"
#include "anda/storage/bit_planes.hpp"

namespace anda {

using MatrixXh = Eigen::Matrix<Eigen::half, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class activation_tensor {
 public:
  // An all-zero tensor (every group E = 0, every plane 0).
  activation_tensor(format fmt, std::size_t rows, std::size_t cols)
      : fmt_{fmt},
        rows_{rows},
        cols_{cols},
        groups_{simd::groups_per_row(cols, fmt.group())},
        planes_(rows * groups_ * fmt.group_bytes()),
        exponents_(rows * groups_) {}

  // FP16 bit patterns, row-major with a row stride in elements. Throws nonfinite_error under
  // nonfinite::reject when a group holds Inf or NaN (nothing is returned then).
  static activation_tensor encode(const format& fmt, const std::uint16_t* bits, std::size_t rows,
                                  std::size_t cols, std::size_t stride,
                                  const simd::kernel_table& kernels = simd::kernels()) {
    if (rows > 1 && stride < cols)
      throw shape_error("encode: row stride " + std::to_string(stride) + " is below the " +
                        std::to_string(cols) + " columns of a row");
    activation_tensor t{fmt, rows, cols};
    const std::size_t failed =
        kernels.encode({bits, rows, cols, stride, fmt, t.planes_.data(), t.exponents_.data()});
    if (failed != simd::all_encoded) t.throw_nonfinite(bits, stride, failed);
    return t;
  }

  // Floats go through FP16 first (two steps, format.md section 3): round to nearest even,
  // overflow to +-Inf, which then follows the non-finite policy.
  static activation_tensor encode_float(const format& fmt, const float* src, std::size_t rows,
                                        std::size_t cols, std::size_t stride,
                                        const simd::kernel_table& kernels = simd::kernels()) {
    std::vector<std::uint16_t> bits(rows * cols);
    for (std::size_t r = 0; r < rows; ++r)
      kernels.float_to_fp16(src + r * stride, &bits[r * cols], cols);
    return encode(fmt, bits.data(), rows, cols, cols, kernels);
  }

  // Any Eigen matrix or expression of Eigen::half or float; rows are tokens, groups run along
  // the columns. double is refused: double -> float -> FP16 would round twice.
  template <class Derived>
  static activation_tensor encode(const format& fmt, const Eigen::MatrixBase<Derived>& x,
                                  const simd::kernel_table& kernels = simd::kernels()) {
    using scalar = typename Derived::Scalar;
    static_assert(std::is_same_v<scalar, Eigen::half> || std::is_same_v<scalar, float>,
                  "anda: encode Eigen::half or float matrices (convert double to float "
                  "explicitly: double -> float -> FP16 rounds twice)");
    const Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = x;
    if constexpr (std::is_same_v<scalar, float>) {
      return encode_float(fmt, rm.data(), rm.rows(), rm.cols(), rm.cols(), kernels);
    } else {
      return encode(fmt, reinterpret_cast<const std::uint16_t*>(rm.data()), rm.rows(), rm.cols(),
                    rm.cols(), kernels);
    }
  }

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

  [[noreturn]] void throw_nonfinite(const std::uint16_t* bits, std::size_t stride,
                                    std::size_t failed) const {
    const std::size_t row = failed / groups_;
    const std::size_t g = failed % groups_;
    std::size_t col = g * fmt_.group();
    while (col + 1 < cols_ && fp16::from_bits(bits[row * stride + col]).is_finite()) ++col;
    throw nonfinite_error(row, g, col);
  }

  format fmt_;
  std::size_t rows_, cols_, groups_;
  aligned_buffer planes_;
  aligned_buffer exponents_;
};

// Fake quantization: encode to Anda and decode back to float (what accuracy studies need).
template <class Derived>
Eigen::MatrixXf quantize(const format& fmt, const Eigen::MatrixBase<Derived>& x) {
  return activation_tensor::encode(fmt, x).decode_float();
}

}  // namespace anda
