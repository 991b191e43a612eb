// Encoding FP16 or FP32 values into an activation_tensor through a backend's encoder (the one
// selected for this CPU unless a caller names another), and fake quantization.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/kernels/registry.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/copy_in_tiles.hpp"

namespace anda {

// FP16 bit patterns, row-major with a row stride in elements. Throws nonfinite_error under
// nonfinite::reject when a group holds Inf or NaN (nothing is returned then).
inline activation_tensor encode(const format& fmt, const std::uint16_t* bits, std::size_t rows,
                                std::size_t cols, std::size_t stride,
                                const kernels::backend& backend = kernels::selected_backend()) {
  if (rows > 1 && stride < cols)
    throw shape_error("encode: row stride " + std::to_string(stride) + " is below the " +
                      std::to_string(cols) + " columns of a row");
  activation_tensor t{fmt, rows, cols};
  const std::size_t failed = backend.encode(
      {bits, rows, cols, stride, fmt, t.writable_planes().data(), t.writable_exponents().data()});
  if (failed != kernels::all_encoded) {
    const std::size_t row = failed / t.groups_per_row();
    const std::size_t g = failed % t.groups_per_row();
    std::size_t col = g * fmt.group();
    while (col + 1 < cols && fp16::from_bits(bits[row * stride + col]).is_finite()) ++col;
    throw nonfinite_error(row, g, col);
  }
  return t;
}

// The error to report for `e`, thrown while encoding the FP16 conversion of the floats `src`
// (element (r, c) at src[r * row_stride + c * col_stride]): where the float at e's row and
// column is finite it overflowed FP16, and the error says so with its value; else `e` itself.
inline nonfinite_error explain_nonfinite(const nonfinite_error& e, const float* src,
                                         std::size_t row_stride, std::size_t col_stride = 1) {
  const float v = src[e.row() * row_stride + e.column() * col_stride];
  if (!e.fp16_overflow() && std::isfinite(v))
    return nonfinite_error(e.row(), e.group(), e.column(), v);
  return e;
}

// Floats go through FP16 first (two steps, docs/format.md section 3): round to nearest even,
// overflow to +-Inf, which then follows the non-finite policy (under reject, a finite float that
// overflowed is reported as an FP16 overflow with its value, not as an Inf or NaN input).
inline activation_tensor encode_float(
    const format& fmt, const float* src, std::size_t rows, std::size_t cols, std::size_t stride,
    const kernels::backend& backend = kernels::selected_backend()) {
  const std::unique_ptr<std::uint16_t[]> bits(new std::uint16_t[rows * cols]);  // all written
  for (std::size_t r = 0; r < rows; ++r)
    backend.float_to_fp16(src + r * stride, &bits[r * cols], cols);
  try {
    return encode(fmt, bits.get(), rows, cols, cols, backend);
  } catch (const nonfinite_error& e) {
    throw explain_nonfinite(e, src, stride);
  }
}

// The same from column-major floats (element (r, c) at src[r + c * col_stride], as Eigen stores
// them), without a row-major copy of the floats: converted and transposed in registers where the
// backend can, else each column converted where it lies and the FP16 bits transposed in tiles.
inline activation_tensor encode_float_columns(
    const format& fmt, const float* src, std::size_t rows, std::size_t cols, std::size_t col_stride,
    const kernels::backend& backend = kernels::selected_backend()) {
  if (cols > 1 && col_stride < rows)
    throw shape_error("encode: column stride " + std::to_string(col_stride) + " is below the " +
                      std::to_string(rows) + " rows of a column");
  using bits_by_column = Eigen::Matrix<std::uint16_t, Eigen::Dynamic, Eigen::Dynamic>;
  using bits_by_row = Eigen::Matrix<std::uint16_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const auto R = Eigen::Index(rows), C = Eigen::Index(cols);
  bits_by_row bits(R, C);
  if (backend.float_columns_to_fp16) {
    backend.float_columns_to_fp16(src, rows, cols, col_stride, bits.data());
  } else {
    bits_by_column converted(R, C);
    for (std::size_t c = 0; c < cols; ++c)
      backend.float_to_fp16(src + c * col_stride, converted.data() + c * rows, rows);
    copy_in_tiles(converted, bits);
  }
  try {
    return encode(fmt, bits.data(), rows, cols, cols, backend);
  } catch (const nonfinite_error& e) {
    throw explain_nonfinite(e, src, 1, col_stride);
  }
}

// Any Eigen matrix or expression of Eigen::half or float; rows are tokens, groups run along
// the columns. double is refused: double -> float -> FP16 would round twice.
template <class Derived>
activation_tensor encode(const format& fmt, const Eigen::MatrixBase<Derived>& x,
                         const kernels::backend& backend = kernels::selected_backend()) {
  using scalar = typename Derived::Scalar;
  static_assert(std::is_same_v<scalar, Eigen::half> || std::is_same_v<scalar, float>,
                "anda: encode Eigen::half or float matrices (convert double to float "
                "explicitly: double -> float -> FP16 rounds twice)");
  if constexpr (std::is_same_v<scalar, float> && !Derived::IsRowMajor) {
    const Eigen::Ref<const Eigen::MatrixXf> cm = x;  // a copy only where x is an expression
    return encode_float_columns(fmt, cm.data(), std::size_t(cm.rows()), std::size_t(cm.cols()),
                                std::size_t(cm.outerStride()), backend);
  } else {
    const Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = x;
    if constexpr (std::is_same_v<scalar, float>)
      return encode_float(fmt, rm.data(), rm.rows(), rm.cols(), rm.cols(), backend);
    else
      return encode(fmt, reinterpret_cast<const std::uint16_t*>(rm.data()), rm.rows(), rm.cols(),
                    rm.cols(), backend);
  }
}

// Fake quantization: encode to Anda and decode back to float (what accuracy studies need).
template <class Derived>
Eigen::MatrixXf quantize(const format& fmt, const Eigen::MatrixBase<Derived>& x) {
  return encode(fmt, x).decode_float();
}

}  // namespace anda
