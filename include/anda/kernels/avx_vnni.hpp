// The AVX-VNNI backend (Intel Alder Lake and later clients, AMD Zen 5): the AVX2 backend with VEX
// vpdpbusd on ymm (u8 x s8, four products summed into int32) in place of vpmaddubsw + vpmaddwd,
// so INT8 weights take 7-bit activation chunks too. The encoder is AVX2's.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include "anda/kernels/avx2/encode.hpp"
#include "anda/kernels/avx2/gemm.hpp"

namespace anda::kernels::avx_vnni {

inline constexpr cpu_feature needs[] = {cpu_feature::avx2, cpu_feature::fma, cpu_feature::f16c,
                                        cpu_feature::avx_vnni};
inline constexpr backend record{"avx_vnni",
                                needs,
                                avx2::encode,
                                avx2::float_to_fp16,
                                avx2::prepare_vnni,
                                avx2::gemm_vnni,
                                avx2::float_columns_to_fp16};

}  // namespace anda::kernels::avx_vnni

#endif
