// AVX-512 VNNI GeMM kernel. Activations are unpacked once per call from bit-planes to signed
// int8 chunks of 7 magnitude bits (one chunk for M <= 7, two for M <= 14, three above); weights
// are read in the blocked layout (storage/packed_weights.hpp) as unsigned codes u, so that
//   p = sum u * a - c * sum a   (c = 8, 128, or the zero point)
// is one vpdpbusd (u8 x s8) per 4 k and 16 output channels, plus one correction per group.
// Vectorised across output channels, sequential over groups: the bits of docs/gemm.md. Prefill
// with M <= 7, symmetric weights and FP32 accumulation takes the fast path (fast_tile).
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "anda/format/reference.hpp"
#include "anda/kernels/avx512/encode.hpp"
#include "anda/kernels/backend.hpp"
#include "anda/storage/aligned_buffer.hpp"

#define ANDA_TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")))

// GCC 12 warns about the deliberately undefined pass-through operand inside its own intrinsics
// (_mm512_undefined_*, GCC bug 105593); nothing of ours is uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace anda::kernels::avx512 {

// X in int8 chunks of 7 bits (int8_activations.hpp), unpacked with byte masks.
ANDA_TARGET_VNNI inline int8_activations prepare_vnni(const activation_tensor& X, weight_type) {
  const int M = X.fmt().mantissa();
  const std::size_t G = std::size_t(X.fmt().group());
  int8_activations a = int8_activations::shape_for(X, 7);
  const __m512i ones = _mm512_set1_epi8(1);
  for (std::size_t t = 0; t < a.rows; ++t) {
    for (std::size_t g = 0; g < a.groups; ++g) {
      const group_view v = X.group(t, g);
      for (int c = 0; c < a.chunks; ++c) {
        __m512i sum = _mm512_setzero_si512();
        for (std::size_t w = 0; w * 64 < G; ++w) {
          // Only the row's real columns (the padded tail is ignored, as by the reference).
          const std::size_t real = std::min(G, X.cols() - g * G);
          const std::size_t lanes = real > 64 * w ? std::min<std::size_t>(64, real - 64 * w) : 0;
          const __mmask64 valid = lanes == 64 ? ~__mmask64{0} : (__mmask64{1} << lanes) - 1;
          __m512i x = _mm512_setzero_si512();
          for (int b = 7 * c; b < std::min(7 * c + 7, M); ++b) {  // magnitude bit b: plane M-1-b
            const __mmask64 bits = v.word(1 + (M - 1 - b), int(w)) & valid;
            x = _mm512_or_si512(
                x, _mm512_maskz_mov_epi8(bits, _mm512_set1_epi8(char(1 << (b - 7 * c)))));
          }
          const __mmask64 negative = v.word(0, int(w)) & valid;
          x = _mm512_mask_sub_epi8(x, negative, _mm512_setzero_si512(), x);
          _mm512_mask_storeu_epi8(a.row(c, t) + g * G + 64 * w, valid, x);
          sum = _mm512_dpbusd_epi32(sum, ones, x);
        }
        a.sums[(t * a.groups + g) * a.chunks + c] = _mm512_reduce_add_epi32(sum);
      }
    }
  }
  return a;
}

// y + round(p * 2^k) * scale for 16 channels, exactly as the reference rounds (docs/gemm.md):
// in FP32 mode round(p) * (scale * 2^k) (both products exact); in FP16 mode p * 2^k rounded to
// FP16 through round-to-odd FP32 (exact: 24 >= 11 + 2 bits), its overflows to Inf counted.
ANDA_TARGET_VNNI inline __m512 add_group(__m512 y, __m512i p, __m512 pow2, __m512 scale,
                                         accumulate mode, std::size_t& overflows) {
  if (mode == accumulate::fp32)
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(scale, pow2), y);
  const __m512 toward_zero = _mm512_cvt_roundepi32_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __mmask16 inexact = _mm512_cmpneq_epi32_mask(_mm512_cvttps_epi32(toward_zero), p);
  const __m512 odd = _mm512_castsi512_ps(
      _mm512_mask_or_epi32(_mm512_castps_si512(toward_zero), inexact,
                           _mm512_castps_si512(toward_zero), _mm512_set1_epi32(1)));
  const __m512 h = _mm512_cvtph_ps(
      _mm512_cvtps_ph(_mm512_mul_ps(odd, pow2), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  overflows += std::popcount(
      unsigned(_mm512_cmp_ps_mask(_mm512_abs_ps(h), _mm512_set1_ps(INFINITY), _CMP_EQ_OQ)));
  return _mm512_fmadd_ps(h, scale, y);
}

// The FP32 scales of NB blocks of 16 channels from block nb0 in weight scale group sg.
template <int NB>
ANDA_TARGET_VNNI inline void load_scales(const packed_weights& W, std::size_t nb0, std::size_t sg,
                                         __m512 (&scale)[NB]) {
  for (int nb = 0; nb < NB; ++nb)
    scale[nb] = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(
        W.scales_fp16() + ((nb0 + nb) * W.scale_groups() + sg) * packed_weights::block_n)));
}

struct vnni_context {
  const int8_activations* A;
  const packed_weights* W;
  std::size_t G;  // activation group
  accumulate mode;
  std::size_t overflows = 0;
};

// One tile: TT rows (tokens) from t0, NB blocks of 16 output channels from block nb0.
template <int TT, int NB, bool INT4>
ANDA_TARGET_VNNI inline void vnni_tile(vnni_context& ctx, std::size_t t0, std::size_t nb0,
                                       __m512 (&y)[TT][NB]) {
  const int8_activations& A = *ctx.A;
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G;
  const bool asym = W.type() == weight_type::int4_asym;
  const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
  for (int tt = 0; tt < TT; ++tt)
    for (int nb = 0; nb < NB; ++nb) y[tt][nb] = _mm512_setzero_ps();

  for (std::size_t g = 0; g < A.groups; ++g) {
    const std::size_t sg = g * G / W.scale_group();  // the weight scale group
    __m512i p[TT][NB];
    for (int c = 0; c < A.chunks; ++c) {
      __m512i acc[TT][NB];
      // Start from -c * sum(a): the correction for the unsigned weight codes.
      for (int tt = 0; tt < TT; ++tt) {
        const std::int32_t s = A.sums[((t0 + tt) * A.groups + g) * A.chunks + c];
        for (int nb = 0; nb < NB; ++nb) {
          if (asym) {
            const std::size_t at = ((nb0 + nb) * W.scale_groups() + sg) * packed_weights::block_n;
            const __m512i z = _mm512_cvtepu8_epi32(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(W.offsets() + at)));
            acc[tt][nb] = _mm512_mullo_epi32(z, _mm512_set1_epi32(-s));
          } else {
            acc[tt][nb] = _mm512_set1_epi32(-W.code_offset() * s);
          }
        }
      }
      const std::int8_t* a_rows[TT];
      for (int tt = 0; tt < TT; ++tt) a_rows[tt] = A.row(c, t0 + tt) + g * G;
      if constexpr (INT4) {
        for (std::size_t k8 = 0; k8 < G / 8; ++k8) {
          __m512i lo[NB], hi[NB];
          for (int nb = 0; nb < NB; ++nb) {
            const std::uint8_t* at =
                W.codes() + (nb0 + nb) * W.block_bytes() + (g * G / 8 + k8) * 64;
            // Decode streams every weight once from DRAM: fetch 16 lines ahead of each stream.
            if constexpr (TT == 1)
              _mm_prefetch(reinterpret_cast<const char*>(at) + 1024, _MM_HINT_T0);
            const __m512i packed = _mm512_load_si512(at);
            lo[nb] = _mm512_and_si512(packed, low_nibbles);
            hi[nb] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
          }
          for (int tt = 0; tt < TT; ++tt) {
            std::int32_t a0, a1;
            std::memcpy(&a0, a_rows[tt] + 8 * k8, 4);
            std::memcpy(&a1, a_rows[tt] + 8 * k8 + 4, 4);
            const __m512i b0 = _mm512_set1_epi32(a0), b1 = _mm512_set1_epi32(a1);
            for (int nb = 0; nb < NB; ++nb) {
              acc[tt][nb] = _mm512_dpbusd_epi32(acc[tt][nb], lo[nb], b0);
              acc[tt][nb] = _mm512_dpbusd_epi32(acc[tt][nb], hi[nb], b1);
            }
          }
        }
      } else {
        for (std::size_t k4 = 0; k4 < G / 4; ++k4) {
          __m512i u[NB];
          for (int nb = 0; nb < NB; ++nb)
            u[nb] =
                _mm512_load_si512(W.codes() + (nb0 + nb) * W.block_bytes() + (g * G / 4 + k4) * 64);
          for (int tt = 0; tt < TT; ++tt) {
            std::int32_t a0;
            std::memcpy(&a0, a_rows[tt] + 4 * k4, 4);
            const __m512i b0 = _mm512_set1_epi32(a0);
            for (int nb = 0; nb < NB; ++nb)
              acc[tt][nb] = _mm512_dpbusd_epi32(acc[tt][nb], u[nb], b0);
          }
        }
      }
      for (int tt = 0; tt < TT; ++tt)
        for (int nb = 0; nb < NB; ++nb)
          p[tt][nb] =
              c == 0 ? acc[tt][nb]
                     : _mm512_add_epi32(p[tt][nb], _mm512_slli_epi32(acc[tt][nb], unsigned(7 * c)));
    }
    __m512 scale[NB];
    load_scales(W, nb0, sg, scale);
    for (int tt = 0; tt < TT; ++tt) {
      const __m512 pow2 = _mm512_set1_ps(A.scale[(t0 + tt) * A.groups + g]);  // NaN: non-finite
      for (int nb = 0; nb < NB; ++nb)
        y[tt][nb] = add_group(y[tt][nb], p[tt][nb], pow2, scale[nb], ctx.mode, ctx.overflows);
    }
  }
}

// Writes a tile's first `channels` outputs: out[tt * row_stride + n * col_stride].
template <int TT, int NB>
ANDA_TARGET_VNNI inline void store_tile(const __m512 (&y)[TT][NB], float* out,
                                        std::size_t row_stride, std::size_t col_stride,
                                        std::size_t channels) {
  alignas(64) float lanes[16];
  for (int tt = 0; tt < TT; ++tt) {
    for (int nb = 0; nb < NB; ++nb) {
      _mm512_store_ps(lanes, y[tt][nb]);
      const std::size_t n0 = nb * packed_weights::block_n;
      const std::size_t count = std::min<std::size_t>(16, channels - std::min(channels, n0));
      for (std::size_t j = 0; j < count; ++j)
        out[tt * row_stride + (n0 + j) * col_stride] = lanes[j];
    }
  }
}

// Computes a tile and writes its first `channels` outputs: out[tt * row_stride + n * col_stride].
template <int TT, int NB, bool INT4>
ANDA_TARGET_VNNI inline void vnni_tile_store(vnni_context& ctx, std::size_t t0, std::size_t nb0,
                                             float* out, std::size_t row_stride,
                                             std::size_t col_stride, std::size_t channels) {
  __m512 y[TT][NB];
  vnni_tile<TT, NB, INT4>(ctx, t0, nb0, y);
  store_tile(y, out, row_stride, col_stride, channels);
}

// The prefill fast path: one activation chunk (M <= 7), symmetric weights, FP32 accumulation and
// G a multiple of 32 (the common case), as one tight loop the compiler keeps in registers: 6
// tokens x 2 blocks of 16 channels (12 accumulators hide vpdpbusd's latency; with the 12 FP32
// sums they fill 24 of the 32 registers), eight k steps unrolled per iteration (a loop of single
// steps paid for its exit at every group: measured 20 % slower). The codes are bytes: for block
// nb and step k (4 k), 64 bytes at codes + nb * block_stride + k * step_stride.
struct byte_codes {
  const std::uint8_t* codes;
  std::size_t block_stride, step_stride;
};

inline bool fast_prefill(const int8_activations& A, const packed_weights& W, std::size_t G,
                         accumulate mode) {
  return A.chunks == 1 && W.type() != weight_type::int4_asym && mode == accumulate::fp32 &&
         G % 32 == 0;
}

// The tile's sums go to `rows`, one row of NB * 16 floats per token.
template <int TT, int NB>
ANDA_TARGET_VNNI void fast_tile(const int8_activations& A, const packed_weights& W, std::size_t G,
                                std::size_t t0, std::size_t nb0, const byte_codes& w, float* rows) {
  __m512 y[TT][NB];
  for (int tt = 0; tt < TT; ++tt)
    for (int nb = 0; nb < NB; ++nb) y[tt][nb] = _mm512_setzero_ps();
  const std::int32_t c = W.code_offset();
  const std::int8_t* a = A.row(0, t0);
  std::size_t sg = 0, sg_end = W.scale_group();  // weight scale group, without a division
  for (std::size_t g = 0; g < A.groups; ++g) {
    for (; g * G >= sg_end; sg_end += W.scale_group()) ++sg;
    __m512i acc[TT][NB];  // from -c * sum(a): the correction for the unsigned codes
    for (int tt = 0; tt < TT; ++tt) {
      const __m512i start = _mm512_set1_epi32(-c * A.sums[(t0 + tt) * A.groups + g]);
      for (int nb = 0; nb < NB; ++nb) acc[tt][nb] = start;
    }
    const std::uint8_t* wg = w.codes + g * (G / 4) * w.step_stride;
    const std::int8_t* ag = a + g * G;
    for (std::size_t k8 = 0; k8 < G / 4; k8 += 8) {
#pragma GCC unroll 8
      for (std::size_t k4 = k8; k4 < k8 + 8; ++k4) {
        __m512i u[NB];
        for (int nb = 0; nb < NB; ++nb)
          u[nb] = _mm512_load_si512(wg + nb * w.block_stride + k4 * w.step_stride);
        for (int tt = 0; tt < TT; ++tt) {
          std::int32_t a4;
          std::memcpy(&a4, ag + tt * A.row_stride + 4 * k4, 4);
          const __m512i b = _mm512_set1_epi32(a4);
          for (int nb = 0; nb < NB; ++nb) acc[tt][nb] = _mm512_dpbusd_epi32(acc[tt][nb], u[nb], b);
        }
      }
    }
    __m512 scale[NB];
    load_scales(W, nb0, sg, scale);
    for (int tt = 0; tt < TT; ++tt) {
      const __m512 pow2 = _mm512_set1_ps(A.scale[(t0 + tt) * A.groups + g]);  // NaN: non-finite
      for (int nb = 0; nb < NB; ++nb)  // round(p) * (scale * 2^k), as add_group in FP32 mode
        y[tt][nb] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[tt][nb]), _mm512_mul_ps(scale[nb], pow2),
                                    y[tt][nb]);
    }
  }
  for (int tt = 0; tt < TT; ++tt)
    for (int nb = 0; nb < NB; ++nb) _mm512_store_ps(rows + (tt * NB + nb) * 16, y[tt][nb]);
}

// 16 tokens x 16 channels, a token per vector, written to a column-major Y (tokens contiguous,
// channels col_stride floats apart): 16 vector stores instead of 256 scalar ones.
ANDA_TARGET_VNNI inline void store_by_channel(__m512 (&y)[16], float* out, std::size_t col_stride) {
  transpose_16x16(y);
  for (int n = 0; n < 16; ++n) _mm512_storeu_ps(out + n * col_stride, y[n]);
}

// Cache lines brought into L2 a few at a time, between pieces of other work.
struct line_prefetch {
  const char *at = nullptr, *end = nullptr;
  std::size_t lines() const { return std::size_t(end - at) / 64; }
  ANDA_TARGET_VNNI void step(std::size_t n) {
    for (; n > 0 && at < end; --n, at += 64) _mm_prefetch(at, _MM_HINT_T1);
  }
};

// Every token of the job against NB blocks from block nb: tiles of 6 tokens, then 3, then 1,
// written as rows into a panel of up to 48 tokens that then goes out to Y, column-major Y in
// 16 x 16 transposes (a scalar store per output took a fifth of the kernel's time at K = 384).
template <int NB>
ANDA_TARGET_VNNI void fast_rows(const vnni_context& ctx, const gemm_job& job, std::size_t nb,
                                const byte_codes& w, line_prefetch& ahead) {
  constexpr std::size_t block = packed_weights::block_n, width = NB * block, chunk = 48;
  const std::size_t T = ctx.A->rows, channels = std::min(width, job.n_end - nb * block);
  const std::size_t per_tile = (ahead.lines() + T / 6) / (T / 6 + 1);  // spread over the tiles
  const std::size_t rs = job.row_stride, cs = job.col_stride;
  alignas(64) float panel[chunk * width];
  for (std::size_t t0 = 0; t0 < T; t0 += chunk) {
    const std::size_t tokens = std::min(chunk, T - t0);
    std::size_t t = 0;
    auto tiles = [&]<int TT>() {
      for (; t + TT <= tokens; t += TT) {
        fast_tile<TT, NB>(*ctx.A, *ctx.W, ctx.G, t0 + t, nb, w, panel + t * width);
        ahead.step(per_tile);
      }
    };
    tiles.template operator()<6>();
    tiles.template operator()<3>();
    tiles.template operator()<1>();
    float* const y = job.y + t0 * rs + nb * block * cs;
    const std::size_t full_t = rs == 1 ? tokens / 16 * 16 : 0;
    const std::size_t full_n = rs == 1 ? channels / 16 * 16 : 0;
    for (std::size_t i = 0; i < full_t; i += 16)
      for (std::size_t n = 0; n < full_n; n += 16) {
        __m512 rows[16];
        for (int r = 0; r < 16; ++r) rows[r] = _mm512_load_ps(panel + (i + r) * width + n);
        store_by_channel(rows, y + i + n * cs, cs);
      }
    for (std::size_t i = 0; i < tokens; ++i)
      for (std::size_t n = i < full_t ? full_n : 0; n < channels; ++n)
        y[i * rs + n * cs] = panel[i * width + n];
  }
}

// Two blocks (32 channels) at a time against every token. INT4 codes are first spread to one
// byte each into a panel (32 x K bytes, in L2) whose two blocks interleave per 4 k, so that
// the tiles read one stream; INT8 codes are read where they are.
template <bool INT4>
ANDA_TARGET_VNNI inline void fast_prefill_rows(const vnni_context& ctx, const gemm_job& job) {
  constexpr std::size_t block = packed_weights::block_n, NB = 2;
  const packed_weights& W = *ctx.W;
  const std::size_t nb_begin = job.n_begin / block;
  const std::size_t nb_end = (job.n_end + block - 1) / block;
  const std::size_t Kp = W.padded_cols();
  aligned_buffer panel(INT4 ? NB * block * Kp : 0);
  const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
  for (std::size_t nb = nb_begin; nb < nb_end; nb += NB) {
    const std::size_t width = std::min(NB, nb_end - nb);
    byte_codes w{W.codes() + nb * W.block_bytes(), W.block_bytes(), 64};
    if constexpr (INT4) {
      for (std::size_t b = 0; b < width; ++b) {
        for (std::size_t k8 = 0; k8 < Kp / 8; ++k8) {
          const __m512i packed = _mm512_load_si512(w.codes + b * W.block_bytes() + 64 * k8);
          std::uint8_t* to = panel.data() + (2 * k8 * NB + b) * 64;  // steps 2 k8 and 2 k8 + 1
          _mm512_store_si512(to, _mm512_and_si512(packed, low_nibbles));
          _mm512_store_si512(to + NB * 64,
                             _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles));
        }
      }
      w = {panel.data(), 64, NB * 64};
    }
    // The next blocks' codes, fetched into L2 a few lines per tile while these tiles run: each
    // weight is read once per call (from memory, for models whose weights outgrow L2), and the
    // spreading loop above would otherwise wait for every line.
    line_prefetch ahead;
    if (INT4 && nb + NB < nb_end) {
      ahead.at = reinterpret_cast<const char*>(W.codes() + (nb + NB) * W.block_bytes());
      ahead.end = ahead.at + std::min(NB, nb_end - nb - NB) * W.block_bytes();
    }
    if (width == NB)
      fast_rows<NB>(ctx, job, nb, w, ahead);
    else
      fast_rows<1>(ctx, job, nb, w, ahead);
  }
}

template <bool INT4>
ANDA_TARGET_VNNI inline void vnni_rows(vnni_context& ctx, const gemm_job& job) {
  constexpr int NB = 2, TT = 4;
  constexpr std::size_t block = packed_weights::block_n;
  // Tokens in chunks whose int8 activations stay in L2 while every weight block passes by.
  constexpr std::size_t token_chunk = 128;
  const std::size_t T = ctx.A->rows;
  const std::size_t nb_begin = job.n_begin / block;
  const std::size_t nb_end = (job.n_end + block - 1) / block;
  auto at = [&](std::size_t t, std::size_t nb) {
    return job.y + t * job.row_stride + nb * block * job.col_stride;
  };
  auto channels = [&](std::size_t nb) { return job.n_end - nb * block; };
  if (T < TT) {  // decode: each token against four channel blocks at a time, straight to y
    std::size_t nb = nb_begin;
    for (; nb + 4 <= nb_end; nb += 4)
      for (std::size_t t = 0; t < T; ++t)
        vnni_tile_store<1, 4, INT4>(ctx, t, nb, at(t, nb), job.row_stride, job.col_stride,
                                    channels(nb));
    for (; nb < nb_end; ++nb)
      for (std::size_t t = 0; t < T; ++t)
        vnni_tile_store<1, 1, INT4>(ctx, t, nb, at(t, nb), job.row_stride, job.col_stride,
                                    channels(nb));
    return;
  }
  if (fast_prefill(*ctx.A, *ctx.W, ctx.G, ctx.mode)) return fast_prefill_rows<INT4>(ctx, job);
  // Prefill: tiles land in an L1-sized panel [channel][token], copied out one channel (a run of
  // up to 128 tokens) at a time, so a column-major Y is written in contiguous runs.
  std::vector<float> panel(NB * block * token_chunk);
  for (std::size_t t0 = 0; t0 < T; t0 += token_chunk) {
    const std::size_t t1 = std::min(T, t0 + token_chunk);
    for (std::size_t nb = nb_begin; nb < nb_end;) {
      const int width = nb + NB <= nb_end ? NB : 1;
      const std::size_t n_here = std::min<std::size_t>(width * block, channels(nb));
      std::size_t t = t0;
      for (; t + TT <= t1; t += TT) {
        float* p = panel.data() + (t - t0);
        if (width == NB)
          vnni_tile_store<TT, NB, INT4>(ctx, t, nb, p, 1, token_chunk, n_here);
        else
          vnni_tile_store<TT, 1, INT4>(ctx, t, nb, p, 1, token_chunk, n_here);
      }
      for (; t < t1; ++t) {
        float* p = panel.data() + (t - t0);
        if (width == NB)
          vnni_tile_store<1, NB, INT4>(ctx, t, nb, p, 1, token_chunk, n_here);
        else
          vnni_tile_store<1, 1, INT4>(ctx, t, nb, p, 1, token_chunk, n_here);
      }
      for (std::size_t n = 0; n < n_here; ++n) {
        float* out = at(t0, nb) + n * job.col_stride;
        for (std::size_t i = 0; i < t1 - t0; ++i)
          out[i * job.row_stride] = panel[n * token_chunk + i];
      }
      nb += std::size_t(width);
    }
  }
}

ANDA_TARGET_VNNI inline void gemm(const gemm_job& job) {
  vnni_context ctx{job.A, &job.W->packed(), std::size_t(job.X->fmt().group()), job.mode};
  if (job.W->is_int4())
    vnni_rows<true>(ctx, job);
  else
    vnni_rows<false>(ctx, job);
  if (job.stats) job.stats->fp16_overflows += ctx.overflows;
}

}  // namespace anda::kernels::avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef ANDA_TARGET_VNNI
#endif
