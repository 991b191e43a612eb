// The AMX backend (Intel Sapphire Rapids and later Xeons): the avx512 backend with the prefill
// GeMM on the tile registers (tdpbssd: 16 tokens x 16 channels x 64 k per instruction).
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include "anda/kernels/amx/gemm.hpp"
#include "anda/kernels/avx512.hpp"

namespace anda::kernels::amx {

inline constexpr cpu_feature needs[] = {cpu_feature::avx512f,  cpu_feature::avx512bw,
                                        cpu_feature::avx512vl, cpu_feature::avx512vnni,
                                        cpu_feature::f16c,     cpu_feature::amx_int8};
inline constexpr backend record{"amx",
                                needs,
                                avx512::encode,
                                avx512::float_to_fp16,
                                avx512::prepare_vnni,
                                gemm,
                                avx512::float_columns_to_fp16};

}  // namespace anda::kernels::amx

#endif
