// Picks the kernel table once per process: the best the CPU supports, unless the environment
// variable ANDA_ISA names one (`scalar` or `avx512`; anything else is an error).
#pragma once

#include <cstdlib>
#include <string>

#include "anda/format/error.hpp"
#include "anda/simd/avx512.hpp"
#include "anda/simd/scalar.hpp"

namespace anda::simd {

inline bool cpu_has_avx512() {
#ifdef ANDA_HAVE_AVX512_KERNELS
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

// The AVX-512 table, or nullptr where the CPU (or compiler) lacks it.
inline const kernel_table* avx512_kernels() {
#ifdef ANDA_HAVE_AVX512_KERNELS
  static const bool available = cpu_has_avx512();
  return available ? &avx512::table : nullptr;
#else
  return nullptr;
#endif
}

inline const kernel_table& scalar_kernels() {
  return scalar::table;
}

// The table every public operation uses. Throws anda::error for an unknown or unavailable
// ANDA_ISA value.
inline const kernel_table& kernels() {
  static const kernel_table* const chosen = [] {
    const char* requested = std::getenv("ANDA_ISA");
    const std::string isa = requested ? requested : "";
    if (isa == "scalar") return &scalar_kernels();
    if (isa == "avx512" && !avx512_kernels())
      throw error("ANDA_ISA=avx512, but this CPU or build has no AVX-512 (F, BW, VL) kernels");
    if (!isa.empty() && isa != "avx512")
      throw error("ANDA_ISA=" + isa + " is not known (use scalar or avx512)");
    return avx512_kernels() ? avx512_kernels() : &scalar_kernels();
  }();
  return *chosen;
}

}  // namespace anda::simd
