// The public FP-INT GeMM: Y[T x N] = X[T x K] * W^T with Anda activations X and integer weights
// W, bit-exact to reference_gemm for every kernel and thread count, written to Eigen.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <thread>
#include <vector>

#include "anda/gemm/reference.hpp"
#include "anda/simd/gemm_avx512.hpp"
#include "anda/simd/gemm_table.hpp"
#include "anda/simd/isa.hpp"

namespace anda {

namespace simd {

// The portable kernel is the reference itself.
inline std::shared_ptr<const void> scalar_prepare(const activation_tensor&) {
  return nullptr;
}
inline void scalar_gemm(const gemm_job& job, const void*) {
  reference_gemm_rows(*job.X, *job.W, job.mode, job.n_begin, job.n_end, job.y, job.row_stride,
                      job.col_stride, job.stats);
}
inline constexpr gemm_table scalar_gemm_kernels{"scalar", scalar_prepare, scalar_gemm};

inline const gemm_table* avx512_gemm_kernels() {
#ifdef ANDA_HAVE_AVX512_GEMM
  static const bool available = cpu_has_avx512_vnni();
  return available ? &avx512::gemm_kernels : nullptr;
#else
  return nullptr;
#endif
}

// AVX-512 VNNI where the selected ISA is AVX-512 and the CPU has VNNI; else the scalar path.
inline const gemm_table& gemm_kernels() {
  const gemm_table* fast = avx512_gemm_kernels();
  return selected_isa() == isa::avx512 && fast ? *fast : scalar_gemm_kernels;
}

}  // namespace simd

struct gemm_options {
  accumulate mode = accumulate::fp32;
  int threads = 1;                            // output channels split across threads
  const simd::gemm_table* kernels = nullptr;  // null: the selected ISA's
  gemm_stats* stats = nullptr;                // optional: FP16 overflows in paper mode
};

// Writes Y = X * W^T into y: a T x N column-major matrix or block of one (any outer stride).
// Worker threads are started per call; results are identical for any thread count.
inline void gemm(const activation_tensor& X, const int_weights& W,
                 Eigen::Ref<Eigen::MatrixXf, 0, Eigen::OuterStride<>> y,
                 const gemm_options& opt = {}) {
  check_gemm_shapes(X, W);
  if (std::size_t(y.rows()) != X.rows() || std::size_t(y.cols()) != W.rows())
    throw shape_error("gemm: the output is " + std::to_string(y.rows()) + " x " +
                      std::to_string(y.cols()) + ", expected " + std::to_string(X.rows()) + " x " +
                      std::to_string(W.rows()));
  if (opt.threads < 1) throw error("gemm: threads must be at least 1");
  const simd::gemm_table& k = opt.kernels ? *opt.kernels : simd::gemm_kernels();
  const std::size_t blocks = W.padded_rows() / int_weights::block_n;
  const std::size_t parts = std::min<std::size_t>(std::size_t(opt.threads), blocks);
  std::vector<gemm_stats> stats(parts);
  const auto prepared = k.prepare(X);
  auto run = [&](std::size_t part) {
    const std::size_t b0 = blocks * part / parts, b1 = blocks * (part + 1) / parts;
    k.gemm(
        {&X, &W, opt.mode, b0 * int_weights::block_n, std::min(W.rows(), b1 * int_weights::block_n),
         y.data(), 1, std::size_t(y.outerStride()), &stats[part]},
        prepared.get());
  };
  std::vector<std::jthread> workers;
  for (std::size_t part = 1; part < parts; ++part) workers.emplace_back(run, part);
  run(0);
  workers.clear();  // join
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
