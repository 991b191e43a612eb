// AVX-512 (F + BW + VL, F16C) kernels. Compiled through per-function target attributes, so the
// library needs no -march flag; reached only through the backend record after CPU detection.
// One vector holds 32 FP16 values; a plane of 32 elements is one compare-mask (vptestmw).
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include "anda/format/reference.hpp"
#include "anda/kernels/backend.hpp"

#define ANDA_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c")))
// Per-vector helpers: always inlined, so that their vectors stay in registers.
#define ANDA_TARGET_AVX512_INLINE \
  __attribute__((target("avx512f,avx512bw,avx512vl,f16c"), always_inline))

// GCC 12 warns about the deliberately undefined pass-through operand inside its own intrinsics
// (_mm512_undefined_*, GCC bug 105593); nothing of ours is uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

// Inline functions with external linkage: every translation unit sees the same definitions
// with the same target attributes (no per-TU -march), so the ODR holds.
namespace anda::kernels::avx512 {

// Lane-wise max over aligned segments of `width` lanes (8, 16 or 32), broadcast to every lane of
// the segment: a butterfly of lane permutations.
ANDA_TARGET_AVX512 inline __m512i segment_max(__m512i v, int width) {
  alignas(64) static constexpr std::uint16_t lane_ids[32] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
  const __m512i lanes = _mm512_load_si512(lane_ids);
  for (int s = 1; s < width; s <<= 1) {
    const __m512i partner = _mm512_xor_si512(lanes, _mm512_set1_epi16(static_cast<short>(s)));
    v = _mm512_max_epu16(v, _mm512_permutexvar_epi16(partner, v));
  }
  return v;
}

ANDA_TARGET_AVX512 inline __mmask32 lanes_below(std::ptrdiff_t n) {
  return n >= 32 ? ~__mmask32{0} : n <= 0 ? __mmask32{0} : (__mmask32{1} << n) - 1u;
}

// 32 values of a row from `start`, zeros beyond its `cols` values.
ANDA_TARGET_AVX512 inline __m512i load_row(const std::uint16_t* row, std::size_t cols,
                                           std::size_t start) {
  if (start + 32 <= cols) return _mm512_loadu_si512(row + start);
  const auto valid = static_cast<std::ptrdiff_t>(cols) - static_cast<std::ptrdiff_t>(start);
  return _mm512_maskz_loadu_epi16(lanes_below(valid), row + std::min(start, cols));
}

// The magnitudes of 32 elements under their groups' shared exponents (reference::magnitude).
ANDA_TARGET_AVX512 inline __m512i magnitudes(__m512i magnitude_bits, __m512i E, int M,
                                             rounding round) {
  const __m512i one = _mm512_set1_epi16(1);
  const __m512i exponent_field = _mm512_srli_epi16(magnitude_bits, 10);
  const __m512i fraction = _mm512_and_si512(magnitude_bits, _mm512_set1_epi16(0x3FF));
  const __mmask32 normal = _mm512_test_epi16_mask(exponent_field, exponent_field);
  const __m512i S = _mm512_or_si512(fraction, _mm512_maskz_set1_epi16(normal, 0x400));
  const __m512i x = _mm512_max_epu16(exponent_field, one);
  // rs = d + 11 - M: positive means shift right and round, negative means an exact left shift.
  const __m512i rs = _mm512_add_epi16(_mm512_sub_epi16(_mm512_max_epu16(E, one), x),
                                      _mm512_set1_epi16(static_cast<short>(11 - M)));
  const __m512i left =
      _mm512_max_epi16(_mm512_sub_epi16(_mm512_setzero_si512(), rs), _mm512_setzero_si512());
  // S < 2^11, so right shifts beyond 16 change nothing; clamping keeps S + bias in 16 bits.
  const __m512i right =
      _mm512_min_epi16(_mm512_max_epi16(rs, _mm512_setzero_si512()), _mm512_set1_epi16(16));
  const __m512i aligned = _mm512_sllv_epi16(S, left);
  __m512i m;
  if (round == rounding::truncate) {
    m = _mm512_srlv_epi16(aligned, right);
  } else {
    const __mmask32 rounds = _mm512_cmpgt_epi16_mask(right, _mm512_setzero_si512());
    const __m512i half = _mm512_sllv_epi16(one, _mm512_sub_epi16(right, one));
    __m512i bias = half;  // ties away from zero
    if (round == rounding::nearest_even) {
      const __m512i lsb = _mm512_and_si512(_mm512_srlv_epi16(aligned, right), one);
      bias = _mm512_add_epi16(_mm512_sub_epi16(half, one), lsb);
    }
    m = _mm512_srlv_epi16(_mm512_add_epi16(aligned, _mm512_maskz_mov_epi16(rounds, bias)), right);
  }
  return _mm512_min_epu16(m, _mm512_set1_epi16(static_cast<short>((1u << M) - 1u)));
}

// Groups of 8, 16 or 32: one vector of 32 values holds 32 / G whole groups (a segmented max).
ANDA_TARGET_AVX512 inline std::size_t encode_narrow(const encode_job& job) {
  const int G = job.fmt.group();
  const int M = job.fmt.mantissa();
  const rounding round = job.fmt.round();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, G);
  const std::size_t plane_bytes = job.fmt.plane_bytes();
  const std::size_t group_bytes = job.fmt.group_bytes();
  // A block is one vector of 32 values: 32 / G groups.
  constexpr int block = 32;
  const int groups_per_block = block / G;
  const std::size_t blocks = (groups * G + block - 1) / block;
  const __m512i magnitude_mask = _mm512_set1_epi16(0x7FFF);
  const __m512i nonfinite_field = _mm512_set1_epi16(0x7C00);
  alignas(64) std::uint16_t exponent_lanes[32];

  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t b = 0; b < blocks; ++b) {
      const __m512i bits = load_row(row, job.cols, b * block);
      const __m512i abs = _mm512_and_si512(bits, magnitude_mask);
      // Within a group the largest |x| bit pattern carries the shared exponent (zero: E = 0,
      // subnormal: E = 1, Inf/NaN: at least 0x7C00).
      const __m512i largest = segment_max(abs, G);
      const __mmask32 nonfinite_lanes = _mm512_cmpge_epu16_mask(largest, nonfinite_field);
      const std::size_t first_group = r * groups + b * groups_per_block;
      if (nonfinite_lanes && reject) return first_group + std::countr_zero(nonfinite_lanes) / G;
      __m512i E = _mm512_max_epu16(_mm512_srli_epi16(largest, 10),
                                   _mm512_min_epu16(largest, _mm512_set1_epi16(1)));
      E = _mm512_mask_mov_epi16(E, nonfinite_lanes, _mm512_set1_epi16(31));
      _mm512_store_si512(exponent_lanes, E);
      const std::size_t stored_groups =
          std::min<std::size_t>(groups_per_block, groups - b * groups_per_block);
      for (std::size_t j = 0; j < stored_groups; ++j)
        job.exponents[first_group + j] = static_cast<std::uint8_t>(exponent_lanes[j * G]);

      std::uint8_t* out = job.planes + first_group * group_bytes;
      const __m512i m = _mm512_maskz_mov_epi16(~nonfinite_lanes, magnitudes(abs, E, M, round));
      for (int p = 0; p <= M; ++p) {
        const __mmask32 plane =
            p == 0
                ? _mm512_movepi16_mask(bits)
                : _mm512_test_epi16_mask(m, _mm512_set1_epi16(static_cast<short>(1u << (M - p))));
        const std::uint32_t word = plane;
        for (std::size_t j = 0; j < stored_groups; ++j) {
          const std::uint32_t part = word >> (j * G);
          std::memcpy(out + j * group_bytes + p * plane_bytes, &part, plane_bytes);
        }
      }
    }
  }
  return all_encoded;
}

// The paper's default case, truncation with M <= 11, where every aligned magnitude is S shifted
// right by d + 11 - M >= 0 (counts above 15 give 0): `base` holds max(E, 1) + 11 - M. Only
// lane-wise ALU ops and one variable shift, so that port 5 stays free for the plane tests.
ANDA_TARGET_AVX512_INLINE inline __m512i truncated_magnitudes(__m512i magnitude_bits, __m512i base,
                                                              __m512i hidden_bit) {
  // S: the fraction, with the hidden bit (0x400) only for normals (min(|x|, 0x400) has bit 10
  // exactly then), merged by a bit select on 0x3FF.
  const __m512i hidden = _mm512_min_epu16(magnitude_bits, hidden_bit);
  const __m512i S =
      _mm512_ternarylogic_epi32(magnitude_bits, hidden, _mm512_set1_epi16(0x3FF), 0xE4);
  // base - max(e, 1) = min(base - e, base - 1); never negative, as e <= max(E, 1) <= base.
  const __m512i e = _mm512_srli_epi16(magnitude_bits, 10);
  const __m512i count =
      _mm512_min_epi16(_mm512_sub_epi16(base, e), _mm512_sub_epi16(base, _mm512_set1_epi16(1)));
  return _mm512_srlv_epi16(S, count);
}

// The bytes of 2 x 32 16-bit lanes (each <= 255) in lane order: vpackuswb packs within 128-bit
// lanes (elements 0-7 32-39 8-15 40-47 ...), one vpermq restores the order (two vpmovwb and an
// insert cost 5 port-5 uops instead of 2).
ANDA_TARGET_AVX512 inline __m512i pack_bytes(__m512i lo32, __m512i hi32) {
  return _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7),
                                  _mm512_packus_epi16(lo32, hi32));
}

// GCC re-creates some constant vectors inside loops, with a broadcast from a general register
// (a port-5 uop) each time; a constant passed through an empty asm is made once, before the loop.
ANDA_TARGET_AVX512_INLINE inline __m512i hoisted(__m512i v) {
  __asm__("" : "+v"(v));
  return v;
}

// Test masks for bits 0..6 of bytes.
struct bit_masks {
  __m512i bit[7];
  ANDA_TARGET_AVX512_INLINE bit_masks() {
    for (int b = 0; b < 7; ++b) bit[b] = hoisted(_mm512_set1_epi8(static_cast<char>(1u << b)));
  }
};

// Bit `bit` of 64 bytes as a mask: vpmovb2m (port 0) for bit 7, else vptestmb (port 5).
ANDA_TARGET_AVX512_INLINE inline __mmask64 byte_bit(__m512i v, int bit, const bit_masks& masks) {
  if (bit == 7) return _mm512_movepi8_mask(v);
  return _mm512_test_epi8_mask(v, masks.bit[bit]);
}

// The 1 + M planes of 64 values (input bits b0, b1 and magnitudes m0, m1, 32 each). The sign
// plane comes straight from the 16-bit lanes; the magnitudes are narrowed to a low byte vector
// (and a high one for M > 8), then each plane is one mask of 64 bytes, stored from the mask
// register. M is a template argument so that the loop unrolls with constant test bits (a
// run-time bit costs a vpbroadcastb, another port-5 uop, per plane).
template <int M>
ANDA_TARGET_AVX512_INLINE inline void store_planes64(__m512i b0, __m512i b1, __m512i m0, __m512i m1,
                                                     std::uint8_t* out, std::size_t plane_bytes,
                                                     const bit_masks& masks) {
  const std::uint32_t sign0 = _mm512_movepi16_mask(b0), sign1 = _mm512_movepi16_mask(b1);
  std::memcpy(out, &sign0, 4);
  std::memcpy(out + 4, &sign1, 4);
  __m512i low, high;
  if constexpr (M <= 8) {
    low = pack_bytes(m0, m1);
    high = low;
  } else {
    const __m512i byte_mask = _mm512_set1_epi16(0xFF);
    low = pack_bytes(_mm512_and_si512(m0, byte_mask), _mm512_and_si512(m1, byte_mask));
    high = pack_bytes(_mm512_srli_epi16(m0, 8), _mm512_srli_epi16(m1, 8));
  }
  // Plane 1 + k holds bit M - 1 - k.
#pragma GCC unroll 16
  for (int k = 0; k < M; ++k) {
    const int bit = M - 1 - k;
    const std::uint64_t plane = byte_bit(bit >= 8 ? high : low, bit & 7, masks);
    std::memcpy(out + (1 + k) * plane_bytes, &plane, 8);
  }
}

// Groups of 64, 128 or 256, a block of groups at a time in two passes: first every group's
// exponent (a reduction to a scalar), then the planes of each run of 64 values (re-read from L1)
// as 64-bit words. Keeping the reduction's long latency out of the plane pass lets consecutive
// groups overlap, and the plane pass is one flat loop whose constants stay in registers.
template <int M>
ANDA_TARGET_AVX512 inline std::size_t encode_wide(const encode_job& job) {
  const int G = job.fmt.group();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, G);
  const std::size_t plane_bytes = job.fmt.plane_bytes();
  const std::size_t group_bytes = job.fmt.group_bytes();
  const std::size_t cols = job.cols;
  const rounding round = job.fmt.round();
  const bool plain_shift = round == rounding::truncate && M <= 11;
  std::uint8_t* const planes = job.planes;  // locals: byte stores may alias anything
  std::uint8_t* const exponents = job.exponents;
  const __m512i magnitude_mask = _mm512_set1_epi16(0x7FFF);
  const __m128i ones = _mm_set1_epi16(-1);
  constexpr std::size_t block_values = 2048;  // 4 KiB of input
  const std::size_t block = block_values / G;
  const int runs_shift = std::countr_zero(static_cast<unsigned>(G / 64));  // runs of 64 per group
  // Per group of the block: max(E, 1) + 11 - M in both 16-bit halves (one vpbroadcastd from
  // memory, no port-5 uop); 60 for a non-finite group, which shifts every magnitude out.
  alignas(64) std::uint32_t bases[block_values / 64];
  const bit_masks masks;
  const __m512i hidden_bit = hoisted(_mm512_set1_epi16(0x400));
  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g0 = 0; g0 < groups; g0 += block) {
      const std::size_t n = std::min(block, groups - g0);
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t first = (g0 + k) * G;
        __m512i largest = _mm512_setzero_si512();
        for (std::size_t start = first; start < first + G; start += 32) {
          _mm_prefetch(reinterpret_cast<const char*>(row + start) + 4096, _MM_HINT_T0);
          largest = _mm512_max_epu16(largest,
                                     _mm512_and_si512(load_row(row, cols, start), magnitude_mask));
        }
        // The largest |x| bit pattern carries E (zero: 0, subnormal: 1, Inf/NaN: >= 0x7C00):
        // halved twice, then vphminposuw on the complement.
        const __m256i half = _mm256_max_epu16(_mm512_castsi512_si256(largest),
                                              _mm512_extracti64x4_epi64(largest, 1));
        const __m128i quarter =
            _mm_max_epu16(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
        const unsigned top = 0xFFFFu - static_cast<std::uint16_t>(_mm_cvtsi128_si32(
                                           _mm_minpos_epu16(_mm_xor_si128(quarter, ones))));
        const std::size_t index = r * groups + g0 + k;
        const bool nonfinite_group = top >= 0x7C00;
        if (nonfinite_group && reject) return index;
        const unsigned E = nonfinite_group ? 31u : std::max(top >> 10, top ? 1u : 0u);
        exponents[index] = static_cast<std::uint8_t>(E);
        const unsigned base = nonfinite_group ? 60u : std::max(E, 1u) + 11 - M;
        bases[k] = base * 0x10001u;
      }
      std::uint8_t* const out = planes + (r * groups + g0) * group_bytes;
      const std::size_t first = g0 * G;
      for (std::size_t run = 0; run < n << runs_shift; ++run) {
        const std::size_t k = run >> runs_shift, start = first + 64 * run;
        const __m512i b0 = load_row(row, cols, start), b1 = load_row(row, cols, start + 32);
        const __m512i a0 = _mm512_and_si512(b0, magnitude_mask);
        const __m512i a1 = _mm512_and_si512(b1, magnitude_mask);
        __m512i m0, m1;
        if (plain_shift) {
          const __m512i base = _mm512_set1_epi32(static_cast<int>(bases[k]));
          m0 = truncated_magnitudes(a0, base, hidden_bit);
          m1 = truncated_magnitudes(a1, base, hidden_bit);
        } else {
          const unsigned E = exponents[r * groups + g0 + k];
          const __m512i shared = _mm512_set1_epi16(static_cast<short>(E));
          // A non-finite group's magnitudes stay zero (docs/format.md section 5).
          const __mmask32 finite = E == 31 ? 0 : ~__mmask32{0};
          m0 = _mm512_maskz_mov_epi16(finite, magnitudes(a0, shared, M, round));
          m1 = _mm512_maskz_mov_epi16(finite, magnitudes(a1, shared, M, round));
        }
        const std::size_t word = run & ((std::size_t{1} << runs_shift) - 1);
        store_planes64<M>(b0, b1, m0, m1, out + k * group_bytes + 8 * word, plane_bytes, masks);
      }
    }
  }
  return all_encoded;
}

// encode_wide<M> for M = 1..16, indexed by M - 1.
template <int... m>
constexpr auto wide_encoders(std::integer_sequence<int, m...>) {
  return std::array<std::size_t (*)(const encode_job&), sizeof...(m)>{&encode_wide<m + 1>...};
}

ANDA_TARGET_AVX512 inline std::size_t encode(const encode_job& job) {
  if (job.fmt.group() < 64) return encode_narrow(job);
  static constexpr auto wide = wide_encoders(std::make_integer_sequence<int, 16>{});
  return wide[job.fmt.mantissa() - 1](job);
}

ANDA_TARGET_AVX512 inline void float_to_fp16(const float* src, std::uint16_t* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 16) {
    const auto mask = static_cast<__mmask16>(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(mask, src + i);
    const __m256i h = _mm512_maskz_cvtps_ph(mask, v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_mask_storeu_epi16(dst + i, mask, h);
  }
}

// The 16 x 16 floats of r (a row each) transposed in place: four rounds of 16 shuffles.
ANDA_TARGET_AVX512 inline void transpose_16x16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {  // interleave pairs of rows by element
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {  // then by pairs of elements
    for (int j = 0; j < 2; ++j) {
      r[i + j] = _mm512_shuffle_ps(t[i + j], t[i + j + 2], 0x44);
      r[i + j + 2] = _mm512_shuffle_ps(t[i + j], t[i + j + 2], 0xEE);
    }
  }
  for (int i = 0; i < 16; i += 8) {  // then by 128-bit lanes
    for (int j = 0; j < 4; ++j) {
      t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xDD);
    }
  }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xDD);
  }
  for (int j = 0; j < 16; j += 4) std::swap(r[j + 1], r[j + 2]);  // the second round's order
}

// dst[r * cols + c] = the FP16 bits of src[r + c * col_stride] (FP32 columns to FP16 rows, as
// float_to_fp16 converts): 16 x 16 blocks transposed in registers, the edges 16 values of a
// column at a time.
ANDA_TARGET_AVX512 inline void float_columns_to_fp16(const float* src, std::size_t rows,
                                                     std::size_t cols, std::size_t col_stride,
                                                     std::uint16_t* dst) {
  constexpr int rne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const std::size_t full_rows = rows / 16 * 16, full_cols = cols / 16 * 16;
  for (std::size_t r0 = 0; r0 < full_rows; r0 += 16)  // rows outer: whole lines of dst written
    for (std::size_t c0 = 0; c0 < full_cols; c0 += 16) {
      __m512 v[16];
      for (int j = 0; j < 16; ++j) v[j] = _mm512_loadu_ps(src + r0 + (c0 + j) * col_stride);
      transpose_16x16(v);
      for (int i = 0; i < 16; ++i)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (r0 + i) * cols + c0),
                            _mm512_cvtps_ph(v[i], rne));
    }
  alignas(32) std::uint16_t bits[16];
  for (std::size_t c = 0; c < cols; ++c)
    for (std::size_t r0 = c < full_cols ? full_rows : 0; r0 < rows; r0 += 16) {
      const std::size_t n = std::min<std::size_t>(16, rows - r0);
      const __m512 v =
          _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), src + r0 + c * col_stride);
      _mm256_store_si256(reinterpret_cast<__m256i*>(bits), _mm512_cvtps_ph(v, rne));
      for (std::size_t i = 0; i < n; ++i) dst[(r0 + i) * cols + c] = bits[i];
    }
}

}  // namespace anda::kernels::avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef ANDA_TARGET_AVX512
#undef ANDA_TARGET_AVX512_INLINE
#endif
