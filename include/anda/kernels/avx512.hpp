// The AVX-512 backend (Intel Ice Lake and later Xeons, AMD Zen 4 and 5): F + BW + VL with F16C
// for the encoder, VNNI (vpdpbusd) for the GeMM.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include "anda/kernels/avx512/encode.hpp"
#include "anda/kernels/avx512/gemm.hpp"

namespace anda::kernels::avx512 {

inline constexpr cpu_feature needs[] = {cpu_feature::avx512f, cpu_feature::avx512bw,
                                        cpu_feature::avx512vl, cpu_feature::avx512vnni,
                                        cpu_feature::f16c};
inline constexpr backend record{
    "avx512", needs, encode, float_to_fp16, prepare_vnni, gemm, float_columns_to_fp16};

}  // namespace anda::kernels::avx512

#endif
