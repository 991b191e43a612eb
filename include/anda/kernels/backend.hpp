// A backend: one instruction set's kernels behind one record (registry.hpp lists them). The
// format and storage never see it; encode.hpp and gemm/gemm.hpp pick a record once per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "anda/format/format.hpp"
#include "anda/gemm/accumulate.hpp"
#include "anda/kernels/cpu.hpp"
#include "anda/kernels/int8_activations.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/int_weights.hpp"

namespace anda::kernels {

// Encode `rows` x `cols` FP16 values (row stride in elements) into the bit-plane layout of
// docs/format.md section 4: groups along the row, the tail zero-padded; one exponent byte per
// group.
struct encode_job {
  const std::uint16_t* src;
  std::size_t rows, cols, src_stride;
  format fmt;
  std::uint8_t* planes;     // rows * groups_per_row * fmt.group_bytes()
  std::uint8_t* exponents;  // rows * groups_per_row
};

// Returned by an encoder when every group was encoded.
inline constexpr std::size_t all_encoded = std::numeric_limits<std::size_t>::max();

// Output channels [n_begin, n_end) of every row t of Y = X * W^T, written to
// y[t * row_stride + n * col_stride], with the bits of docs/gemm.md. n_begin is a multiple of
// packed_weights::block_n. Shapes are checked by the caller.
struct gemm_job {
  const activation_tensor* X;
  const int_weights* W;
  const int8_activations* A;  // X as prepare() made it (null for a backend without prepare)
  accumulate mode;
  std::size_t n_begin, n_end;
  float* y;
  std::size_t row_stride, col_stride;
  gemm_stats* stats;  // may be null
};

struct backend {
  std::string_view name;
  std::span<const cpu_feature> needs;  // every one must be present to run any kernel here
  // Returns all_encoded, or under nonfinite::reject the index (row * groups_per_row + group)
  // of the first group holding Inf or NaN; the output is then incomplete and must be dropped.
  std::size_t (*encode)(const encode_job&);
  // FP32 -> FP16 bits, IEEE round to nearest even, overflow to +-Inf (fp16::from_float).
  void (*float_to_fp16)(const float* src, std::uint16_t* dst, std::size_t n);
  // X as gemm() reads it for weights of type t, made once per GeMM call and shared by every
  // thread; null where gemm() reads X itself.
  int8_activations (*prepare)(const activation_tensor& X, weight_type t);
  // One job; reads W.packed() where the backend uses the blocked layout.
  void (*gemm)(const gemm_job& job);
  // Optional: dst[r * cols + c] = float_to_fp16(src[r + c * col_stride]), FP32 columns (as
  // Eigen stores them) to rows of FP16 bits in one pass; null: encode_float_columns converts
  // the columns and then transposes the bits.
  void (*float_columns_to_fp16)(const float* src, std::size_t rows, std::size_t cols,
                                std::size_t col_stride, std::uint16_t* dst) = nullptr;

  // The features this CPU lacks, space-separated (empty: the backend runs here).
  std::string missing() const {
    std::string lacks;
    for (const cpu_feature f : needs)
      if (!cpu_has(f)) lacks.append(lacks.empty() ? "" : " ").append(to_string(f));
    return lacks;
  }
  bool supported() const { return missing().empty(); }
};

}  // namespace anda::kernels
