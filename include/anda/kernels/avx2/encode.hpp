// AVX2 (with FMA and F16C) encoder kernels for CPUs without AVX-512 (Haswell to Alder Lake,
// AMD Zen 1 to 3). Compiled through per-function target attributes, so the library needs no
// -march flag; reached only through the backend record after CPU detection.
//
// AVX2 lacks 16-bit variable shifts and mask registers, so the aligned magnitudes are computed in
// float: |x| is exactly a float (vcvtph2ps), a = |x| * 2^(M + 14 - max(E, 1)) is the exact
// aligned magnitude S * 2^(M - 11 - d) of reference::rounded_magnitude (a power-of-two multiply
// of an 11-bit significand, always a normal float: 2^-39 <= a < 2^16 or a = 0), and rounding it
// to an integer is one instruction that names its rounding (never the caller's MXCSR). The
// magnitudes are then narrowed to bytes: vpmovmskb reads one plane of 32 elements at once for
// groups of 32 and more; groups of 8 and 16 transpose bits inside each 64-bit lane instead, so
// that a group's planes come out as whole bytes in their stored order.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "anda/format/reference.hpp"
#include "anda/kernels/backend.hpp"
#include "anda/storage/bit_planes.hpp"

#define ANDA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
// The per-vector helpers: always inlined, so that the vectors they pass around stay in registers
// (GCC otherwise leaves some out-of-line, with their arguments in memory).
#define ANDA_TARGET_AVX2_INLINE __attribute__((target("avx2,fma,f16c"), always_inline))

// GCC 12 warns about the deliberately undefined pass-through operand inside its own intrinsics
// (_mm256_undefined_*, GCC bug 105593); nothing of ours is uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Inline functions with external linkage: every translation unit sees the same definitions
// with the same target attributes (no per-TU -march), so the ODR holds.
namespace anda::kernels::avx2 {

// The float 2^(M + 14 - max(E, 1)) that aligns |x| to the shared exponent E (E = 0 only for an
// all-zero group, where any scale gives zero): exponent field 127 + M + 14 - max(E, 1), which
// is 112..156 for E = 1..30 and M = 1..16, so the scale is a normal float.
inline float alignment_scale(unsigned E, int M) {
  const int field = 141 + M - static_cast<int>(std::max(E, 1u));
  return std::bit_cast<float>(static_cast<std::uint32_t>(field) << 23);
}

// E from the largest |x| bit pattern of a finite group: 0 (all zero), 1 (subnormal), else the
// exponent field.
inline unsigned shared_exponent(unsigned top) {
  return std::max(top >> 10, top ? 1u : 0u);
}

// One group through the reference (only for groups holding Inf or NaN, where the format's rules
// are about signs and E = 31, not speed). `values` holds G values, zero-padded.
inline unsigned encode_group_reference(const std::uint16_t* values, int G, int M, rounding round,
                                       std::uint8_t* out) {
  std::array<std::uint8_t, 256> signs{};
  std::array<std::uint32_t, 256> magnitudes{};
  const unsigned E = reference::encode_group({values, std::size_t(G)}, M, round, signs, magnitudes);
  pack_group(signs, magnitudes, G, M, out);
  return E;
}

// Pointer to `n` values of the row from `start`: the row itself when they are all there, else a
// copy zero-padded to n in `pad` (the tail group, docs/format.md section 4).
inline const std::uint16_t* padded(const std::uint16_t* row, std::size_t cols, std::size_t start,
                                   std::size_t n, std::uint16_t* pad) {
  if (start + n <= cols) return row + start;
  std::fill(pad, pad + n, std::uint16_t{0});
  std::copy(row + start, row + cols, pad);
  return pad;
}

// Fetches the 64 bytes at p + 4 KiB (one wide block ahead) while the current block is computed:
// without it the plane pass leaves the memory system idle (measured: about 1.4x faster from DRAM).
constexpr std::size_t prefetch_bytes = 4096;
ANDA_TARGET_AVX2_INLINE inline void prefetch_ahead(const std::uint16_t* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p) + prefetch_bytes, _MM_HINT_T0);
}

// 8 aligned magnitudes a (exact floats, 0 <= a < 2^M) rounded to integers (<= 2^M) as `R` says.
template <rounding R>
ANDA_TARGET_AVX2_INLINE inline __m256i round_to_int(__m256 a) {
  if constexpr (R == rounding::truncate) {
    return _mm256_cvttps_epi32(a);
  } else if constexpr (R == rounding::nearest_even) {
    // The rounding is in the immediate, so the caller's MXCSR mode does not matter.
    return _mm256_cvttps_epi32(_mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  } else {
    // Ties away: floor(a + 0.5) (a >= 0). The sum is exact whenever a >= 2^-14 (a's 11
    // significant bits then lie within 24 bits of the sum's top bit); below that the sum lies
    // in [0.5, 1) under any rounding mode, and floors to 0 as a + 0.5 would.
    return _mm256_cvttps_epi32(_mm256_add_ps(a, _mm256_set1_ps(0.5f)));
  }
}

// The saturated magnitudes of the 32 elements at p, as bytes in element order: `low` holds bits
// 7..0, `high` bits 15..8 (zero for M <= 8). s[q] is the alignment scale of elements 8q..8q+7.
template <rounding R>
ANDA_TARGET_AVX2_INLINE inline void magnitude_bytes(const std::uint16_t* p, const __m256 (&s)[4],
                                                    int M, __m256i& low, __m256i& high) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  // Written out (no loop over an array) so that everything stays in registers.
  auto aligned8 = [&](int k) ANDA_TARGET_AVX2_INLINE {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8 * k));
    return round_to_int<R>(_mm256_mul_ps(_mm256_and_ps(_mm256_cvtph_ps(h), abs_mask), s[k]));
  };
  // vpackusdw packs within 128-bit lanes (elements 0-3 8-11 | 4-7 12-15) and saturates 2^16 to
  // 2^16 - 1 (M = 16's maximum); vpackuswb after it leaves 4-element runs as 0 2 4 6 1 3 5 7.
  const __m256i m0 = _mm256_packus_epi32(aligned8(0), aligned8(1));
  const __m256i m1 = _mm256_packus_epi32(aligned8(2), aligned8(3));
  const __m256i unscramble = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  // Truncation never reaches 2^M (a < 2^M), so only the rounding modes saturate.
  constexpr bool saturate = R != rounding::truncate;
  if (M <= 8) {
    // vpackuswb saturates 256 (= 2^8, M = 8 rounded up) to 255; the min saturates at 2^M - 1.
    low = _mm256_packus_epi16(m0, m1);
    if (saturate) low = _mm256_min_epu8(low, _mm256_set1_epi8(static_cast<char>((1u << M) - 1u)));
    low = _mm256_permutevar8x32_epi32(low, unscramble);
    high = _mm256_setzero_si256();
  } else {
    __m256i s0 = m0, s1 = m1;
    if (saturate) {
      const __m256i max = _mm256_set1_epi16(static_cast<short>((1u << M) - 1u));
      s0 = _mm256_min_epu16(m0, max);
      s1 = _mm256_min_epu16(m1, max);
    }
    // Each 128-bit lane's low bytes to its first 8 bytes, high bytes to its last 8; unpacking
    // the 64-bit halves then gives vpackuswb's order in 4 shuffles instead of 6 ALU ops.
    const __m256i split = _mm256_broadcastsi128_si256(
        _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
    const __m256i t0 = _mm256_shuffle_epi8(s0, split), t1 = _mm256_shuffle_epi8(s1, split);
    low = _mm256_permutevar8x32_epi32(_mm256_unpacklo_epi64(t0, t1), unscramble);
    high = _mm256_permutevar8x32_epi32(_mm256_unpackhi_epi64(t0, t1), unscramble);
  }
}

// The 32 elements at p as bytes whose bit 7 is the element's sign, in element order
// (vpacksswb keeps signs; its 64-bit runs come out as 0 2 1 3).
ANDA_TARGET_AVX2_INLINE inline __m256i sign_bytes(const std::uint16_t* p) {
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16));
  return _mm256_permute4x64_epi64(_mm256_packs_epi16(b0, b1), 0xD8);
}

// The largest of 16 unsigned 16-bit lanes (vphminposuw finds the smallest of 8: complement).
ANDA_TARGET_AVX2_INLINE inline unsigned horizontal_max(__m256i v) {
  const __m128i m = _mm_max_epu16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i smallest = _mm_minpos_epu16(_mm_xor_si128(m, _mm_set1_epi16(-1)));
  return 0xFFFFu - (static_cast<unsigned>(_mm_cvtsi128_si32(smallest)) & 0xFFFFu);
}

// ---- Groups of 32, 64, 128, 256: one plane word per vpmovmskb ----

// The planes of 32 elements (or 64: two halves a and b) as bit 7 of bytes: `sign`, then `top`
// (the high magnitude bytes for M > 8, else the low ones) holding the most significant plane,
// then `low` (M > 8). Each vector is shifted once so that its first plane sits at bit 7; vpaddb
// (a left shift that stays inside each byte) moves the next plane there.
struct plane_bytes32 {
  __m256i sign, top, low;
};

template <rounding R>
ANDA_TARGET_AVX2_INLINE inline plane_bytes32 planes_of(const std::uint16_t* p, const __m256 (&s)[4],
                                                       int M) {
  __m256i low, high;
  magnitude_bytes<R>(p, s, M, low, high);
  const __m128i top_shift = _mm_cvtsi32_si128(M > 8 ? 16 - M : 8 - M);
  return {sign_bytes(p), _mm256_sll_epi16(M > 8 ? high : low, top_shift), low};
}

// Writes planes [first, first + count) of one vector (32-bit words) at out + plane * stride.
ANDA_TARGET_AVX2_INLINE inline void store_planes32(__m256i v, int first, int count,
                                                   std::uint8_t* out, std::size_t stride) {
  for (int p = first; p < first + count; ++p) {
    const auto word = static_cast<std::uint32_t>(_mm256_movemask_epi8(v));
    std::memcpy(out + p * stride, &word, 4);
    v = _mm256_add_epi8(v, v);
  }
}

// The same for two vectors of consecutive elements (64-bit words).
ANDA_TARGET_AVX2_INLINE inline void store_planes64(__m256i a, __m256i b, int first, int count,
                                                   std::uint8_t* out, std::size_t stride) {
  for (int p = first; p < first + count; ++p) {
    const std::uint64_t word = static_cast<std::uint32_t>(_mm256_movemask_epi8(a)) |
                               std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(b))}
                                   << 32;
    std::memcpy(out + p * stride, &word, 8);
    a = _mm256_add_epi8(a, a);
    b = _mm256_add_epi8(b, b);
  }
}

// Groups of 32 to 256, a block of groups at a time in two passes: first every group's exponent
// and scale (a reduction to a scalar), then the planes. Keeping the reduction's latency out of
// the plane pass lets consecutive groups overlap.
template <rounding R>
ANDA_TARGET_AVX2 inline std::size_t encode_wide(const encode_job& job) {
  const int G = job.fmt.group();
  const int M = job.fmt.mantissa();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, G);
  const std::size_t stride = job.fmt.plane_bytes();
  const std::size_t group_bytes = job.fmt.group_bytes();
  std::uint8_t* const planes = job.planes;  // locals: byte stores may alias anything
  std::uint8_t* const exponents = job.exponents;
  const __m256i magnitude_mask = _mm256_set1_epi16(0x7FFF);
  const int top_planes = M > 8 ? M - 8 : M;
  constexpr std::size_t block_values = 2048;  // 4 KiB of input: re-read from L1 in pass 2
  const std::size_t block = std::max<std::size_t>(1, block_values / G);
  float scales[block_values / 32];  // 0: the group holds Inf or NaN
  alignas(32) std::uint16_t pad[256];

  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g0 = 0; g0 < groups; g0 += block) {
      const std::size_t n = std::min(block, groups - g0);
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint16_t* values = padded(row, job.cols, (g0 + k) * G, G, pad);
        __m256i largest = _mm256_setzero_si256();
        for (int i = 0; i < G; i += 16) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + i));
          largest = _mm256_max_epu16(largest, _mm256_and_si256(v, magnitude_mask));
        }
        // The largest |x| bit pattern carries E; Inf and NaN patterns are >= 0x7C00.
        const unsigned top = horizontal_max(largest);
        const std::size_t index = r * groups + g0 + k;
        const bool nonfinite_group = top >= 0x7C00;
        if (nonfinite_group && reject) return index;
        const unsigned E = nonfinite_group ? reference::nonfinite_exponent : shared_exponent(top);
        exponents[index] = static_cast<std::uint8_t>(E);
        scales[k] = nonfinite_group ? 0.0f : alignment_scale(E, M);
      }
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint16_t* values = padded(row, job.cols, (g0 + k) * G, G, pad);
        const std::size_t index = r * groups + g0 + k;
        std::uint8_t* const out = planes + index * group_bytes;
        // The output record one block ahead as well: a store to a line missing from L1 holds
        // its store-buffer entry until the line arrives, and 1 + M stores per group fill the
        // buffer (measured: M = 11 about 1.25x faster from DRAM). A read prefetch suffices: a
        // line no other core holds arrives exclusive, ready for the stores (prefetchw needs a
        // CPUID bit that Haswell lacks).
        for (std::size_t line = 0; line < group_bytes; line += 64)
          _mm_prefetch(reinterpret_cast<const char*>(out + block * group_bytes + line),
                       _MM_HINT_T0);
        if (scales[k] == 0.0f) {
          encode_group_reference(values, G, M, R, out);  // E = 31 is already stored
          continue;
        }
        const __m256 scale = _mm256_set1_ps(scales[k]);
        const __m256 s[4] = {scale, scale, scale, scale};
        if (G == 32) {
          prefetch_ahead(values);
          const plane_bytes32 v = planes_of<R>(values, s, M);
          store_planes32(v.sign, 0, 1, out, stride);
          store_planes32(v.top, 1, top_planes, out, stride);
          if (M > 8) store_planes32(v.low, 1 + top_planes, 8, out, stride);
          continue;
        }
        for (int i = 0; i < G; i += 64) {
          prefetch_ahead(values + i);
          prefetch_ahead(values + i + 32);
          const plane_bytes32 a = planes_of<R>(values + i, s, M);
          const plane_bytes32 b = planes_of<R>(values + i + 32, s, M);
          std::uint8_t* const word = out + i / 8;
          store_planes64(a.sign, b.sign, 0, 1, word, stride);
          store_planes64(a.top, b.top, 1, top_planes, word, stride);
          if (M > 8) store_planes64(a.low, b.low, 1 + top_planes, 8, word, stride);
        }
      }
    }
  }
  return all_encoded;
}

// ---- Groups of 8 and 16: planes by a bit transpose ----

// 8 x 8 bit transpose inside each 64-bit lane: byte k of the result holds bit k of bytes 0..7
// (byte i's in bit i), i.e. plane k of 8 consecutive elements as one stored byte.
template <int shift>
ANDA_TARGET_AVX2_INLINE inline __m256i transpose_step(__m256i x, long long mask) {
  const __m256i t =
      _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, shift)), _mm256_set1_epi64x(mask));
  return _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, shift));
}

ANDA_TARGET_AVX2_INLINE inline __m256i transpose_bits(__m256i x) {
  x = transpose_step<7>(x, 0x00AA00AA00AA00AA);
  x = transpose_step<14>(x, 0x0000CCCC0000CCCC);
  return transpose_step<28>(x, 0x00000000F0F0F0F0);
}

// Every 32-bit lane of the result: the largest |x| bit pattern of its group (G = 8: its 128-bit
// lane, G = 16: the whole vector), from a butterfly of lane swaps.
ANDA_TARGET_AVX2_INLINE inline __m256i group_max(__m256i abs, int G) {
  __m256i x = _mm256_max_epu16(abs, _mm256_shuffle_epi32(abs, 0x4E));
  x = _mm256_max_epu16(x, _mm256_shuffle_epi32(x, 0xB1));
  if (G == 16) x = _mm256_max_epu16(x, _mm256_permute2x128_si256(x, x, 0x01));
  x = _mm256_max_epu16(x, _mm256_srli_epi32(x, 16));  // low half: the max of both halves
  return _mm256_and_si256(x, _mm256_set1_epi32(0xFFFF));
}

// Stores the 16-byte (G = 16: one per 128-bit lane) or 8-byte (G = 8: one per 64-bit lane) parts
// of consecutive records, `step` bytes apart, in order. movq / movhps store 64-bit halves
// straight from the register.
template <int G>
ANDA_TARGET_AVX2_INLINE inline void store_parts(__m256i v, std::uint8_t* to, std::size_t step) {
  const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
  if constexpr (G == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + step), hi);
  } else {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(to), lo);
    _mm_storeh_pi(reinterpret_cast<__m64*>(to + step), _mm_castsi128_ps(lo));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(to + 2 * step), hi);
    _mm_storeh_pi(reinterpret_cast<__m64*>(to + 3 * step), _mm_castsi128_ps(hi));
  }
}

// Runs of 32 values (4 groups of 8, 2 of 16). A group's record (its 1 + M planes) is built from
// up to two transposed byte vectors: A, whose bytes are the sign (bit 7) and the top magnitude
// bits, and B, the low magnitude byte (M >= 8). M = 16 has no spare bit: its sign plane is stored
// on its own. Each part is reordered (vpshufb) into stored plane order and written with one
// 8- or 16-byte store that may run past the record into the next one, which is written later;
// partial runs and the job's last run go through a scratch buffer instead.
template <rounding R, int G>
ANDA_TARGET_AVX2 inline std::size_t encode_narrow(const encode_job& job) {
  constexpr std::size_t groups_per_run = 32 / G;
  constexpr std::size_t pb = G / 8;  // bytes per plane
  const int M = job.fmt.mantissa();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, G);
  const std::size_t group_bytes = job.fmt.group_bytes();
  const std::size_t total_groups = job.rows * groups;
  std::uint8_t* const planes = job.planes;
  std::uint8_t* const exponents = job.exponents;
  const std::size_t runs = (groups + groups_per_run - 1) / groups_per_run;

  // The record layout: A's planes (na of them) from a_offset, then B's 8 planes. A is the low
  // byte (M <= 7) or the high byte (M >= 8), whose bit 7 is free for the sign up to M = 15.
  const bool sign_apart = M == 16;
  const bool has_b = M >= 8;
  const int a_bits = M >= 8 ? (M == 16 ? 8 : M - 8) : M;  // magnitude bits in A
  const int na = a_bits + (sign_apart ? 0 : 1);
  const std::size_t a_offset = sign_apart ? pb : 0;
  const std::size_t b_offset = a_offset + na * pb;
  // vpshufb tables, the same for both 128-bit lanes. A's planes in stored order: the sign (bit
  // 7) unless apart, then bits a_bits - 1 .. 0; B's: bits 7..0. G = 8 reorders each 64-bit
  // lane; G = 16 interleaves the two (elements 0-7 and 8-15 of one group) byte by byte.
  alignas(32) std::uint8_t order_a[32], order_b[32];
  for (int lane = 0; lane < 2; ++lane)
    for (int i = 0; i < 16; ++i) {
      const int plane = G == 8 ? i % 8 : i / 2, half = G == 8 ? i / 8 : i % 2;
      const int bit_a = sign_apart ? 7 - plane : plane == 0 ? 7 : a_bits - plane;
      order_a[16 * lane + i] = static_cast<std::uint8_t>(8 * half + (bit_a < 0 ? 0 : bit_a));
      order_b[16 * lane + i] = static_cast<std::uint8_t>(8 * half + 7 - plane);
    }
  const __m256i shuffle_a = _mm256_load_si256(reinterpret_cast<const __m256i*>(order_a));
  const __m256i shuffle_b = _mm256_load_si256(reinterpret_cast<const __m256i*>(order_b));

  const __m256i magnitude_mask = _mm256_set1_epi16(0x7FFF);
  const __m256i limit = _mm256_set1_epi32(0x7BFF);
  const __m256i scale_base = _mm256_set1_epi32(141 + M);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i sign_bit = _mm256_set1_epi8(static_cast<char>(0x80));
  alignas(32) std::uint16_t pad[32];
  std::uint8_t scratch[groups_per_run * 17 * pb + 16];

  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t run = 0; run < runs; ++run) {
      const std::size_t first = run * groups_per_run;
      const std::size_t count = std::min(groups_per_run, groups - first);
      const std::uint16_t* values = padded(row, job.cols, first * G, 32, pad);
      const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values));
      const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + 16));
      const __m256i t0 = group_max(_mm256_and_si256(b0, magnitude_mask), G);
      const __m256i t1 = group_max(_mm256_and_si256(b1, magnitude_mask), G);
      const std::size_t index = r * groups + first;
      std::uint8_t* const out = planes + index * group_bytes;
      const __m256i nonfinite_lanes =
          _mm256_or_si256(_mm256_cmpgt_epi32(t0, limit), _mm256_cmpgt_epi32(t1, limit));
      if (!_mm256_testz_si256(nonfinite_lanes, nonfinite_lanes)) {
        // Rare: the whole run through the reference, group by group in order.
        for (std::size_t j = 0; j < count; ++j) {
          const unsigned E = encode_group_reference(values + j * G, G, M, R, out + j * group_bytes);
          if (E == reference::nonfinite_exponent && reject) return index + j;
          exponents[index + j] = static_cast<std::uint8_t>(E);
        }
        continue;
      }
      // E = top >> 10 for normals, 1 for subnormals, 0 for zero; the scale uses max(E, 1).
      const __m256i e0 = _mm256_max_epi32(_mm256_srli_epi32(t0, 10), _mm256_min_epi32(t0, one));
      const __m256i e1 = _mm256_max_epi32(_mm256_srli_epi32(t1, 10), _mm256_min_epi32(t1, one));
      const __m256 c0 = _mm256_castsi256_ps(
          _mm256_slli_epi32(_mm256_sub_epi32(scale_base, _mm256_max_epi32(e0, one)), 23));
      const __m256 c1 = _mm256_castsi256_ps(
          _mm256_slli_epi32(_mm256_sub_epi32(scale_base, _mm256_max_epi32(e1, one)), 23));
      // G = 8: each 128-bit lane is a group, broadcast to the 8 floats of its elements.
      const __m256 s[4] = {
          G == 8 ? _mm256_permute2f128_ps(c0, c0, 0x00) : c0,
          G == 8 ? _mm256_permute2f128_ps(c0, c0, 0x11) : c0,
          G == 8 ? _mm256_permute2f128_ps(c1, c1, 0x00) : c1,
          G == 8 ? _mm256_permute2f128_ps(c1, c1, 0x11) : c1,
      };
      // Group j's exponent: 32-bit lane 0 or 4 of e0, then of e1 (G = 8); lane 0 of each (16).
      const std::uint8_t E[4] = {
          static_cast<std::uint8_t>(_mm256_cvtsi256_si32(e0)),
          static_cast<std::uint8_t>(G == 8 ? _mm256_extract_epi32(e0, 4)
                                           : _mm256_cvtsi256_si32(e1)),
          static_cast<std::uint8_t>(G == 8 ? _mm256_cvtsi256_si32(e1) : 0),
          static_cast<std::uint8_t>(G == 8 ? _mm256_extract_epi32(e1, 4) : 0),
      };
      if (count == groups_per_run) {
        std::memcpy(exponents + index, E, groups_per_run);
      } else {
        std::copy(E, E + count, exponents + index);
      }

      prefetch_ahead(values);
      __m256i low, high;
      magnitude_bytes<R>(values, s, M, low, high);
      const __m256i signs = _mm256_and_si256(sign_bytes(values), sign_bit);
      const __m256i a = sign_apart ? high : _mm256_or_si256(has_b ? high : low, signs);
      const __m256i ta = _mm256_shuffle_epi8(transpose_bits(a), shuffle_a);
      const __m256i tb = has_b ? _mm256_shuffle_epi8(transpose_bits(low), shuffle_b) : ta;
      const auto sign_word = static_cast<std::uint32_t>(_mm256_movemask_epi8(signs));

      // Direct stores when the run is whole and its last store's overrun (< 16 bytes) stays
      // inside the job's planes.
      const bool direct = count == groups_per_run &&
                          (index + groups_per_run) * group_bytes + 16 <= total_groups * group_bytes;
      std::uint8_t* const dst = direct ? out : scratch;
      if (sign_apart)
        for (std::size_t j = 0; j < groups_per_run; ++j) {
          const auto part = static_cast<std::uint16_t>(sign_word >> (j * G));
          std::memcpy(dst + j * group_bytes, &part, pb);
        }
      // All A parts in group order, then all B parts: a part's overrun is always overwritten
      // by a later store (with B, A's overrun stays inside its own record).
      store_parts<G>(ta, dst + a_offset, group_bytes);
      if (has_b) store_parts<G>(tb, dst + b_offset, group_bytes);
      if (!direct) std::memcpy(out, scratch, count * group_bytes);
    }
  }
  return all_encoded;
}

template <rounding R>
ANDA_TARGET_AVX2 inline std::size_t encode_with(const encode_job& job) {
  switch (job.fmt.group()) {
    case 8:
      return encode_narrow<R, 8>(job);
    case 16:
      return encode_narrow<R, 16>(job);
    default:
      return encode_wide<R>(job);
  }
}

ANDA_TARGET_AVX2 inline std::size_t encode(const encode_job& job) {
  switch (job.fmt.round()) {
    case rounding::truncate:
      return encode_with<rounding::truncate>(job);
    case rounding::nearest_even:
      return encode_with<rounding::nearest_even>(job);
    case rounding::nearest_away:
      return encode_with<rounding::nearest_away>(job);
  }
  return encode_with<rounding::truncate>(job);
}

// vcvtps2ph with the rounding in the immediate (RNE) is fp16::from_float bit for bit, NaN
// payloads included (both keep the top 10 payload bits and set the quiet bit).
// The first n <= 8 values of src into out, through a zero-padded copy.
ANDA_TARGET_AVX2 inline void float_piece_to_fp16(const float* src, std::size_t n,
                                                 std::uint16_t (&out)[8]) {
  alignas(32) float in[8] = {};
  std::copy(src, src + n, in);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   _mm256_cvtps_ph(_mm256_load_ps(in), _MM_FROUND_TO_NEAREST_INT));
}

ANDA_TARGET_AVX2 inline void float_to_fp16(const float* src, std::uint16_t* dst, std::size_t n) {
  constexpr int rne = _MM_FROUND_TO_NEAREST_INT;  // imm8 bit 2 clear: not MXCSR
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i lo = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), rne);
    const __m128i hi = _mm256_cvtps_ph(_mm256_loadu_ps(src + i + 8), rne);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_set_m128i(hi, lo));
  }
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), rne));
  if (i < n) {  // the last 1..7 values
    std::uint16_t out[8];
    float_piece_to_fp16(src + i, n - i, out);
    std::copy(out, out + (n - i), dst + i);
  }
}

// The 8 x 8 floats of r (a row each) transposed in place: three rounds of 8 shuffles.
ANDA_TARGET_AVX2 inline void transpose_8x8(__m256 (&r)[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {  // interleave pairs of rows by element
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {  // then by pairs: column 4 l + j of 4 rows in lane l of t[i + j]
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {  // then by 128-bit lanes
    t[j] = _mm256_permute2f128_ps(r[j], r[j + 4], 0x20);
    t[j + 4] = _mm256_permute2f128_ps(r[j], r[j + 4], 0x31);
  }
  for (int j = 0; j < 8; ++j) r[j] = t[j];
}

// dst[r * cols + c] = the FP16 bits of src[r + c * col_stride] (FP32 columns to FP16 rows, as
// float_to_fp16 converts): 8 x 8 blocks transposed in registers, the edges 8 values
// of a column at a time.
ANDA_TARGET_AVX2 inline void float_columns_to_fp16(const float* src, std::size_t rows,
                                                   std::size_t cols, std::size_t col_stride,
                                                   std::uint16_t* dst) {
  constexpr int rne = _MM_FROUND_TO_NEAREST_INT;  // imm8 bit 2 clear: not MXCSR
  const std::size_t full_rows = rows / 8 * 8, full_cols = cols / 8 * 8;
  for (std::size_t r0 = 0; r0 < full_rows; r0 += 8)  // rows outer: whole lines of dst written
    for (std::size_t c0 = 0; c0 < full_cols; c0 += 8) {
      __m256 v[8];
      for (int j = 0; j < 8; ++j) v[j] = _mm256_loadu_ps(src + r0 + (c0 + j) * col_stride);
      transpose_8x8(v);
      for (int i = 0; i < 8; ++i)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (r0 + i) * cols + c0),
                         _mm256_cvtps_ph(v[i], rne));
    }
  std::uint16_t bits[8];
  for (std::size_t c = 0; c < cols; ++c)
    for (std::size_t r0 = c < full_cols ? full_rows : 0; r0 < rows; r0 += 8) {
      const std::size_t n = std::min<std::size_t>(8, rows - r0);
      float_piece_to_fp16(src + r0 + c * col_stride, n, bits);
      for (std::size_t i = 0; i < n; ++i) dst[(r0 + i) * cols + c] = bits[i];
    }
}

}  // namespace anda::kernels::avx2

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef ANDA_TARGET_AVX2
#undef ANDA_TARGET_AVX2_INLINE
#endif
