// An exact oracle for docs/gemm.md, built from the decoded activations and the weights' integer and
// scale accessors (not from the planes): each group sum is exact in double (at most 256 terms,
// each an integer of < 2^24 on the group's grid), then rounded to FP32 or FP16 by its own code.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <anda/gemm/accumulate.hpp>
#include <anda/storage/activation_tensor.hpp>
#include <anda/storage/int_weights.hpp>

namespace anda::test {

// Every finite non-negative FP16 value, ascending (as doubles).
inline const std::vector<double>& fp16_ladder() {
  static const std::vector<double> ladder = [] {
    std::vector<double> v;
    for (std::uint32_t b = 0; b < 0x7C00; ++b)
      v.push_back(
          std::ldexp(double(b < 0x400 ? b : 1024 + (b & 0x3FF)), int(std::max(b >> 10, 1u)) - 25));
    return v;
  }();
  return ladder;
}

// Round a double to FP16, ties to even (by position on the ladder); beyond 65504: Inf.
inline double round_to_fp16(double x) {
  const auto& L = fp16_ladder();
  const double a = std::abs(x);
  if (a >= 65520.0) return std::copysign(INFINITY, x);  // 65520 is the tie with 2^16: to even
  if (a > 65504.0) return std::copysign(65504.0, x);
  const auto hi = std::lower_bound(L.begin(), L.end(), a);
  if (*hi == a) return x;
  const auto lo = hi - 1;
  const double dlo = a - *lo, dhi = *hi - a;
  const bool pick_hi = dhi < dlo || (dhi == dlo && ((hi - L.begin()) % 2 == 0));
  return std::copysign(pick_hi ? *hi : *lo, x);
}

inline std::vector<float> oracle_gemm(const activation_tensor& X, const int_weights& W,
                                      accumulate mode, std::size_t* overflows = nullptr) {
  const Eigen::MatrixXf x = X.decode_float();
  const std::size_t T = X.rows(), N = W.rows(), K = X.cols(), G = std::size_t(X.fmt().group());
  std::vector<float> y(T * N);
  std::vector<int> w(N * K);  // every w(n, k), read once
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t k = 0; k < K; ++k) w[n * K + k] = W.w(n, k);
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (std::size_t g = 0; g * G < K; ++g) {
        double r = 0;  // exact
        bool nan = false;
        for (std::size_t k = g * G; k < std::min(K, g * G + G); ++k) {
          const float v = x(Eigen::Index(t), Eigen::Index(k));
          nan |= std::isnan(v);
          r += double(v) * w[n * K + k];
        }
        if (nan) {
          acc = NAN;
          continue;
        }
        double rounded = mode == accumulate::fp32 ? double(float(r)) : round_to_fp16(r);
        if (overflows && std::isinf(rounded)) ++*overflows;
        acc = std::fma(float(rounded), W.scale(n, g * G / W.scale_group()).to_float(), acc);
      }
      y[t * N + n] = acc;
    }
  }
  return y;
}

// Same bits, or both NaN (NaN payloads are unspecified).
inline bool same_result(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

}  // namespace anda::test
