// Which instruction set the library's kernels use: detected once per process, overridable with
// the environment variable ANDA_ISA (`scalar` or `avx512`; anything else is an error).
#pragma once

#include <cstdlib>
#include <string>

#include "anda/format/error.hpp"

namespace anda::simd {

enum class isa { scalar, avx512 };

// What the AVX-512 encoder needs: F, BW, VL and F16C.
inline bool cpu_has_avx512() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

// What the AVX-512 GeMM needs in addition: VNNI (vpdpbusd).
inline bool cpu_has_avx512_vnni() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  return cpu_has_avx512() && __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

// Read once per process. Throws anda::error for an unknown or unavailable ANDA_ISA value.
inline isa selected_isa() {
  static const isa chosen = [] {
    const char* requested = std::getenv("ANDA_ISA");
    const std::string name = requested ? requested : "";
    if (name == "scalar") return isa::scalar;
    if (name == "avx512" && !cpu_has_avx512())
      throw error("ANDA_ISA=avx512, but this CPU lacks AVX-512 F, BW, VL or F16C");
    if (!name.empty() && name != "avx512")
      throw error("ANDA_ISA=" + name + " is not known (use scalar or avx512)");
    return cpu_has_avx512() ? isa::avx512 : isa::scalar;
  }();
  return chosen;
}

}  // namespace anda::simd
