// The reference FP-INT GeMM: Y[T x N] = X[T x K] * W^T exactly as docs/gemm.md defines it, plain
// and readable. Every kernel must return these bits.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "anda/format/reference.hpp"
#include "anda/gemm/accumulate.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/int_weights.hpp"

namespace anda {

// Throws shape_error unless X and W can be multiplied.
inline void check_gemm_shapes(const activation_tensor& X, const int_weights& W) {
  if (X.cols() != W.cols())
    throw shape_error("gemm: X has K = " + std::to_string(X.cols()) +
                      " columns, W has K = " + std::to_string(W.cols()));
  if (W.scale_group() % std::size_t(X.fmt().group()) != 0 && W.scale_group() < W.cols())
    throw shape_error(
        "gemm: the weight scale group Gw = " + std::to_string(W.scale_group()) +
        " is not a multiple of the activation group G = " + std::to_string(X.fmt().group()));
}

// Activation group g of row t as signed integers a[i] = (-1)^sign * magnitude, i < G (the
// padded tail too: its values are never multiplied).
inline void signed_group(const activation_tensor& X, std::size_t t, std::size_t g,
                         std::int32_t* a) {
  const group_view v = X.group(t, g);
  for (int i = 0; i < v.size(); ++i)
    a[i] = v.sign(i) ? -std::int32_t(v.magnitude(i)) : std::int32_t(v.magnitude(i));
}

// The exact integer product of activation group g, given as its signed integers a, with weight
// row n (docs/gemm.md step 1): the sum of a[i] * w(n, g * G + i) over the columns k < K.
inline std::int32_t group_dot(const std::int32_t* a, std::size_t g, std::size_t G,
                              const int_weights& W, std::size_t n) {
  std::int64_t p = 0;
  for (std::size_t i = 0; i < G && g * G + i < W.cols(); ++i)
    p += std::int64_t(a[i]) * W.w(n, g * G + i);
  return static_cast<std::int32_t>(p);  // |p| < 2^31 for every supported G, M and weight type
}

// The same for activation group g of row t of X.
inline std::int32_t group_dot(const activation_tensor& X, std::size_t t, std::size_t g,
                              const int_weights& W, std::size_t n) {
  std::int32_t a[256];  // G <= 256
  signed_group(X, t, g, a);
  return group_dot(a, g, std::size_t(X.fmt().group()), W, n);
}

// Output channels [n_begin, n_end): writes y[t * row_stride + n * col_stride]. Each row of X is
// turned into signed integers once, then multiplied with every channel.
inline void reference_gemm_rows(const activation_tensor& X, const int_weights& W, accumulate mode,
                                std::size_t n_begin, std::size_t n_end, float* y,
                                std::size_t row_stride, std::size_t col_stride, gemm_stats* stats) {
  const int M = X.fmt().mantissa();
  const std::size_t G = std::size_t(X.fmt().group());
  std::vector<std::int32_t> a(X.groups_per_row() * G);  // row t, group by group
  for (std::size_t t = 0; t < X.rows(); ++t) {
    for (std::size_t g = 0; g < X.groups_per_row(); ++g) signed_group(X, t, g, a.data() + g * G);
    for (std::size_t n = n_begin; n < n_end; ++n) {
      float acc = 0.0f;
      for (std::size_t g = 0; g < X.groups_per_row(); ++g) {
        const unsigned E = X.exponent(t, g);
        if (E == reference::nonfinite_exponent) {
          acc = std::numeric_limits<float>::quiet_NaN();
          continue;
        }
        const int k = int(E < 1 ? 1 : E) - 15 - (M - 1);
        const std::int32_t p = group_dot(a.data() + g * G, g, G, W, n);
        float r;
        if (mode == accumulate::paper) {
          r = round_scaled_to_fp16(p, k);
          if (std::isinf(r) && stats) ++stats->fp16_overflows;
        } else {
          r = round_scaled_to_fp32(p, k);
        }
        acc = std::fma(r, W.scale(n, g * G / W.scale_group()).to_float(), acc);
      }
      y[t * row_stride + n * col_stride] = acc;
    }
  }
}

// The definition: Y = X * W^T as a T x N Eigen matrix.
inline Eigen::MatrixXf reference_gemm(const activation_tensor& X, const int_weights& W,
                                      accumulate mode = accumulate::fp32,
                                      gemm_stats* stats = nullptr) {
  check_gemm_shapes(X, W);
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> y(X.rows(), W.rows());
  reference_gemm_rows(X, W, mode, 0, W.rows(), y.data(), W.rows(), 1, stats);
  return y;
}

}  // namespace anda
