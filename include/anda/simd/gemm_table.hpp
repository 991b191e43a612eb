// The GeMM kernel interface: one function per ISA computing a range of output channels of
// Y = X * W^T with the bits of gemm.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "anda/gemm/accumulate.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/int_weights.hpp"

namespace anda::simd {

// Output channels [n_begin, n_end) of every row t: y[t * row_stride + n * col_stride].
// n_begin is a multiple of int_weights::block_n. Shapes are checked by the caller.
struct gemm_job {
  const activation_tensor* X;
  const int_weights* W;
  accumulate mode;
  std::size_t n_begin, n_end;
  float* y;
  std::size_t row_stride, col_stride;
  gemm_stats* stats;  // may be null
};

// prepare() turns X into what gemm() reads (once per call, shared by every thread); gemm() then
// runs one job on it.
struct gemm_table {
  std::string_view name;
  std::shared_ptr<const void> (*prepare)(const activation_tensor& X);
  void (*gemm)(const gemm_job& job, const void* prepared);
};

}  // namespace anda::simd
