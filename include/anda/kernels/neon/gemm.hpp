// NEON GeMM kernel. Activations are unpacked once per call to signed int8 chunks of 7 magnitude
// bits (int8_activations.hpp); weights are read in the blocked layout (storage/packed_weights.hpp),
// where each 32-bit lane of a 16-byte row is 4 consecutive k of one channel: one sdot lane.
//
//  - dotprod CPUs: sdot (s8 x s8 -> s32, 4 products per lane), compiled through a target
//    attribute so the library still builds for plain armv8-a;
//  - others: smull/smlal (two s8 x s8 products per int16 lane), then sadalp into int32.
//
// INT4 codes u (0..15) are valid s8 and enter as they are: p = sum u * a - c * sum a, one
// correction per group (c = 8 or the zero point). INT8 codes u = q + 128 are not: XOR 0x80 turns
// them into q itself, so p = sum q * a needs no correction.
// Vectorised across output channels, sequential over groups: the bits of docs/gemm.md.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_ARM64

#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "anda/kernels/backend.hpp"

// The target of arm_neon.h's own sdot intrinsics ("+dotprod" alone lacks the rest of Armv8.2,
// and GCC then refuses to inline them).
#define ANDA_TARGET_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

namespace anda::kernels::neon {

// Exactness of the integer products (a chunk |a_c| <= 127, INT8 q in [-128, 127], INT4 u <= 15):
// the plain path sums two products per int16 lane before widening,
static_assert(2 * 128 * 127 <= INT16_MAX && 2 * 15 * 127 <= INT16_MAX);
// and every int32 lane holds at most one group's chunk product and its correction (G <= 256).
static_assert(256 * 128 * 127 + 256 * 15 * 127 <= INT32_MAX);

inline int8_activations prepare(const activation_tensor& X, weight_type) {
  return int8_activations::unpack(X, 7);
}

struct neon_context {
  const int8_activations* A;
  const packed_weights* W;
  std::size_t G;  // activation group
  accumulate mode;
  std::size_t overflows = 0;
};

// The 16 channels of block nb as four int32x4 (4 channels each) start from -c * s, the
// correction for the unsigned INT4 codes (s = sum of the chunk over the group); INT8 (XOR'ed to
// q) needs none.
inline void correction(const neon_context& ctx, std::size_t nb, std::size_t sg, std::int32_t s,
                       int32x4_t (&acc)[4]) {
  const packed_weights& W = *ctx.W;
  if (W.type() == weight_type::int4_asym) {
    const uint8x16_t z =
        vld1q_u8(W.offsets() + (nb * W.scale_groups() + sg) * packed_weights::block_n);
    const uint16x8_t z_lo = vmovl_u8(vget_low_u8(z)), z_hi = vmovl_u8(vget_high_u8(z));
    const int32x4_t z32[4] = {vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(z_lo))),
                              vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(z_lo))),
                              vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(z_hi))),
                              vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(z_hi)))};
    for (int v = 0; v < 4; ++v) acc[v] = vmulq_n_s32(z32[v], -s);
  } else {
    const int c = W.type() == weight_type::int4_sym ? W.code_offset() : 0;
    for (int v = 0; v < 4; ++v) acc[v] = vdupq_n_s32(-c * s);
  }
}

// p * 2^k rounded to FP16 (nearest even, overflow to Inf) as floats: p is first rounded to odd
// at 24 bits (exact in float, then scaled exactly), which is exact for the final rounding to
// FP16's 11 bits (24 >= 11 + 2).
inline float32x4_t round_to_fp16(int32x4_t p, float32x4_t pow2) {
  const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(p));  // |p| < 2^31
  const int32x4_t drop = vmaxq_s32(vsubq_s32(vdupq_n_s32(8), vreinterpretq_s32_u32(vclzq_u32(a))),
                                   vdupq_n_s32(0));  // bits beyond 24
  const uint32x4_t unit = vshlq_u32(vdupq_n_u32(1), drop);
  const uint32x4_t below = vsubq_u32(unit, vdupq_n_u32(1));
  const uint32x4_t inexact = vtstq_u32(a, below);
  const uint32x4_t odd = vorrq_u32(vbicq_u32(a, below), vandq_u32(inexact, unit));
  const float32x4_t magnitude = vmulq_f32(vcvtq_f32_u32(odd), pow2);  // both steps exact
  const float32x4_t signed_value = vbslq_f32(vcltzq_s32(p), vnegq_f32(magnitude), magnitude);
  return vcvt_f32_f16(vcvt_f16_f32(signed_value));
}

// y += round(p * 2^k) * scale for the 16 channels of one token, exactly as the reference rounds.
inline void accumulate_group(neon_context& ctx, const int32x4_t (&p)[4], float pow2,
                             const float32x4_t (&scale)[4], float32x4_t (&y)[4]) {
  const float32x4_t k = vdupq_n_f32(pow2);  // NaN for a non-finite group
  for (int v = 0; v < 4; ++v) {
    if (ctx.mode == accumulate::fp32) {
      // round(p) * 2^k * scale == round(p) * (scale * 2^k): both products are exact.
      y[v] = vfmaq_f32(y[v], vcvtq_f32_s32(p[v]), vmulq_f32(scale[v], k));
    } else {
      const float32x4_t h = round_to_fp16(p[v], k);
      const uint32x4_t inf = vceqq_f32(vabsq_f32(h), vdupq_n_f32(INFINITY));
      ctx.overflows += vaddvq_u32(vshrq_n_u32(inf, 31));
      y[v] = vfmaq_f32(y[v], h, scale[v]);
    }
  }
}

inline void load_scales(const packed_weights& W, std::size_t nb, std::size_t sg,
                        float32x4_t (&scale)[4]) {
  const std::uint16_t* s = W.scales_fp16() + (nb * W.scale_groups() + sg) * packed_weights::block_n;
  for (int v = 0; v < 4; ++v) scale[v] = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(s + 4 * v)));
}

// 4 channels x 4 k of the 8 k at `row` (INT4: one 64-byte row; INT8: two, 4 k each): the
// codes as s8 for k0..3 (first) and k4..7 (second).
template <bool INT4>
inline void load_codes(const std::uint8_t* row, int v, int8x16_t& first, int8x16_t& second) {
  if constexpr (INT4) {
    const uint8x16_t packed = vld1q_u8(row + 16 * v);
    first = vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0F)));
    second = vreinterpretq_s8_u8(vshrq_n_u8(packed, 4));
  } else {
    const uint8x16_t flip = vdupq_n_u8(0x80);  // u = q + 128 -> q
    first = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(row + 16 * v), flip));
    second = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(row + 64 + 16 * v), flip));
  }
}

// One tile through sdot: TT rows (tokens) from t0, the 16 channels of block nb.
template <int TT, bool INT4>
ANDA_TARGET_DOTPROD inline void dot_tile(neon_context& ctx, std::size_t t0, std::size_t nb,
                                         float32x4_t (&y)[TT][4]) {
  const int8_activations& A = *ctx.A;
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G;
  constexpr std::size_t row_bytes = INT4 ? 64 : 128;  // the codes of 8 k
  for (int tt = 0; tt < TT; ++tt)
    for (int v = 0; v < 4; ++v) y[tt][v] = vdupq_n_f32(0.0f);
  for (std::size_t g = 0; g < A.groups; ++g) {
    const std::size_t sg = g * G / W.scale_group();  // the weight scale group
    const std::uint8_t* codes = W.codes() + nb * W.block_bytes() + g * G / 8 * row_bytes;
    int32x4_t p[TT][4];
    for (int c = 0; c < A.chunks; ++c) {
      int32x4_t acc[TT][4];
      const std::int8_t* a_rows[TT];
      for (int tt = 0; tt < TT; ++tt) {
        correction(ctx, nb, sg, A.sums[((t0 + tt) * A.groups + g) * A.chunks + c], acc[tt]);
        a_rows[tt] = A.row(c, t0 + tt) + g * G;
      }
      for (std::size_t k8 = 0; k8 < G / 8; ++k8) {
        int8x8_t a[TT];  // k0..3 in lane 0, k4..7 in lane 1
        for (int tt = 0; tt < TT; ++tt) a[tt] = vld1_s8(a_rows[tt] + 8 * k8);
        for (int v = 0; v < 4; ++v) {
          int8x16_t first, second;
          load_codes<INT4>(codes + k8 * row_bytes, v, first, second);
          for (int tt = 0; tt < TT; ++tt) {
            acc[tt][v] = vdotq_lane_s32(acc[tt][v], first, a[tt], 0);
            acc[tt][v] = vdotq_lane_s32(acc[tt][v], second, a[tt], 1);
          }
        }
      }
      for (int tt = 0; tt < TT; ++tt)
        for (int v = 0; v < 4; ++v)
          p[tt][v] =
              c == 0 ? acc[tt][v] : vaddq_s32(p[tt][v], vshlq_s32(acc[tt][v], vdupq_n_s32(7 * c)));
    }
    float32x4_t scale[4];
    load_scales(W, nb, sg, scale);
    for (int tt = 0; tt < TT; ++tt)
      accumulate_group(ctx, p[tt], A.scale[(t0 + tt) * A.groups + g], scale, y[tt]);
  }
}

// The same tile without dotprod. smull/smlal give, per int16 lane, the products of one channel
// at k and k + 4; sadalp adds pairs of those into int32 lanes, two lanes per channel, which one
// addp per 4 channels folds at the end of a chunk.
template <int TT, bool INT4>
inline void plain_tile(neon_context& ctx, std::size_t t0, std::size_t nb, float32x4_t (&y)[TT][4]) {
  const int8_activations& A = *ctx.A;
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G;
  constexpr std::size_t row_bytes = INT4 ? 64 : 128;
  for (int tt = 0; tt < TT; ++tt)
    for (int v = 0; v < 4; ++v) y[tt][v] = vdupq_n_f32(0.0f);
  for (std::size_t g = 0; g < A.groups; ++g) {
    const std::size_t sg = g * G / W.scale_group();
    const std::uint8_t* codes = W.codes() + nb * W.block_bytes() + g * G / 8 * row_bytes;
    int32x4_t p[TT][4];
    for (int c = 0; c < A.chunks; ++c) {
      int32x4_t acc[TT][4][2];  // [v][0]: channels 4v, 4v + 1; [v][1]: 4v + 2, 4v + 3
      const std::int8_t* a_rows[TT];
      for (int tt = 0; tt < TT; ++tt) {
        for (int v = 0; v < 4; ++v) acc[tt][v][0] = acc[tt][v][1] = vdupq_n_s32(0);
        a_rows[tt] = A.row(c, t0 + tt) + g * G;
      }
      for (std::size_t k8 = 0; k8 < G / 8; ++k8) {
        int8x16_t a_first[TT], a_second[TT];  // k0..3 (k4..7) repeated in every lane
        for (int tt = 0; tt < TT; ++tt) {
          std::int32_t lo, hi;
          std::memcpy(&lo, a_rows[tt] + 8 * k8, 4);
          std::memcpy(&hi, a_rows[tt] + 8 * k8 + 4, 4);
          a_first[tt] = vreinterpretq_s8_s32(vdupq_n_s32(lo));
          a_second[tt] = vreinterpretq_s8_s32(vdupq_n_s32(hi));
        }
        for (int v = 0; v < 4; ++v) {
          int8x16_t first, second;
          load_codes<INT4>(codes + k8 * row_bytes, v, first, second);
          for (int tt = 0; tt < TT; ++tt) {
            int16x8_t lo = vmull_s8(vget_low_s8(first), vget_low_s8(a_first[tt]));
            lo = vmlal_s8(lo, vget_low_s8(second), vget_low_s8(a_second[tt]));
            int16x8_t hi = vmull_high_s8(first, a_first[tt]);
            hi = vmlal_high_s8(hi, second, a_second[tt]);
            acc[tt][v][0] = vpadalq_s16(acc[tt][v][0], lo);
            acc[tt][v][1] = vpadalq_s16(acc[tt][v][1], hi);
          }
        }
      }
      for (int tt = 0; tt < TT; ++tt) {
        int32x4_t chunk[4];
        correction(ctx, nb, sg, A.sums[((t0 + tt) * A.groups + g) * A.chunks + c], chunk);
        for (int v = 0; v < 4; ++v) {
          chunk[v] = vaddq_s32(chunk[v], vpaddq_s32(acc[tt][v][0], acc[tt][v][1]));
          p[tt][v] =
              c == 0 ? chunk[v] : vaddq_s32(p[tt][v], vshlq_s32(chunk[v], vdupq_n_s32(7 * c)));
        }
      }
    }
    float32x4_t scale[4];
    load_scales(W, nb, sg, scale);
    for (int tt = 0; tt < TT; ++tt)
      accumulate_group(ctx, p[tt], A.scale[(t0 + tt) * A.groups + g], scale, y[tt]);
  }
}

// Computes a tile and writes its first `channels` outputs: out[tt * row_stride + n * col_stride].
template <int TT, bool DOT, bool INT4>
inline void tile_store(neon_context& ctx, std::size_t t0, std::size_t nb, float* out,
                       std::size_t row_stride, std::size_t col_stride, std::size_t channels) {
  float32x4_t y[TT][4];
  if constexpr (DOT)
    dot_tile<TT, INT4>(ctx, t0, nb, y);
  else
    plain_tile<TT, INT4>(ctx, t0, nb, y);
  float lanes[16];
  const std::size_t count = std::min<std::size_t>(16, channels);
  for (int tt = 0; tt < TT; ++tt) {
    for (int v = 0; v < 4; ++v) vst1q_f32(lanes + 4 * v, y[tt][v]);
    for (std::size_t j = 0; j < count; ++j) out[tt * row_stride + j * col_stride] = lanes[j];
  }
}

template <bool DOT, bool INT4>
inline void neon_rows(neon_context& ctx, const gemm_job& job) {
  // Tiles of TT tokens x 16 channels: sdot keeps 4 x 4 accumulators, the plain path 2 x 8.
  constexpr int TT = DOT ? 4 : 2;
  constexpr std::size_t block = packed_weights::block_n;
  // Tokens in chunks whose int8 activations stay in cache while every weight block passes by.
  constexpr std::size_t token_chunk = 128;
  const std::size_t T = ctx.A->rows;
  const std::size_t nb_begin = job.n_begin / block;
  const std::size_t nb_end = (job.n_end + block - 1) / block;
  for (std::size_t t0 = 0; t0 < T; t0 += token_chunk) {
    const std::size_t t1 = std::min(T, t0 + token_chunk);
    for (std::size_t nb = nb_begin; nb < nb_end; ++nb) {
      float* out = job.y + nb * block * job.col_stride;
      const std::size_t channels = job.n_end - nb * block;
      std::size_t t = t0;
      for (; t + TT <= t1; t += TT)
        tile_store<TT, DOT, INT4>(ctx, t, nb, out + t * job.row_stride, job.row_stride,
                                  job.col_stride, channels);
      for (; t < t1; ++t)
        tile_store<1, DOT, INT4>(ctx, t, nb, out + t * job.row_stride, job.row_stride,
                                 job.col_stride, channels);
    }
  }
}

inline void gemm(const gemm_job& job) {
  neon_context ctx{job.A, &job.W->packed(), std::size_t(job.X->fmt().group()), job.mode};
  const bool int4 = job.W->is_int4();
  if (cpu_has(cpu_feature::dotprod)) {
    if (int4)
      neon_rows<true, true>(ctx, job);
    else
      neon_rows<true, false>(ctx, job);
  } else {
    if (int4)
      neon_rows<false, true>(ctx, job);
    else
      neon_rows<false, false>(ctx, job);
  }
  if (job.stats) job.stats->fp16_overflows += ctx.overflows;
}

}  // namespace anda::kernels::neon

#undef ANDA_TARGET_DOTPROD
#endif
