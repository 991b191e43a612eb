// The AVX2 backend (Intel Haswell and later, AMD Zen 1 and later): AVX2 with FMA and F16C. The
// GeMM multiplies through vpmaddubsw (u8 x s8 -> s16 pairs), as there is no VNNI here.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include "anda/kernels/avx2/encode.hpp"
#include "anda/kernels/avx2/gemm.hpp"

namespace anda::kernels::avx2 {

inline constexpr cpu_feature needs[] = {cpu_feature::avx2, cpu_feature::fma, cpu_feature::f16c};
inline constexpr backend record{
    "avx2", needs, encode, float_to_fp16, prepare, gemm, float_columns_to_fp16};

}  // namespace anda::kernels::avx2

#endif
