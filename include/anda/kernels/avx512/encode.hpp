// AVX-512 (F + BW + VL, F16C) kernels. Compiled through per-function target attributes, so the
// library needs no -march flag; reached only through the backend record after CPU detection.
// One vector holds 32 FP16 values; a plane of 32 elements is one compare-mask (vptestmw).
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "anda/format/reference.hpp"
#include "anda/kernels/backend.hpp"

#define ANDA_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c")))

// GCC 12 warns about the deliberately undefined pass-through operand inside its own intrinsics
// (_mm512_undefined_*, GCC bug 105593); nothing of ours is uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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
// right by d + 11 - M >= 0 (counts above 15 give 0): `base` holds max(E, 1) + 11 - M.
ANDA_TARGET_AVX512 inline __m512i truncated_magnitudes(__m512i magnitude_bits, __m512i base) {
  const __m512i one = _mm512_set1_epi16(1);
  const __m512i x = _mm512_max_epu16(_mm512_srli_epi16(magnitude_bits, 10), one);
  // S = bits - (x - 1) * 1024: the hidden bit for normals, the fraction itself for subnormals.
  const __m512i S =
      _mm512_sub_epi16(magnitude_bits, _mm512_slli_epi16(_mm512_sub_epi16(x, one), 10));
  return _mm512_srlv_epi16(S, _mm512_sub_epi16(base, x));
}

// The low bytes of 2 x 32 16-bit lanes, in lane order.
ANDA_TARGET_AVX512 inline __m512i narrow_to_bytes(__m512i lo32, __m512i hi32) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(lo32)),
                            _mm512_cvtepi16_epi8(hi32), 1);
}

// The 1 + M planes of 64 values (input bits b0, b1 and magnitudes m0, m1, 32 each): the
// magnitudes narrowed to bytes in element order, then one byte test (64 bits) per plane.
ANDA_TARGET_AVX512 inline void store_planes64(__m512i b0, __m512i b1, __m512i m0, __m512i m1, int M,
                                              std::uint8_t* out, std::size_t plane_bytes) {
  const std::uint64_t sign =
      std::uint64_t{_mm512_movepi16_mask(b0)} | std::uint64_t{_mm512_movepi16_mask(b1)} << 32;
  std::memcpy(out, &sign, 8);
  const __m512i low = narrow_to_bytes(m0, m1);
  const __m512i high =
      M > 8 ? narrow_to_bytes(_mm512_srli_epi16(m0, 8), _mm512_srli_epi16(m1, 8)) : low;
  for (int p = 1; p <= M; ++p) {
    const int bit = M - p;
    const std::uint64_t plane = _mm512_test_epi8_mask(
        bit >= 8 ? high : low, _mm512_set1_epi8(static_cast<char>(1u << (bit & 7))));
    std::memcpy(out + p * plane_bytes, &plane, 8);
  }
}

// Groups of 64, 128 or 256: the group maximum is reduced to a scalar, then each run of 64
// values is re-read (from L1) and written as 64-bit plane words.
ANDA_TARGET_AVX512 inline std::size_t encode_wide(const encode_job& job) {
  const int G = job.fmt.group();
  const int M = job.fmt.mantissa();
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
  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t first = g * G;
      __m512i largest = _mm512_setzero_si512();
      for (std::size_t start = first; start < first + G; start += 32) {
        _mm_prefetch(reinterpret_cast<const char*>(row + start) + 2048, _MM_HINT_T0);
        largest =
            _mm512_max_epu16(largest, _mm512_and_si512(load_row(row, cols, start), magnitude_mask));
      }
      // The largest |x| bit pattern carries E (zero: 0, subnormal: 1, Inf/NaN: >= 0x7C00); it is
      // broadcast to every lane by a butterfly, so E never leaves the vector unit on the way.
      largest = _mm512_max_epu16(largest, _mm512_shuffle_i64x2(largest, largest, 0x4E));
      largest = _mm512_max_epu16(largest, _mm512_shuffle_i64x2(largest, largest, 0xB1));
      largest = _mm512_max_epu16(largest, _mm512_shuffle_epi32(largest, _MM_PERM_BADC));
      largest = _mm512_max_epu16(largest, _mm512_shuffle_epi32(largest, _MM_PERM_CDAB));
      largest = _mm512_max_epu16(largest, _mm512_srli_epi32(largest, 16));
      largest = _mm512_max_epu16(largest, _mm512_slli_epi32(largest, 16));
      const unsigned top =
          static_cast<std::uint16_t>(_mm_cvtsi128_si32(_mm512_castsi512_si128(largest)));
      const std::size_t index = r * groups + g;
      const bool nonfinite_group = top >= 0x7C00;
      if (nonfinite_group && reject) return index;
      const unsigned E = nonfinite_group ? 31u : std::max(top >> 10, top ? 1u : 0u);
      exponents[index] = static_cast<std::uint8_t>(E);
      const __m512i one = _mm512_set1_epi16(1);
      const __m512i shared =
          _mm512_max_epu16(_mm512_srli_epi16(largest, 10), _mm512_min_epu16(largest, one));
      const __m512i base = _mm512_add_epi16(_mm512_max_epu16(shared, one),
                                            _mm512_set1_epi16(static_cast<short>(11 - M)));
      std::uint8_t* out = planes + index * group_bytes;
      for (std::size_t start = first, w = 0; start < first + G; start += 64, ++w) {
        const __m512i b0 = load_row(row, cols, start), b1 = load_row(row, cols, start + 32);
        __m512i m0 = _mm512_setzero_si512(), m1 = m0;
        const __m512i a0 = _mm512_and_si512(b0, magnitude_mask);
        const __m512i a1 = _mm512_and_si512(b1, magnitude_mask);
        if (nonfinite_group) {
          // magnitudes stay zero (docs/format.md section 5)
        } else if (plain_shift) {
          m0 = truncated_magnitudes(a0, base);
          m1 = truncated_magnitudes(a1, base);
        } else {
          m0 = magnitudes(a0, shared, M, round);
          m1 = magnitudes(a1, shared, M, round);
        }
        store_planes64(b0, b1, m0, m1, M, out + 8 * w, plane_bytes);
      }
    }
  }
  return all_encoded;
}

ANDA_TARGET_AVX512 inline std::size_t encode(const encode_job& job) {
  return job.fmt.group() >= 64 ? encode_wide(job) : encode_narrow(job);
}

ANDA_TARGET_AVX512 inline void float_to_fp16(const float* src, std::uint16_t* dst, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 16) {
    const auto mask = static_cast<__mmask16>(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
    const __m512 v = _mm512_maskz_loadu_ps(mask, src + i);
    const __m256i h = _mm512_maskz_cvtps_ph(mask, v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_mask_storeu_epi16(dst + i, mask, h);
  }
}

}  // namespace anda::kernels::avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef ANDA_TARGET_AVX512
#endif
