// The portable backend: the reference encoder group by group, then the plane layout; the
// reference GeMM itself. Runs on every CPU; every other backend must return its bits.
#pragma once

#include <algorithm>
#include <array>

#include "anda/format/reference.hpp"
#include "anda/gemm/reference.hpp"
#include "anda/kernels/backend.hpp"
#include "anda/storage/bit_planes.hpp"

namespace anda::kernels::scalar {

inline std::size_t encode(const encode_job& job) {
  const int G = job.fmt.group();
  const int M = job.fmt.mantissa();
  const std::size_t groups = groups_per_row(job.cols, G);
  std::array<std::uint16_t, 256> values{};
  std::array<std::uint8_t, 256> signs{};
  std::array<std::uint32_t, 256> magnitudes{};
  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t begin = g * G;
      const std::size_t n = std::min<std::size_t>(G, job.cols - begin);
      std::fill(values.begin(), values.end(), std::uint16_t{0});  // zero padding [ours]
      std::copy(row + begin, row + begin + n, values.begin());
      const unsigned E = reference::encode_group({values.data(), std::size_t(G)}, M,
                                                 job.fmt.round(), signs, magnitudes);
      const std::size_t index = r * groups + g;
      if (E == reference::nonfinite_exponent && job.fmt.nonfinite_policy() == nonfinite::reject)
        return index;
      job.exponents[index] = static_cast<std::uint8_t>(E);
      pack_group(signs, magnitudes, G, M, job.planes + index * job.fmt.group_bytes());
    }
  }
  return all_encoded;
}

inline void float_to_fp16(const float* src, std::uint16_t* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = fp16::from_float(src[i]).bits();
}

inline void gemm(const gemm_job& job) {
  reference_gemm_rows(*job.X, *job.W, job.mode, job.n_begin, job.n_end, job.y, job.row_stride,
                      job.col_stride, job.stats);
}

inline constexpr backend record{"scalar", {}, encode, float_to_fp16, nullptr, gemm};

}  // namespace anda::kernels::scalar
