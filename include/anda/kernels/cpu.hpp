// CPU features the backends need, detected once per process (x86-64 through the compiler's
// cpuid builtins, aarch64 Linux through the kernel's HWCAP bits). Other targets report none, and
// only the portable backend runs there.
#pragma once

#include <string_view>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

// Which SIMD backends this compiler and target can build (each through target attributes, so
// no -march flag is needed).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ANDA_KERNELS_X86 1
#endif
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define ANDA_KERNELS_ARM64 1
#endif

namespace anda::kernels {

enum class cpu_feature {
  avx2,
  fma,
  f16c,
  avx_vnni,  // VEX vpdpbusd on xmm/ymm (no AVX-512 needed)
  avx512f,
  avx512bw,
  avx512vl,
  avx512vnni,
  amx_int8,  // AMX-TILE + AMX-INT8, and the OS's leave to use the tile registers
  neon,      // Advanced SIMD: part of every aarch64 CPU
  dotprod,   // sdot/udot (Armv8.2 FEAT_DotProd)
};

constexpr std::string_view to_string(cpu_feature f) {
  switch (f) {
    case cpu_feature::avx2:
      return "avx2";
    case cpu_feature::fma:
      return "fma";
    case cpu_feature::f16c:
      return "f16c";
    case cpu_feature::avx_vnni:
      return "avx_vnni";
    case cpu_feature::avx512f:
      return "avx512f";
    case cpu_feature::avx512bw:
      return "avx512bw";
    case cpu_feature::avx512vl:
      return "avx512vl";
    case cpu_feature::avx512vnni:
      return "avx512vnni";
    case cpu_feature::amx_int8:
      return "amx_int8";
    case cpu_feature::neon:
      return "neon";
    case cpu_feature::dotprod:
      return "dotprod";
  }
  return "?";
}

namespace detail {
inline bool detect(cpu_feature f) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  switch (f) {
    case cpu_feature::avx2:
      return __builtin_cpu_supports("avx2");
    case cpu_feature::fma:
      return __builtin_cpu_supports("fma");
    case cpu_feature::f16c: {  // clang 14's __builtin_cpu_supports does not know "f16c"
      unsigned a = 0, b = 0, c = 0, d = 0;
      return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0 &&
             __builtin_cpu_supports("avx");  // F16C works on the AVX state the OS enables
    }
    case cpu_feature::avx_vnni: {  // CPUID.(EAX=7,ECX=1):EAX bit 4; clang 14 has no builtin name
      unsigned a = 0, b = 0, c = 0, d = 0;
      return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0 &&
             __builtin_cpu_supports("avx2");  // on the AVX state the OS enables
    }
    case cpu_feature::avx512f:
      return __builtin_cpu_supports("avx512f");
    case cpu_feature::avx512bw:
      return __builtin_cpu_supports("avx512bw");
    case cpu_feature::avx512vl:
      return __builtin_cpu_supports("avx512vl");
    case cpu_feature::avx512vnni:
      return __builtin_cpu_supports("avx512vnni");
    case cpu_feature::amx_int8: {  // CPUID.(EAX=7,ECX=0):EDX bits 24 (AMX-TILE), 25 (AMX-INT8)
      unsigned a = 0, b = 0, c = 0, d = 0;
      if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || (d & (3u << 24)) != (3u << 24)) return false;
#if defined(__linux__)
      // Linux enables the 8 KiB tile state only for a process that asks (5.16 and later):
      // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); granted for every thread.
      constexpr long arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18;
      return syscall(SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
#else
      return false;
#endif
    }
    default:
      return false;
  }
#elif defined(__aarch64__)
  if (f == cpu_feature::neon) return true;
#if defined(__linux__)
  constexpr unsigned long hwcap_asimddp = 1ul << 20;  // HWCAP_ASIMDDP in <asm/hwcap.h>
  if (f == cpu_feature::dotprod) return (getauxval(AT_HWCAP) & hwcap_asimddp) != 0;
#endif
  return false;
#else
  (void)f;
  return false;
#endif
}
}  // namespace detail

// Whether this CPU has feature f (detected once per feature).
inline bool cpu_has(cpu_feature f) {
  static const auto table = [] {
    constexpr int count = int(cpu_feature::dotprod) + 1;
    struct flags {
      bool has[count];
    } t{};
    for (int i = 0; i < count; ++i) t.has[i] = detail::detect(cpu_feature(i));
    return t;
  }();
  return table.has[int(f)];
}

}  // namespace anda::kernels
