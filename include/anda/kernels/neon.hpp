// The NEON backend (every aarch64 CPU): the Advanced SIMD encoder, and a GeMM that uses sdot
// where the CPU has dotprod (Armv8.2 FEAT_DotProd) and widening multiplies elsewhere, chosen at
// run time.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_ARM64

#include "anda/kernels/neon/encode.hpp"
#include "anda/kernels/neon/gemm.hpp"

namespace anda::kernels::neon {

inline constexpr cpu_feature needs[] = {cpu_feature::neon};
inline constexpr backend record{"neon", needs, encode, float_to_fp16, prepare, gemm};

}  // namespace anda::kernels::neon

#endif
