// The public FP-INT GeMM: Y[T x N] = X[T x K] * W^T with Anda activations X and integer weights
// W, bit-exact to reference_gemm for every kernel and thread count, written to Eigen.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <vector>

#include "anda/gemm/reference.hpp"
#include "anda/kernels/registry.hpp"
#include "anda/storage/parallel.hpp"

namespace anda {

struct gemm_options {
  accumulate mode = accumulate::fp32;
  int threads = 1;                            // output channels split across threads
  const kernels::backend* backend = nullptr;  // null: the selected one (kernels/registry.hpp)
  gemm_stats* stats = nullptr;                // optional: FP16 overflows in paper mode
};

// Writes Y = X * W^T into y: a T x N column-major matrix or block of one (any outer stride).
// Worker threads are started per call (run_ranges); results are identical for any thread count.
inline void gemm(const activation_tensor& X, const int_weights& W,
                 Eigen::Ref<Eigen::MatrixXf, 0, Eigen::OuterStride<>> y,
                 const gemm_options& opt = {}) {
  check_gemm_shapes(X, W);
  if (std::size_t(y.rows()) != X.rows() || std::size_t(y.cols()) != W.rows())
    throw shape_error("gemm: the output is " + std::to_string(y.rows()) + " x " +
                      std::to_string(y.cols()) + ", expected " + std::to_string(X.rows()) + " x " +
                      std::to_string(W.rows()));
  if (opt.threads < 1) throw error("gemm: threads must be at least 1");
  const kernels::backend& k = opt.backend ? *opt.backend : kernels::selected_backend();
  if (!k.supported())
    throw error("gemm: this CPU lacks " + k.missing() + " for " + std::string(k.name));
  constexpr std::size_t block = packed_weights::block_n;  // threads split at block boundaries
  const std::size_t blocks = (W.rows() + block - 1) / block;
  const std::size_t parts = std::min<std::size_t>(std::size_t(opt.threads), blocks);
  std::vector<gemm_stats> stats(parts);
  const kernels::int8_activations A =
      k.prepare ? k.prepare(X, W.type()) : kernels::int8_activations{};
  run_ranges(blocks, parts, [&](std::size_t part, std::size_t b0, std::size_t b1) {
    k.gemm({&X, &W, k.prepare ? &A : nullptr, opt.mode, b0 * block, std::min(W.rows(), b1 * block),
            y.data(), 1, std::size_t(y.outerStride()), &stats[part]});
  });
  if (opt.stats)
    for (const auto& s : stats) opt.stats->fp16_overflows += s.fp16_overflows;
}

// Y = X * W^T as a new T x N matrix.
inline Eigen::MatrixXf gemm(const activation_tensor& X, const int_weights& W,
                            const gemm_options& opt = {}) {
  Eigen::MatrixXf y(X.rows(), W.rows());
  gemm(X, W, y, opt);
  return y;
}

}  // namespace anda
