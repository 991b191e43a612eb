// NEON (Advanced SIMD) encoder: part of every aarch64 CPU, so it needs no target attribute and
// no -march flag. One vector holds 8 FP16 values; planes are built 16 elements (two vectors) at
// a time, one 16-bit word per plane.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_ARM64

#include <arm_neon.h>

#include <algorithm>
#include <cstring>

#include "anda/format/reference.hpp"
#include "anda/kernels/backend.hpp"

namespace anda::kernels::neon {

// The magnitudes of 8 elements (|x| bits) under their groups' shared exponents E (1..30 or 0;
// reference::magnitude).
inline uint16x8_t magnitudes(uint16x8_t magnitude_bits, uint16x8_t E, int M, rounding round) {
  const uint16x8_t one = vdupq_n_u16(1);
  const uint16x8_t exponent_field = vshrq_n_u16(magnitude_bits, 10);
  const uint16x8_t fraction = vandq_u16(magnitude_bits, vdupq_n_u16(0x3FF));
  const uint16x8_t hidden =
      vandq_u16(vtstq_u16(exponent_field, exponent_field), vdupq_n_u16(0x400));
  const uint16x8_t S = vorrq_u16(fraction, hidden);
  const int16x8_t x = vreinterpretq_s16_u16(vmaxq_u16(exponent_field, one));
  // shift = M - 11 - d, d = max(E, 1) - x >= 0: a positive count is an exact left shift (at most
  // 5, S << 5 < 2^16), a negative one a right shift. S < 2^11, so counts below -16 change nothing
  // and are clamped (vshl reads only the count's low byte).
  const int16x8_t d = vsubq_s16(vreinterpretq_s16_u16(vmaxq_u16(E, one)), x);
  const int16x8_t shift =
      vmaxq_s16(vsubq_s16(vdupq_n_s16(static_cast<short>(M - 11)), d), vdupq_n_s16(-16));
  uint16x8_t m;
  if (round == rounding::truncate) {
    m = vshlq_u16(S, shift);
  } else {
    // urshl adds half of the dropped unit before shifting, in full precision: ties away.
    m = vrshlq_u16(S, shift);
    if (round == rounding::nearest_even) {
      // A tie (the dropped bits are exactly 10...0) rounded up to an odd result goes back down.
      const uint16x8_t dropped = vshlq_u16(S, vaddq_s16(shift, vdupq_n_s16(16)));  // 0 if none
      const uint16x8_t tie = vceqq_u16(dropped, vdupq_n_u16(0x8000));
      m = vsubq_u16(m, vandq_u16(tie, vandq_u16(m, one)));
    }
  }
  return vminq_u16(m, vdupq_n_u16(static_cast<std::uint16_t>((1u << M) - 1u)));
}

// The 1 + M plane words of 16 elements (input bits b0, b1 and magnitudes m0, m1, 8 each):
// words[p] holds plane p, element i in bit i. Planes go 8 at a time: each is a byte test
// weighted by 1 << (i % 8), and three rounds of pairwise adds sum the 8 planes to 2 bytes each.
inline void plane_words16(uint16x8_t b0, uint16x8_t b1, uint16x8_t m0, uint16x8_t m1, int M,
                          std::uint16_t* words) {
  static constexpr std::uint8_t bit_weights[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                                   1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t weights = vld1q_u8(bit_weights);
  const uint8x16_t sign = vcombine_u8(vshrn_n_u16(b0, 8), vshrn_n_u16(b1, 8));  // bit 7
  const uint8x16_t low = vcombine_u8(vmovn_u16(m0), vmovn_u16(m1));
  const uint8x16_t high = vcombine_u8(vshrn_n_u16(m0, 8), vshrn_n_u16(m1, 8));
  for (int first = 0; first <= M; first += 8) {
    uint8x16_t v[8];
    for (int j = 0; j < 8; ++j) {
      const int p = first + j, bit = M - p;  // plane p > 0 is magnitude bit M - p
      const uint8x16_t source = p == 0 ? sign : bit >= 8 ? high : low;
      const auto mask = static_cast<std::uint8_t>(p == 0 ? 0x80 : 1u << (bit & 7));
      v[j] = p > M ? vdupq_n_u8(0) : vandq_u8(vtstq_u8(source, vdupq_n_u8(mask)), weights);
    }
    const uint8x16_t a0 = vpaddq_u8(v[0], v[1]), a1 = vpaddq_u8(v[2], v[3]);
    const uint8x16_t a2 = vpaddq_u8(v[4], v[5]), a3 = vpaddq_u8(v[6], v[7]);
    const uint8x16_t planes = vpaddq_u8(vpaddq_u8(a0, a1), vpaddq_u8(a2, a3));
    vst1q_u8(reinterpret_cast<std::uint8_t*>(words + first), planes);  // 2 bytes per plane
  }
}

// n values of a row from `start`: the row itself, or a zero-padded copy at its end.
inline const std::uint16_t* row_values(const std::uint16_t* row, std::size_t cols,
                                       std::size_t start, std::size_t n, std::uint16_t* padded) {
  if (start + n <= cols) return row + start;
  std::fill(padded, padded + n, std::uint16_t{0});  // zero padding [ours]
  if (start < cols) std::copy(row + start, row + cols, padded);
  return padded;
}

// The shared exponent from the largest |x| bit pattern of a group (zero: 0, subnormal: 1,
// Inf/NaN: at least 0x7C00, which the caller checks first).
inline unsigned shared_exponent(unsigned top) {
  return std::max(top >> 10, top ? 1u : 0u);
}

// G = 8: one vector per group, two groups per step.
inline std::size_t encode_pairs(const encode_job& job) {
  const int M = job.fmt.mantissa();
  const rounding round = job.fmt.round();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, 8);
  const std::size_t group_bytes = job.fmt.group_bytes();  // plane_bytes = 1
  const uint16x8_t magnitude_mask = vdupq_n_u16(0x7FFF);
  std::uint16_t padded[16];
  std::uint16_t words[24];
  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g = 0; g < groups; g += 2) {
      const std::uint16_t* v = row_values(row, job.cols, 8 * g, 16, padded);
      const uint16x8_t b0 = vld1q_u16(v), b1 = vld1q_u16(v + 8);
      const uint16x8_t a0 = vandq_u16(b0, magnitude_mask), a1 = vandq_u16(b1, magnitude_mask);
      const unsigned top0 = vmaxvq_u16(a0), top1 = vmaxvq_u16(a1);
      const bool second = g + 1 < groups;
      const std::size_t index = r * groups + g;
      const bool nonfinite0 = top0 >= 0x7C00, nonfinite1 = second && top1 >= 0x7C00;
      if (reject && nonfinite0) return index;
      if (reject && nonfinite1) return index + 1;
      const unsigned E0 = nonfinite0 ? reference::nonfinite_exponent : shared_exponent(top0);
      const unsigned E1 = nonfinite1 ? reference::nonfinite_exponent : shared_exponent(top1);
      // Magnitudes of a non-finite group stay zero (docs/format.md section 5).
      const uint16x8_t m0 =
          nonfinite0 ? vdupq_n_u16(0) : magnitudes(a0, vdupq_n_u16(std::uint16_t(E0)), M, round);
      const uint16x8_t m1 =
          nonfinite1 ? vdupq_n_u16(0) : magnitudes(a1, vdupq_n_u16(std::uint16_t(E1)), M, round);
      plane_words16(b0, b1, m0, m1, M, words);
      std::uint8_t* out = job.planes + index * group_bytes;
      job.exponents[index] = static_cast<std::uint8_t>(E0);
      for (int p = 0; p <= M; ++p) out[p] = static_cast<std::uint8_t>(words[p]);
      if (second) {
        job.exponents[index + 1] = static_cast<std::uint8_t>(E1);
        for (int p = 0; p <= M; ++p)
          out[group_bytes + p] = static_cast<std::uint8_t>(words[p] >> 8);
      }
    }
  }
  return all_encoded;
}

// G >= 16: the group maximum is reduced to a scalar, then each run of 16 values is re-read
// (from L1) and written as 16-bit plane words.
inline std::size_t encode_groups(const encode_job& job) {
  const int G = job.fmt.group();
  const int M = job.fmt.mantissa();
  const rounding round = job.fmt.round();
  const bool reject = job.fmt.nonfinite_policy() == nonfinite::reject;
  const std::size_t groups = groups_per_row(job.cols, G);
  const std::size_t plane_bytes = job.fmt.plane_bytes();
  const std::size_t group_bytes = job.fmt.group_bytes();
  const uint16x8_t magnitude_mask = vdupq_n_u16(0x7FFF);
  std::uint16_t padded[256];
  std::uint16_t words[24];
  for (std::size_t r = 0; r < job.rows; ++r) {
    const std::uint16_t* row = job.src + r * job.src_stride;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::uint16_t* v = row_values(row, job.cols, g * G, std::size_t(G), padded);
      uint16x8_t largest = vdupq_n_u16(0);
      for (int i = 0; i < G; i += 8)
        largest = vmaxq_u16(largest, vandq_u16(vld1q_u16(v + i), magnitude_mask));
      const unsigned top = vmaxvq_u16(largest);
      const std::size_t index = r * groups + g;
      const bool nonfinite_group = top >= 0x7C00;
      if (nonfinite_group && reject) return index;
      const unsigned E = nonfinite_group ? reference::nonfinite_exponent : shared_exponent(top);
      job.exponents[index] = static_cast<std::uint8_t>(E);
      const uint16x8_t shared = vdupq_n_u16(static_cast<std::uint16_t>(E));
      std::uint8_t* out = job.planes + index * group_bytes;
      for (int i = 0; i < G; i += 16) {
        const uint16x8_t b0 = vld1q_u16(v + i), b1 = vld1q_u16(v + i + 8);
        uint16x8_t m0 = vdupq_n_u16(0), m1 = m0;  // non-finite: magnitudes stay zero
        if (!nonfinite_group) {
          m0 = magnitudes(vandq_u16(b0, magnitude_mask), shared, M, round);
          m1 = magnitudes(vandq_u16(b1, magnitude_mask), shared, M, round);
        }
        plane_words16(b0, b1, m0, m1, M, words);
        for (int p = 0; p <= M; ++p) std::memcpy(out + p * plane_bytes + i / 8, &words[p], 2);
      }
    }
  }
  return all_encoded;
}

inline std::size_t encode(const encode_job& job) {
  return job.fmt.group() == 8 ? encode_pairs(job) : encode_groups(job);
}

// fcvtn rounds as FPCR says: to nearest even unless a caller changed it; overflow gives Inf,
// and a NaN keeps its sign and top payload bits, quieted (as fp16::from_float).
inline void float_to_fp16(const float* src, std::uint16_t* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    vst1_u16(dst + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
  if (i < n) {
    float tail[4] = {};
    std::uint16_t out[4];
    std::copy(src + i, src + n, tail);
    vst1_u16(out, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(tail))));
    std::copy(out, out + (n - i), dst + i);
  }
}

}  // namespace anda::kernels::neon

#endif
