// AMX GeMM kernel (Intel Sapphire Rapids and later Xeons). One tdpbssd multiplies a tile of 16
// tokens x 64 k signed int8 activation chunks (int8_activations, 7-bit chunks as for avx512) by
// 64 k x 16 channels of signed weights w into 16 x 16 int32: the group products of a whole
// group of 64 in one instruction (G < 64: a narrower tile; G > 64: G / 64 of them). Per group,
// p = sum over chunks of the products << (7 * chunk), then the AVX-512 epilogue
// (avx512::add_group) with the bits of docs/gemm.md. The epilogue's vector work per 16 x 16
// outputs outweighs the tile product several times, which is why the weights are signed here:
// no correction for unsigned codes is left to subtract.
//
// Weights: the B tile is 64 k / 4 rows of 16 channels x 4 consecutive k, the layout of the
// packed INT8 block (storage/packed_weights.hpp). Each block is converted once per token chunk
// to w = u - c (or u - z) as bytes: INT8 codes flipped in their top bit, INT4 codes (8 k per
// 64 bytes, low nibbles k 0..3, high nibbles k 4..7) spread to one byte each. Fewer than 16
// tokens (decode) run the avx512 kernel: a tile of one row would use a sixteenth of the array,
// and decode is bound by reading the weights anyway.
#pragma once

#include "anda/kernels/cpu.hpp"
#ifdef ANDA_KERNELS_X86

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "anda/kernels/avx512/gemm.hpp"
#include "anda/kernels/backend.hpp"
#include "anda/storage/aligned_buffer.hpp"

#define ANDA_TARGET_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c")))

// GCC 12 bug 105593, as in avx512/gemm.hpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace anda::kernels::amx {

// The tile instructions as asm with a "memory" clobber: GCC 12's intrinsics are asm without one,
// so the compiler could move our stores to the B and C buffers across a tile load or store.
// Tile numbers are immediates; the registry runs this only where the CPU has amx_int8.
template <int tile>
inline void tile_load(const void* base, std::size_t stride) {
  asm volatile("tileloadd (%0,%1,1), %%tmm%c2" ::"r"(base), "r"(stride), "i"(tile) : "memory");
}
template <int tile>
inline void tile_store(void* base, std::size_t stride) {
  asm volatile("tilestored %%tmm%c2, (%0,%1,1)" ::"r"(base), "r"(stride), "i"(tile) : "memory");
}
template <int tile>
inline void tile_zero() {
  asm volatile("tilezero %%tmm%c0" ::"i"(tile));
}
// c += a . b, signed bytes, int32.
template <int c, int a, int b>
inline void tile_dpbssd() {
  asm volatile("tdpbssd %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(c), "i"(a), "i"(b));
}

// Tile registers, two sets used by alternate groups, so that the loads and products of group
// g + 1 need not wait for those of group g: C (16 x 16 int32), A (16 tokens x 64 k), B.
enum : int { c_tile = 0, a_tile = 2, b_tile = 4 };
inline constexpr std::size_t tile_rows = 16, tile_bytes = 64;  // 16 x 16 int32 in C

// The palette-1 tile configuration (Intel SDM, LDTILECFG): bytes per row and rows per tile.
struct alignas(64) tile_config {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};
static_assert(sizeof(tile_config) == 64);

struct context {
  const int8_activations* A;
  const packed_weights* W;
  std::size_t G;     // activation group
  std::size_t step;  // k per tdpbssd: min(G, 64)
  accumulate mode;
  std::int32_t* c;                   // [group % 2][chunk][16][16]: the stored C tiles of two groups
  avx512::line_prefetch ahead = {};  // the next block's codes
  std::size_t overflows = 0;
};

// The B rows (4 k x 16 channels each) of block nb for k in [0, K), as signed weights
// w = u - c (asymmetric: u - z, the zero point of the channel's scale group) into `b` (K / 4 rows
// of 64 bytes). |w| <= 15 for INT4, -128 <= w <= 127 for INT8.
ANDA_TARGET_AMX inline void b_rows(const packed_weights& W, std::size_t nb, std::size_t K,
                                   std::int8_t* b) {
  const std::uint8_t* block = W.codes() + nb * W.block_bytes();
  if (!W.is_int4()) {  // u - 128 as a byte is u with its top bit flipped
    const __m512i top = _mm512_set1_epi8(char(0x80));
    for (std::size_t k4 = 0; k4 < K / 4; ++k4)
      _mm512_store_si512(b + 64 * k4, _mm512_xor_si512(_mm512_load_si512(block + 64 * k4), top));
    return;
  }
  const bool asym = W.type() == weight_type::int4_asym;
  const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
  __m512i offset = _mm512_set1_epi8(char(W.code_offset()));
  std::size_t group_end = 0;  // where the zero points in offset stop applying (in k)
  for (std::size_t k8 = 0; k8 < K / 8; ++k8) {
    // Scale groups are whole multiples of 8 k, or one group for all of K: the padding past K
    // belongs to the last group.
    if (asym && 8 * k8 == group_end) {  // each channel's zero point in its 4 bytes
      const std::size_t sg = std::min(8 * k8 / W.scale_group(), W.scale_groups() - 1);
      group_end += W.scale_group();
      const __m128i z = _mm_load_si128(reinterpret_cast<const __m128i*>(
          W.offsets() + (nb * W.scale_groups() + sg) * packed_weights::block_n));
      offset = _mm512_mullo_epi32(_mm512_cvtepu8_epi32(z), _mm512_set1_epi32(0x01010101));
    }
    const __m512i packed = _mm512_load_si512(block + 64 * k8);
    _mm512_store_si512(b + 128 * k8,
                       _mm512_sub_epi8(_mm512_and_si512(packed, low_nibbles), offset));
    _mm512_store_si512(
        b + 128 * k8 + 64,
        _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles), offset));
  }
}

// Group g's products of tokens t0.. (16 rows; those past the last token read the activations'
// slack rows) and the block in b, every chunk, through the tiles of `set` to ctx.c, in the half
// of the set.
template <int set, int chunks>
inline void products(const context& ctx, std::size_t t0, std::size_t g, const std::int8_t* b) {
  constexpr int C = c_tile + set, A_tile = a_tile + set, B_tile = b_tile + set;
  const int8_activations& A = *ctx.A;
  for (int c = 0; c < chunks; ++c) {
    tile_zero<C>();
    for (std::size_t k = g * ctx.G; k < (g + 1) * ctx.G; k += ctx.step) {
      tile_load<A_tile>(A.row(c, t0) + k, A.row_stride);
      tile_load<B_tile>(b + k / 4 * tile_bytes, tile_bytes);
      tile_dpbssd<C, A_tile, B_tile>();
    }
    tile_store<C>(ctx.c + (set * chunks + c) * tile_rows * tile_rows, tile_bytes);
  }
}

// Tokens t0 .. t0 + rows - 1 against block nb, every group; the result (16 channels per token)
// in y. The chunk count (1, 2 or 3) is a template argument so that the per-token epilogue
// unrolls with y in registers.
template <int chunks>
ANDA_TARGET_AMX inline void tile(context& ctx, std::size_t t0, std::size_t rows, std::size_t nb,
                                 const std::int8_t* b, __m512 (&y)[tile_rows]) {
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G, groups = ctx.A->groups;
  const float* pow2s = ctx.A->scale.data() + t0 * groups;  // [tt * groups + g]
#pragma GCC unroll 16
  for (std::size_t tt = 0; tt < tile_rows; ++tt) y[tt] = _mm512_setzero_ps();
  products<0, chunks>(ctx, t0, 0, b);
  for (std::size_t g = 0; g < groups; ++g) {
    // The products of group g + 1 run on the tiles while this group's epilogue runs here.
    if (g + 1 < groups) {
      if (g % 2)
        products<0, chunks>(ctx, t0, g + 1, b);
      else
        products<1, chunks>(ctx, t0, g + 1, b);
    }
    ctx.ahead.step(2);  // a few lines per group: b_rows reads them next
    const std::int32_t* c_rows = ctx.c + g % 2 * chunks * tile_rows * tile_rows;
    const std::size_t sg = g * G / W.scale_group();
    const __m512 scale = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(
        W.scales_fp16() + (nb * W.scale_groups() + sg) * packed_weights::block_n)));
#pragma GCC unroll 16
    for (std::size_t tt = 0; tt < tile_rows; ++tt) {
      if (tt >= rows) break;
      __m512i p = _mm512_load_si512(c_rows + tt * tile_rows);
#pragma GCC unroll 3
      for (int c = 1; c < chunks; ++c) {
        const __m512i part =
            _mm512_load_si512(c_rows + (std::size_t(c) * tile_rows + tt) * tile_rows);
        p = _mm512_add_epi32(p, _mm512_slli_epi32(part, unsigned(7 * c)));
      }
      const __m512 pow2 = _mm512_set1_ps(pow2s[tt * groups + g]);  // NaN: a non-finite group
      y[tt] = avx512::add_group(y[tt], p, pow2, scale, ctx.mode, ctx.overflows);
    }
  }
}

ANDA_TARGET_AMX inline void gemm(const gemm_job& job) {
  const int8_activations& A = *job.A;
  const std::size_t T = A.rows;
  if (T < tile_rows) return avx512::gemm(job);
  const packed_weights& W = job.W->packed();
  const std::size_t G = std::size_t(job.X->fmt().group()), K = A.padded_cols;
  const std::size_t step = std::min<std::size_t>(G, 64);
  static_assert(int8_activations::slack_rows >= tile_rows - 1);
  tile_config config;
  auto set = [&](int tile, std::size_t rows, std::size_t bytes) {
    config.rows[tile] = std::uint8_t(rows);
    config.colsb[tile] = std::uint16_t(bytes);
  };
  for (int s = 0; s < 2; ++s) {
    set(c_tile + s, tile_rows, tile_bytes);
    set(a_tile + s, tile_rows, step);
    set(b_tile + s, step / 4, tile_bytes);
  }
  asm volatile("ldtilecfg %0" ::"m"(config));

  aligned_buffer c_buffer(2 * std::size_t(A.chunks) * tile_rows * tile_rows * 4);
  aligned_buffer b_buffer(K / 4 * tile_bytes);  // one block's signed weights
  auto* const b = reinterpret_cast<std::int8_t*>(b_buffer.data());
  context ctx{&A, &W, G, step, job.mode, reinterpret_cast<std::int32_t*>(c_buffer.data())};
  // Tokens in chunks whose int8 activations stay in L2 while every weight block passes by.
  constexpr std::size_t token_chunk = 128;
  constexpr std::size_t block = packed_weights::block_n;
  const std::size_t nb_end = (job.n_end + block - 1) / block;
  alignas(64) float lanes[block];
  __m512 y[tile_rows];
  for (std::size_t c0 = 0; c0 < T; c0 += token_chunk) {
    const std::size_t c1 = std::min(T, c0 + token_chunk);
    for (std::size_t nb = job.n_begin / block; nb < nb_end; ++nb) {
      b_rows(W, nb, K, b);
      ctx.ahead.at = reinterpret_cast<const char*>(W.codes() + (nb + 1) * W.block_bytes());
      ctx.ahead.end = ctx.ahead.at + (nb + 1 < nb_end ? W.block_bytes() : 0);
      const std::size_t channels = std::min(block, job.n_end - nb * block);
      for (std::size_t t0 = c0; t0 < c1; t0 += tile_rows) {
        const std::size_t rows = std::min(tile_rows, T - t0);
        if (A.chunks == 1)
          tile<1>(ctx, t0, rows, nb, b, y);
        else if (A.chunks == 2)
          tile<2>(ctx, t0, rows, nb, b, y);
        else
          tile<3>(ctx, t0, rows, nb, b, y);
        float* const out = job.y + t0 * job.row_stride + nb * block * job.col_stride;
        if (rows == tile_rows && channels == block && job.row_stride == 1) {
          avx512::store_by_channel(y, out, job.col_stride);
          continue;
        }
        for (std::size_t tt = 0; tt < rows; ++tt) {
          _mm512_store_ps(lanes, y[tt]);
          for (std::size_t j = 0; j < channels; ++j)
            out[tt * job.row_stride + j * job.col_stride] = lanes[j];
        }
      }
    }
  }
  asm volatile("tilerelease" ::: "memory");
  if (job.stats) job.stats->fp16_overflows += ctx.overflows;
}

}  // namespace anda::kernels::amx

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef ANDA_TARGET_AMX
#endif
