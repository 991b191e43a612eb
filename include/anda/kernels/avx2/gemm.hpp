// AVX2 GeMM kernel (Haswell and later, AMD Zen 1-3): the AVX-512 kernel's structure on 8-channel
// ymm vectors, with vpmaddubsw (u8 x s8, adjacent products summed to int16) and vpmaddwd in place
// of VNNI's vpdpbusd; instantiated with dot::vnni it is the AVX-VNNI kernel (VEX vpdpbusd on ymm,
// Alder Lake and later, Zen 5). Activations are unpacked once per call to signed int8 chunks
// (int8_activations.hpp); weights are read in the blocked layout (storage/packed_weights.hpp) as
// unsigned codes u, so that
//   p = sum u * a - c * sum a   (c = 8, 128, or the zero point)
// with one correction per group and chunk. vpmaddubsw saturates, so the chunk widths and the
// int16 sums below are chosen so that nothing saturates or wraps (static_asserts next to the
// code). Prefill: tiles of 3 tokens x 24 channels into an L1 panel, or the fast paths below
// (M <= 7, symmetric weights, FP32 accumulation); decode (T < 3): one token x 32 channels straight
// to y, weights prefetched. Vectorised across output channels, sequential over groups: the bits
// of docs/gemm.md, in both accumulate modes.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "anda/kernels/backend.hpp"
#include "anda/storage/aligned_buffer.hpp"

#define ANDA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
// The loops over a tile's tokens, vectors and steps carry "#pragma GCC unroll 16": tile arrays live
// in registers only if those loops are unrolled completely, which GCC does not do at -O2 by itself
// (3.5x slower there).

namespace anda::kernels::avx2 {

// How u8 x s8 products are summed: vpmaddubsw + vpmaddwd (AVX2), or vpdpbusd (AVX-VNNI).
enum class dot { maddubs, vnni };

// Activation chunk widths: |a_c| <= 2^bits - 1. vpdpbusd sums four products straight into int32
// (4 * 255 * 127 per step), so with VNNI both weight types take 7-bit chunks.
inline constexpr int vnni_chunk_bits = 7;
inline constexpr int int4_chunk_bits = 7;
inline constexpr int int8_chunk_bits = 6;
inline constexpr int int16_max = 32767;
// INT4: one vpmaddubsw pair is at most 2 * 15 * 127 = 3810 in magnitude, so eight of them add up
// in int16 without wrapping (8 * 3810 = 30480) before one vpmaddwd widens them: eight cheap
// vpaddw per vpmaddwd instead of one vpmaddwd per vpmaddubsw (the multiplier ports are the limit).
inline constexpr int int4_pair_max = 2 * 15 * ((1 << int4_chunk_bits) - 1);
inline constexpr int int4_sums = 8;  // vpmaddubsw results summed in int16: 4 steps of 8 k
static_assert(int4_pair_max == 3810 && int4_sums * int4_pair_max <= int16_max);
// INT8 with 6-bit chunks: one pair is at most 2 * 255 * 63 = 32130, so vpmaddubsw itself never
// saturates, but two would: each is widened at once.
inline constexpr int int8_pair_max = 2 * 255 * ((1 << int8_chunk_bits) - 1);
static_assert(int8_pair_max == 32130 && int8_pair_max <= int16_max);

// The bits of one plane for elements 32 * w .. 32 * w + 31 of a group, spread to one byte each:
// 0xFF where set. Reads only the group's bytes (G = 8, 16 have fewer than 32 elements).
ANDA_TARGET_AVX2 inline __m256i spread_plane(const group_view& v, int plane, std::size_t w) {
  const std::uint8_t* at = v.plane(plane).data() + 4 * w;
  std::uint32_t word;  // constant-size copies: one load each
  if (v.plane_bytes() >= 4) {
    std::memcpy(&word, at, 4);
  } else if (v.plane_bytes() == 2) {
    std::uint16_t half;
    std::memcpy(&half, at, 2);
    word = half;
  } else {
    word = at[0];
  }
  // Byte i takes plane byte i / 8 (each 128-bit lane holds all four), then tests bit i % 8.
  const __m256i byte =
      _mm256_shuffle_epi8(_mm256_set1_epi32(std::int32_t(word)),
                          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                           2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(0x8040201008040201);
  return _mm256_cmpeq_epi8(_mm256_and_si256(byte, bit), bit);
}

// X in int8 chunks of `chunk_bits` <= 7 bits: the portable unpacker's values
// (int8_activations::unpack), 32 elements at a time.
ANDA_TARGET_AVX2 inline int8_activations prepare_chunks(const activation_tensor& X,
                                                        int chunk_bits) {
  int8_activations a = int8_activations::shape_for(X, chunk_bits);
  const int M = X.fmt().mantissa();
  const std::size_t G = std::size_t(X.fmt().group()), K = X.cols();
  const __m256i ones = _mm256_set1_epi8(1);
  const __m256i lane = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
  for (std::size_t t = 0; t < a.rows; ++t) {
    for (std::size_t g = 0; g < a.groups; ++g) {
      const group_view v = X.group(t, g);
      for (int c = 0; c < a.chunks; ++c) {
        const int low = chunk_bits * c, high = std::min(M, low + chunk_bits);
        __m256i sum = _mm256_setzero_si256();  // int16 pair sums: at most 2 * 8 * 127 per lane
        for (std::size_t w = 0; w * 32 < G; ++w) {
          const std::size_t n = std::min<std::size_t>(32, G - 32 * w), k = g * G + 32 * w;
          __m256i magnitude = _mm256_setzero_si256();
          for (int b = low; b < high; ++b)  // magnitude bit b is mantissa plane M - 1 - b
            magnitude = _mm256_or_si256(magnitude,
                                        _mm256_and_si256(spread_plane(v, 1 + (M - 1 - b), w),
                                                         _mm256_set1_epi8(char(1 << (b - low)))));
          const __m256i negative = spread_plane(v, 0, w);
          // Columns K.. of the tail group: encoders leave them zero, but any planes are a valid
          // tensor and the reference ignores them. Zeroed here: asymmetric padding weights are
          // w = 0 - z, not 0.
          const std::size_t valid = k >= K ? 0 : std::min(n, K - k);
          const __m256i keep = _mm256_cmpgt_epi8(_mm256_set1_epi8(char(valid)), lane);
          const __m256i x = _mm256_and_si256(
              _mm256_sub_epi8(_mm256_xor_si256(magnitude, negative), negative), keep);
          if (n == 32) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.row(c, t) + k), x);
          } else {
            alignas(32) std::int8_t out[32];
            _mm256_store_si256(reinterpret_cast<__m256i*>(out), x);
            std::memcpy(a.row(c, t) + k, out, n);
          }
          sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(ones, x));
        }
        const __m256i s32 = _mm256_madd_epi16(sum, _mm256_set1_epi16(1));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        a.sums[(t * a.groups + g) * std::size_t(a.chunks) + std::size_t(c)] = _mm_cvtsi128_si32(s);
      }
    }
  }
  return a;
}

// The chunks the maddubs kernel reads: 7 bits for INT4 weights, 6 for INT8 (int8_pair_max).
ANDA_TARGET_AVX2 inline int8_activations prepare(const activation_tensor& X, weight_type t) {
  return prepare_chunks(X, t == weight_type::int8_sym ? int8_chunk_bits : int4_chunk_bits);
}

// The chunks the VNNI kernel reads: 7 bits for both weight types.
ANDA_TARGET_AVX2 inline int8_activations prepare_vnni(const activation_tensor& X, weight_type) {
  return prepare_chunks(X, vnni_chunk_bits);
}

// Each tile's int32 group products p and float outputs y live in memory (L1), touched once per
// 32 k and once per group: the 16 ymm registers go to the inner loop's int16 sums (given tile
// arrays in registers as well, GCC spills those sums instead).
inline constexpr int max_tile = 9;  // TT * NV

struct context {
  const int8_activations* A;
  const packed_weights* W;
  std::size_t G;  // activation group
  accumulate mode;
  __m256i* p;  // [TT * NV]
  __m256* y;   // [TT * NV]
  std::size_t overflows = 0;
};

// Four int8 activations (4 consecutive k) in every 32-bit lane.
ANDA_TARGET_AVX2 inline __m256i broadcast4(const std::int8_t* a) {
  std::int32_t x;
  std::memcpy(&x, a, 4);
  return _mm256_set1_epi32(x);
}

// p * 2^k rounded to FP16 (nearest even, overflow to Inf), as a float. float(p) would round to
// nearest and then the FP16 rounding would round a second time (wrong at ties); rounding p to
// odd instead (truncate, then set the last bit if inexact) keeps 24 >= 11 + 2 bits, enough for
// one correct rounding. AVX2 has no truncating int -> float conversion, so the truncation is
// made from the nearest one: f rounded away from zero iff p - int(f) has the opposite sign of p,
// and then the float one below in magnitude is bits(f) - 1.
ANDA_TARGET_AVX2 inline __m256 round_to_fp16(__m256i p, __m256 pow2) {
  const __m256 f = _mm256_cvtepi32_ps(p);
  // Exact: |p - f| <= 128; f = 2^31 converts to INT_MIN, which wraps to the right difference.
  const __m256i d = _mm256_sub_epi32(p, _mm256_cvttps_epi32(f));
  const __m256i s = _mm256_sign_epi32(d, p);  // < 0: rounded away from zero; 0: exact
  __m256i odd = _mm256_add_epi32(_mm256_castps_si256(f), _mm256_srai_epi32(s, 31));
  odd = _mm256_or_si256(odd, _mm256_min_epu32(_mm256_abs_epi32(s), _mm256_set1_epi32(1)));
  const __m256 scaled = _mm256_mul_ps(_mm256_castsi256_ps(odd), pow2);  // exact (NaN: NaN)
  return _mm256_cvtph_ps(_mm256_cvtps_ph(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// sum += the products of u (unsigned) and b (signed). maddubs: int16 lanes, each the sum of two
// products, the sum staying in its register: without the empty asm GCC sinks the single-use
// products to the final additions, keeps them all live and spills. vnni: int32 lanes, each the
// sum of four products, by VEX vpdpbusd written as asm: a target attribute cannot depend on a
// template parameter, and every other instruction here is AVX2 (the registry runs this only
// where the CPU has avx_vnni).
template <dot D>
ANDA_TARGET_AVX2 inline void add_product(__m256i& sum, __m256i u, __m256i b) {
  if constexpr (D == dot::vnni) {
    asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(sum) : "x"(u), "x"(b));
  } else {
    __m256i x = _mm256_add_epi16(sum, _mm256_maddubs_epi16(u, b));
    asm("" : "+x"(x));
    sum = x;
  }
}

// The sums of add_product<D> as int32 lanes.
template <dot D>
ANDA_TARGET_AVX2 inline __m256i widen(__m256i sum) {
  if constexpr (D == dot::vnni) return sum;
  return _mm256_madd_epi16(sum, _mm256_set1_epi16(1));
}

// `steps` <= 4 steps of 8 k (INT4): p += (products of TT activation rows and NV weight vectors)
// << shift. With maddubs the 2 * steps <= int4_sums vpmaddubsw results per output are summed in
// int16, then widened once.
template <dot D, int TT, int NV, int steps>
ANDA_TARGET_AVX2 inline void int4_steps(const std::uint8_t* const (&w)[NV],
                                        const std::int8_t* const (&a)[TT], int shift, __m256i* p) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  __m256i sum[TT][NV];
#pragma GCC unroll 16
  for (int tt = 0; tt < TT; ++tt)
#pragma GCC unroll 16
    for (int nv = 0; nv < NV; ++nv) sum[tt][nv] = _mm256_setzero_si256();
#pragma GCC unroll 16
  for (int s = 0; s < steps; ++s) {
    if constexpr (TT == 1) {
      // Decode: every weight is used once, so each block row is loaded once and used at once.
      const __m256i b0 = broadcast4(a[0] + 8 * s), b1 = broadcast4(a[0] + 8 * s + 4);
#pragma GCC unroll 16
      for (int nv = 0; nv < NV; ++nv) {
        // Streams every weight once from DRAM: fetch 16 lines ahead (one line holds both
        // halves of a block: vectors v0 + nv, v0 even).
        if (nv % 2 == 0)
          _mm_prefetch(reinterpret_cast<const char*>(w[nv] + 64 * s) + 1024, _MM_HINT_T0);
        const __m256i packed = _mm256_load_si256(reinterpret_cast<const __m256i*>(w[nv] + 64 * s));
        add_product<D>(sum[0][nv], _mm256_and_si256(packed, low_nibbles), b0);  // k 0..3
        add_product<D>(sum[0][nv], _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles), b1);
      }
    } else {
      // Registers: TT * NV sums, NV weight vectors (one nibble half at a time), one broadcast.
#pragma GCC unroll 16
      for (int half = 0; half < 2; ++half) {  // low nibbles: k 0..3, high: k 4..7
        __m256i u[NV];
#pragma GCC unroll 16
        for (int nv = 0; nv < NV; ++nv) {
          const __m256i packed =
              _mm256_load_si256(reinterpret_cast<const __m256i*>(w[nv] + 64 * s));
          u[nv] = _mm256_and_si256(half ? _mm256_srli_epi16(packed, 4) : packed, low_nibbles);
        }
#pragma GCC unroll 16
        for (int tt = 0; tt < TT; ++tt) {
          const __m256i b = broadcast4(a[tt] + 8 * s + 4 * half);
#pragma GCC unroll 16
          for (int nv = 0; nv < NV; ++nv) add_product<D>(sum[tt][nv], u[nv], b);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int tt = 0; tt < TT; ++tt)
#pragma GCC unroll 16
    for (int nv = 0; nv < NV; ++nv) {
      __m256i x = widen<D>(sum[tt][nv]);
      if (shift) x = _mm256_slli_epi32(x, shift);
      p[tt * NV + nv] = _mm256_add_epi32(p[tt * NV + nv], x);
    }
}

// One tile: TT rows (tokens) from t0, NV vectors of 8 output channels from vector v0; the
// result in ctx.y[tt * NV + nv]. Per group: p = correction + products (in ctx.p), then
// y = fma(round(p * 2^k), scale, y).
template <dot D, int TT, int NV, bool INT4>
ANDA_TARGET_AVX2 inline void tile(context& ctx, std::size_t t0, std::size_t v0) {
  static_assert(TT * NV <= max_tile);
  // Everything the group loop reads, in locals: stores through __m256i* may alias anything, so
  // fields read through A and W would be loaded again after each one.
  const int8_activations& A = *ctx.A;
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G, Gw = W.scale_group(), groups = A.groups;
  const std::size_t chunks = std::size_t(A.chunks), chunk_bits = std::size_t(A.chunk_bits);
  const std::size_t chunk_stride = A.rows * A.row_stride;  // from chunk c to c + 1 of a row
  const bool asym = W.type() == weight_type::int4_asym, fp32 = ctx.mode == accumulate::fp32;
  const auto c_offset = std::uint32_t(W.code_offset());
  constexpr std::size_t block = packed_weights::block_n;
  const std::int8_t* row[TT];    // chunk 0
  const std::int32_t* sums[TT];  // [g * chunks + c]
  const float* pow2s[TT];        // [g]
#pragma GCC unroll 16
  for (int tt = 0; tt < TT; ++tt) {
    row[tt] = A.row(0, t0 + std::size_t(tt));
    sums[tt] = A.sums.data() + (t0 + std::size_t(tt)) * groups * chunks;
    pow2s[tt] = A.scale.data() + (t0 + std::size_t(tt)) * groups;
  }
  // Vector v is the half v % 2 of block v / 2, and so are its scales and zero points, which
  // advance by one block (16) per weight scale group.
  const std::uint8_t* codes[NV];
  const std::uint16_t* scales[NV];
  const std::uint8_t* zeros[NV];
#pragma GCC unroll 16
  for (int nv = 0; nv < NV; ++nv) {
    const std::size_t v = v0 + std::size_t(nv);
    codes[nv] = W.codes() + v / 2 * W.block_bytes() + v % 2 * 32;
    const std::size_t param = v / 2 * W.scale_groups() * block + v % 2 * 8;
    scales[nv] = W.scales_fp16() + param;
    zeros[nv] = asym ? W.offsets() + param : nullptr;
  }
  __m256i* p = ctx.p;  // sum over chunks c of (chunk product) << (chunk_bits * c): exact in int32
  __m256* y = ctx.y;
  for (int i = 0; i < TT * NV; ++i) y[i] = _mm256_setzero_ps();

  std::size_t sg_end = Gw;  // where the current weight scale group ends (in k)
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t k0 = g * G;
    if (k0 >= sg_end) {  // Gw is a multiple of G, or covers all of K
      sg_end += Gw;
#pragma GCC unroll 16
      for (int nv = 0; nv < NV; ++nv) {
        scales[nv] += block;
        if (asym) zeros[nv] += block;
      }
    }
    for (std::size_t c = 0; c < chunks; ++c) {
      const int shift = int(chunk_bits * c);
      // Start from -c * sum(a) << shift: the correction for the unsigned weight codes. Modulo
      // 2^32 (unsigned), like the vector sums: the total p fits in int32.
#pragma GCC unroll 16
      for (int tt = 0; tt < TT; ++tt) {
        const std::uint32_t s = std::uint32_t(sums[tt][g * chunks + c]) << shift;
        const __m256i minus_s = _mm256_set1_epi32(std::int32_t(0u - s));
        const __m256i sym = _mm256_set1_epi32(std::int32_t(0u - c_offset * s));
#pragma GCC unroll 16
        for (int nv = 0; nv < NV; ++nv) {
          const __m256i correction =
              asym ? _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64(
                                            reinterpret_cast<const __m128i*>(zeros[nv]))),
                                        minus_s)
                   : sym;
          p[tt * NV + nv] = c == 0 ? correction : _mm256_add_epi32(p[tt * NV + nv], correction);
        }
      }
      const std::int8_t* a[TT];
#pragma GCC unroll 16
      for (int tt = 0; tt < TT; ++tt) a[tt] = row[tt] + c * chunk_stride + k0;
      if constexpr (INT4) {
        const std::uint8_t* w[NV];
#pragma GCC unroll 16
        for (int nv = 0; nv < NV; ++nv) w[nv] = codes[nv] + k0 / 8 * 64;
        constexpr int steps = int4_sums / 2;  // of 8 k: 32 k per widening
        for (std::size_t k = 0; k < G; k += 8 * steps) {
          if (G >= 32)
            int4_steps<D, TT, NV, steps>(w, a, shift, p);
          else if (G == 16)
            int4_steps<D, TT, NV, 2>(w, a, shift, p);
          else
            int4_steps<D, TT, NV, 1>(w, a, shift, p);
#pragma GCC unroll 16
          for (int nv = 0; nv < NV; ++nv) w[nv] += steps * 64;
#pragma GCC unroll 16
          for (int tt = 0; tt < TT; ++tt) a[tt] += 8 * steps;
        }
      } else {
        // maddubs: each vpmaddubsw widened at once (int8_pair_max). TT * NV int32 sums in
        // registers.
        __m256i acc[TT][NV];
#pragma GCC unroll 16
        for (int tt = 0; tt < TT; ++tt)
#pragma GCC unroll 16
          for (int nv = 0; nv < NV; ++nv) acc[tt][nv] = _mm256_setzero_si256();
        for (std::size_t k4 = 0; k4 < G / 4; ++k4) {
          __m256i u[NV];
#pragma GCC unroll 16
          for (int nv = 0; nv < NV; ++nv) {
            const std::uint8_t* at = codes[nv] + (k0 / 4 + k4) * 64;
            if (TT == 1 && nv % 2 == 0)
              _mm_prefetch(reinterpret_cast<const char*>(at) + 1024, _MM_HINT_T0);
            u[nv] = _mm256_load_si256(reinterpret_cast<const __m256i*>(at));
          }
#pragma GCC unroll 16
          for (int tt = 0; tt < TT; ++tt) {
            const __m256i b = broadcast4(a[tt] + 4 * k4);
#pragma GCC unroll 16
            for (int nv = 0; nv < NV; ++nv) {
              if constexpr (D == dot::vnni)
                add_product<D>(acc[tt][nv], u[nv], b);
              else
                acc[tt][nv] =
                    _mm256_add_epi32(acc[tt][nv], widen<D>(_mm256_maddubs_epi16(u[nv], b)));
            }
          }
        }
#pragma GCC unroll 16
        for (int tt = 0; tt < TT; ++tt)
#pragma GCC unroll 16
          for (int nv = 0; nv < NV; ++nv)
            p[tt * NV + nv] =
                _mm256_add_epi32(p[tt * NV + nv], _mm256_slli_epi32(acc[tt][nv], shift));
      }
    }
    // y = fma(round(p * 2^k), scale, y), exactly as the reference rounds.
    __m256 scale[NV];
#pragma GCC unroll 16
    for (int nv = 0; nv < NV; ++nv)
      scale[nv] = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(scales[nv])));
    if (fp32) {
#pragma GCC unroll 16
      for (int tt = 0; tt < TT; ++tt) {
        const __m256 pow2 = _mm256_set1_ps(pow2s[tt][g]);  // NaN: a non-finite group
        // round(p) * 2^k * scale == round(p) * (scale * 2^k): both products are exact.
#pragma GCC unroll 16
        for (int nv = 0; nv < NV; ++nv)
          y[tt * NV + nv] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p[tt * NV + nv]),
                                            _mm256_mul_ps(scale[nv], pow2), y[tt * NV + nv]);
      }
    } else {
      const __m256 inf = _mm256_set1_ps(__builtin_inff());
#pragma GCC unroll 16
      for (int tt = 0; tt < TT; ++tt) {
        const __m256 pow2 = _mm256_set1_ps(pow2s[tt][g]);
#pragma GCC unroll 16
        for (int nv = 0; nv < NV; ++nv) {
          const __m256 h = round_to_fp16(p[tt * NV + nv], pow2);
          const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), h);
          ctx.overflows += unsigned(std::popcount(
              unsigned(_mm256_movemask_ps(_mm256_cmp_ps(magnitude, inf, _CMP_EQ_OQ)))));
          y[tt * NV + nv] = _mm256_fmadd_ps(h, scale[nv], y[tt * NV + nv]);
        }
      }
    }
  }
}

// Computes a tile and writes its first `channels` outputs: out[tt * row_stride + n * col_stride].
template <dot D, int TT, int NV, bool INT4>
ANDA_TARGET_AVX2 inline void tile_store(context& ctx, std::size_t t0, std::size_t v0, float* out,
                                        std::size_t row_stride, std::size_t col_stride,
                                        std::size_t channels) {
  tile<D, TT, NV, INT4>(ctx, t0, v0);
  alignas(32) float lanes[8];
#pragma GCC unroll 16
  for (int tt = 0; tt < TT; ++tt) {
#pragma GCC unroll 16
    for (int nv = 0; nv < NV; ++nv) {
      _mm256_store_ps(lanes, ctx.y[tt * NV + nv]);
      const std::size_t n0 = std::size_t(nv) * 8;
      const std::size_t count = std::min<std::size_t>(8, channels - std::min(channels, n0));
      for (std::size_t j = 0; j < count; ++j)
        out[tt * row_stride + (n0 + j) * col_stride] = lanes[j];
    }
  }
}

// Prefill fast paths: one activation chunk (M <= 7), symmetric weights, FP32 accumulation and G
// a multiple of 32, as the AVX-512 backend's (avx512/gemm.hpp): TT tokens x one block of 16
// channels whose codes are bytes, 64 per 4 k (INT4 blocks spread once per block by fast_rows),
// eight k steps unrolled, every accumulator in a register, the FP32 sums in L1.
//  - vnni: 6 tokens (12 ymm accumulators, 2 weight vectors, a broadcast: 15 of the 16
//    registers), with the VNNI intrinsic, which a function of its own can carry the avxvnni
//    target for, and which lets the compiler keep the accumulators in registers;
//  - maddubs (INT4 only: 7-bit chunks): 3 tokens; each step's vpmaddubsw results (pairs, at
//    most int4_pair_max) are summed in int16 for 8 steps (int4_sums) and widened once into the
//    int32 accumulators (6 int16 sums, 6 int32 sums, 2 weight vectors, a broadcast, the ones).
inline bool fast_prefill(dot d, const int8_activations& A, const packed_weights& W, std::size_t G,
                         accumulate mode) {
  const bool weights =
      d == dot::vnni ? W.type() != weight_type::int4_asym : W.type() == weight_type::int4_sym;
  return weights && A.chunks == 1 && mode == accumulate::fp32 && G % 32 == 0;
}

// What both fast tiles do around their products: each group's sums start from -c * sum(a), the
// correction for the unsigned codes; y += round(p) * (scale * 2^k), as the general tile in FP32
// mode; the outputs are written out at the end.
template <int TT>
struct fast_tile_sums {
  const int8_activations& A;
  const packed_weights& W;
  std::size_t t0, b;
  alignas(32) float y[TT][2][8] = {};

  ANDA_TARGET_AVX2 [[gnu::always_inline]] inline void start(__m256i (&acc)[TT][2],
                                                            std::size_t g) const {
    for (int tt = 0; tt < TT; ++tt)
      acc[tt][0] = acc[tt][1] =
          _mm256_set1_epi32(-W.code_offset() * A.sums[(t0 + tt) * A.groups + g]);
  }
  ANDA_TARGET_AVX2 [[gnu::always_inline]] inline void add(const __m256i (&acc)[TT][2],
                                                          std::size_t g, std::size_t sg) {
    const std::uint16_t* sc =
        W.scales_fp16() + (b * W.scale_groups() + sg) * packed_weights::block_n;
    const __m256 scale[2] = {
        _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(sc))),
        _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(sc + 8)))};
#pragma GCC unroll 16
    for (int tt = 0; tt < TT; ++tt) {
      const __m256 pow2 = _mm256_set1_ps(A.scale[(t0 + tt) * A.groups + g]);  // NaN: non-finite
      for (int h = 0; h < 2; ++h)
        _mm256_store_ps(
            y[tt][h], _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[tt][h]), _mm256_mul_ps(scale[h], pow2),
                                      _mm256_load_ps(y[tt][h])));
    }
  }
  void store(float* out, std::size_t row_stride, std::size_t col_stride,
             std::size_t channels) const {
    for (int tt = 0; tt < TT; ++tt)
      for (std::size_t n = 0; n < std::min<std::size_t>(16, channels); ++n)
        out[tt * row_stride + n * col_stride] = y[tt][n / 8][n % 8];
  }
};

// The weight scale group of each activation group g in turn, without a division.
struct scale_group_walk {
  std::size_t G, Gw, sg = 0, end = Gw;
  std::size_t of(std::size_t g) {
    for (; g * G >= end; end += Gw) ++sg;
    return sg;
  }
};

#define ANDA_TARGET_AVX_VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

// TT tokens from t0 against block b, whose codes are bytes, 64 per 4 k.
template <int TT>
ANDA_TARGET_AVX_VNNI void vnni_fast_tile(const int8_activations& A, const packed_weights& W,
                                         std::size_t G, std::size_t t0, std::size_t b,
                                         const std::uint8_t* codes, float* out,
                                         std::size_t row_stride, std::size_t col_stride,
                                         std::size_t channels) {
  fast_tile_sums<TT> sums{A, W, t0, b};
  scale_group_walk walk{G, W.scale_group()};
  for (std::size_t g = 0; g < A.groups; ++g) {
    __m256i acc[TT][2];
    sums.start(acc, g);
    const std::uint8_t* wg = codes + g * (G / 4) * 64;
    const std::int8_t* ag = A.row(0, t0) + g * G;
    for (std::size_t k8 = 0; k8 < G / 4; k8 += 8) {
#pragma GCC unroll 8
      for (std::size_t k4 = k8; k4 < k8 + 8; ++k4) {
        const __m256i u0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wg + 64 * k4));
        const __m256i u1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wg + 64 * k4 + 32));
#pragma GCC unroll 16
        for (int tt = 0; tt < TT; ++tt) {
          const __m256i bb = broadcast4(ag + tt * A.row_stride + 4 * k4);
          acc[tt][0] = _mm256_dpbusd_avx_epi32(acc[tt][0], u0, bb);
          acc[tt][1] = _mm256_dpbusd_avx_epi32(acc[tt][1], u1, bb);
        }
      }
    }
    sums.add(acc, g, walk.of(g));
  }
  sums.store(out, row_stride, col_stride, channels);
}

#undef ANDA_TARGET_AVX_VNNI

template <int TT>
ANDA_TARGET_AVX2 void maddubs_fast_tile(const int8_activations& A, const packed_weights& W,
                                        std::size_t G, std::size_t t0, std::size_t b,
                                        const std::uint8_t* codes, float* out,
                                        std::size_t row_stride, std::size_t col_stride,
                                        std::size_t channels) {
  static_assert(8 <= int4_sums);
  fast_tile_sums<TT> sums{A, W, t0, b};
  scale_group_walk walk{G, W.scale_group()};
  const __m256i ones = _mm256_set1_epi16(1);
  for (std::size_t g = 0; g < A.groups; ++g) {
    __m256i acc[TT][2];
    sums.start(acc, g);
    const std::uint8_t* wg = codes + g * (G / 4) * 64;
    const std::int8_t* ag = A.row(0, t0) + g * G;
    for (std::size_t k8 = 0; k8 < G / 4; k8 += 8) {
      __m256i sum[TT][2];
      for (int tt = 0; tt < TT; ++tt) sum[tt][0] = sum[tt][1] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (std::size_t k4 = k8; k4 < k8 + 8; ++k4) {
        const __m256i u0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wg + 64 * k4));
        const __m256i u1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wg + 64 * k4 + 32));
#pragma GCC unroll 16
        for (int tt = 0; tt < TT; ++tt) {
          const __m256i bb = broadcast4(ag + tt * A.row_stride + 4 * k4);
          add_product<dot::maddubs>(sum[tt][0], u0, bb);
          add_product<dot::maddubs>(sum[tt][1], u1, bb);
        }
      }
#pragma GCC unroll 16
      for (int tt = 0; tt < TT; ++tt)
        for (int h = 0; h < 2; ++h)
          acc[tt][h] = _mm256_add_epi32(acc[tt][h], _mm256_madd_epi16(sum[tt][h], ones));
    }
    sums.add(acc, g, walk.of(g));
  }
  sums.store(out, row_stride, col_stride, channels);
}

// The fast paths' loop: every block of the job against every token, in the tiles of D's fast
// path (vnni: 6 tokens, then 3, then 1; maddubs: 3, then 1), INT4 codes spread to bytes first.
template <dot D, bool INT4>
ANDA_TARGET_AVX2 void fast_rows(const context& ctx, const gemm_job& job) {
  constexpr std::size_t block = packed_weights::block_n;
  const packed_weights& W = *ctx.W;
  const std::size_t T = ctx.A->rows, Kp = W.padded_cols();
  aligned_buffer panel(INT4 ? block * Kp : 0);  // one block's codes as bytes
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  for (std::size_t b = job.n_begin / block; b * block < job.n_end; ++b) {
    const std::uint8_t* codes = W.codes() + b * W.block_bytes();
    if constexpr (INT4) {
      for (std::size_t i = 0; i < Kp / 8 * 2; ++i) {  // 32-byte halves: 8 channels x 8 k
        const __m256i packed = _mm256_load_si256(reinterpret_cast<const __m256i*>(codes) + i);
        std::uint8_t* to = panel.data() + i / 2 * 128 + i % 2 * 32;  // steps 2 k8 and 2 k8 + 1
        _mm256_store_si256(reinterpret_cast<__m256i*>(to), _mm256_and_si256(packed, low_nibbles));
        _mm256_store_si256(reinterpret_cast<__m256i*>(to + 64),
                           _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles));
      }
      codes = panel.data();
    }
    const std::size_t channels = job.n_end - b * block;
    float* const y = job.y + b * block * job.col_stride;
    auto tiles = [&]<int TT>(std::size_t& t) {
      for (; t + TT <= T; t += TT) {
        if constexpr (D == dot::vnni)
          vnni_fast_tile<TT>(*ctx.A, W, ctx.G, t, b, codes, y + t * job.row_stride, job.row_stride,
                             job.col_stride, channels);
        else
          maddubs_fast_tile<TT>(*ctx.A, W, ctx.G, t, b, codes, y + t * job.row_stride,
                                job.row_stride, job.col_stride, channels);
      }
    };
    std::size_t t = 0;
    if constexpr (D == dot::vnni) tiles.template operator()<6>(t);
    tiles.template operator()<3>(t);
    tiles.template operator()<1>(t);
  }
}

template <dot D, bool INT4>
ANDA_TARGET_AVX2 inline void rows(context& ctx, const gemm_job& job) {
  // Prefill tiles: TT tokens x NV vectors of 8 channels (9 int16 sums, 3 weight vectors, one
  // broadcast: 14 of the 16 registers). Measured on Zen 3 against 4x2, 2x4, 5x2, 6x2, 4x3, 3x4,
  // 4x1, 6x1, 8x1: 3x3 is the fastest.
  constexpr int TT = 3, NV = 3;
  // Decode: DV vectors of 8 channels, so DV / 2 weight streams (blocks) prefetched at once.
  // Measured with weights from DRAM: 2 streams reach ~90 % of a plain streaming read; 1, 3, 4 and
  // 8 streams, and prefetch distances other than 1 KiB, less.
  constexpr int DV = 4;
  constexpr std::size_t lanes = 8;
  // Tokens in chunks (of whole tiles) whose int8 activations about fill L2 while every weight
  // block passes by (63 tokens were slower, 192 no faster).
  constexpr std::size_t token_chunk = 42 * TT;
  const std::size_t T = ctx.A->rows;
  const std::size_t v_begin = job.n_begin / lanes;
  const std::size_t v_end = (job.n_end + lanes - 1) / lanes;
  auto at = [&](std::size_t t, std::size_t v) {
    return job.y + t * job.row_stride + v * lanes * job.col_stride;
  };
  auto channels = [&](std::size_t v) { return job.n_end - v * lanes; };
  // Decode: each token against DV vectors at a time (T = 3 is faster as one pass of 3 x 3 tiles).
  if (T < TT) {
    std::size_t v = v_begin;
    for (; v + DV <= v_end; v += DV)
      for (std::size_t t = 0; t < T; ++t)
        tile_store<D, 1, DV, INT4>(ctx, t, v, at(t, v), job.row_stride, job.col_stride,
                                   channels(v));
    for (; v < v_end; ++v)
      for (std::size_t t = 0; t < T; ++t)
        tile_store<D, 1, 1, INT4>(ctx, t, v, at(t, v), job.row_stride, job.col_stride, channels(v));
    return;
  }
  if (fast_prefill(D, *ctx.A, *ctx.W, ctx.G, ctx.mode)) return fast_rows<D, INT4>(ctx, job);
  // Prefill: tiles land in an L1-sized panel [channel][token], copied out one channel (a run of
  // up to token_chunk tokens) at a time, so a column-major Y is written in contiguous runs.
  std::vector<float> panel(NV * lanes * token_chunk);
  for (std::size_t t0 = 0; t0 < T; t0 += token_chunk) {
    const std::size_t t1 = std::min(T, t0 + token_chunk);
    for (std::size_t v = v_begin; v < v_end;) {
      const int width = v + NV <= v_end ? NV : 1;
      const std::size_t n_here = std::min<std::size_t>(width * lanes, channels(v));
      std::size_t t = t0;
      for (; t + TT <= t1; t += TT) {
        float* p = panel.data() + (t - t0);
        if (width == NV)
          tile_store<D, TT, NV, INT4>(ctx, t, v, p, 1, token_chunk, n_here);
        else
          tile_store<D, TT, 1, INT4>(ctx, t, v, p, 1, token_chunk, n_here);
      }
      for (; t < t1; ++t) {
        float* p = panel.data() + (t - t0);
        if (width == NV)
          tile_store<D, 1, NV, INT4>(ctx, t, v, p, 1, token_chunk, n_here);
        else
          tile_store<D, 1, 1, INT4>(ctx, t, v, p, 1, token_chunk, n_here);
      }
      for (std::size_t n = 0; n < n_here; ++n) {
        float* out = at(t0, v) + n * job.col_stride;
        for (std::size_t i = 0; i < t1 - t0; ++i)
          out[i * job.row_stride] = panel[n * token_chunk + i];
      }
      v += std::size_t(width);
    }
  }
}

template <dot D>
ANDA_TARGET_AVX2 inline void gemm_with(const gemm_job& job) {
  aligned_buffer scratch(2 * max_tile * sizeof(__m256));  // 64-byte aligned
  auto* p = reinterpret_cast<__m256i*>(scratch.data());
  auto* y = reinterpret_cast<__m256*>(p + max_tile);
  context ctx{job.A, &job.W->packed(), std::size_t(job.X->fmt().group()), job.mode, p, y};
  if (job.W->is_int4())
    rows<D, true>(ctx, job);
  else
    rows<D, false>(ctx, job);
  if (job.stats) job.stats->fp16_overflows += ctx.overflows;
}

ANDA_TARGET_AVX2 inline void gemm(const gemm_job& job) {
  gemm_with<dot::maddubs>(job);
}
ANDA_TARGET_AVX2 inline void gemm_vnni(const gemm_job& job) {
  gemm_with<dot::vnni>(job);
}

}  // namespace anda::kernels::avx2

#undef ANDA_TARGET_AVX2
#endif
