// The encode kernel tables and the one every public operation uses (see isa.hpp).
#pragma once

#include "anda/simd/avx512.hpp"
#include "anda/simd/isa.hpp"
#include "anda/simd/scalar.hpp"

namespace anda::simd {

inline const kernel_table& scalar_kernels() {
  return scalar::table;
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

inline const kernel_table& kernels() {
  return selected_isa() == isa::avx512 ? *avx512_kernels() : scalar_kernels();
}

}  // namespace anda::simd
