// AMX GeMM kernel (Intel Sapphire Rapids and later Xeons). One tdpbsud multiplies a tile of 16
// tokens x 64 k signed int8 activation chunks (int8_activations, 7-bit chunks as for avx512) by
// 64 k x 16 channels of unsigned weight codes into 16 x 16 int32: the group products of a whole
// group of 64 in one instruction (G < 64: a narrower tile; G > 64: G / 64 of them). The rest is
// the avx512 kernel's: p = sum u * a - c * sum a per group and chunk, then the AVX-512 epilogue
// (avx512::add_group) with the bits of docs/gemm.md.
//
// Weights: the B tile is 64 k / 4 rows of 16 channels x 4 consecutive k, which is the packed
// layout's INT8 block (storage/packed_weights.hpp) as it is; INT4 blocks hold 8 k per 64 bytes
// (low nibbles k 0..3, high nibbles k 4..7) and are spread to bytes once per block and token
// chunk. Fewer than 16 tokens (decode) run the avx512 kernel: a tile of one row would use a
// sixteenth of the array, and decode is bound by reading the weights anyway.
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
// c += a (signed bytes) . b (unsigned bytes), int32.
template <int c, int a, int b>
inline void tile_dpbsud() {
  asm volatile("tdpbsud %%tmm%c2, %%tmm%c1, %%tmm%c0" ::"i"(c), "i"(a), "i"(b));
}

// Tile registers: two C (alternate groups) and A for 16 tokens, the same for the last T % 16
// tokens, and B.
enum : int { c_full = 0, a_full = 2, c_tail = 3, a_tail = 5, b_tile = 6 };
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
  std::size_t step;  // k per tdpbsud: min(G, 64)
  accumulate mode;
  std::int32_t* c;  // [group % 2][chunk][16][16]: the stored C tiles of two groups
  std::size_t overflows = 0;
};

// B rows (4 k x 16 channels each) of block nb for k in [0, K): INT8 blocks are read in place;
// INT4 blocks are spread to one code per byte into `spread` (K / 4 rows of 64 bytes).
ANDA_TARGET_AMX inline const std::uint8_t* b_rows(const packed_weights& W, std::size_t nb,
                                                  std::size_t K, std::uint8_t* spread) {
  const std::uint8_t* block = W.codes() + nb * W.block_bytes();
  if (!W.is_int4()) return block;
  const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
  for (std::size_t k8 = 0; k8 < K / 8; ++k8) {
    const __m512i packed = _mm512_load_si512(block + 64 * k8);
    _mm512_store_si512(spread + 128 * k8, _mm512_and_si512(packed, low_nibbles));
    _mm512_store_si512(spread + 128 * k8 + 64,
                       _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles));
  }
  return spread;
}

// Group g's products of tokens t0.. and the block in b, every chunk, stored to ctx.c (in the half
// of its group's parity) through tile C.
template <int C, int A_tile, int chunks>
inline void products(const context& ctx, std::size_t t0, std::size_t g, const std::uint8_t* b) {
  const int8_activations& A = *ctx.A;
  const std::size_t k0 = g * ctx.G;
  for (int c = 0; c < chunks; ++c) {
    tile_zero<C>();
    for (std::size_t k = k0; k < k0 + ctx.G; k += ctx.step) {
      tile_load<A_tile>(A.row(c, t0) + k, A.row_stride);
      tile_load<b_tile>(b + k / 4 * tile_bytes, tile_bytes);
      tile_dpbsud<C, A_tile, b_tile>();
    }
    tile_store<C>(ctx.c + (g % 2 * chunks + std::size_t(c)) * tile_rows * tile_rows, tile_bytes);
  }
}

// Tokens t0 .. t0 + rows - 1 (rows = 16 unless tail) against block nb, every group; the result
// (16 channels per token) in y. Chunks (1, 2 or 3) and the weight type are template arguments so
// that the per-token epilogue unrolls with y in registers.
template <bool tail, int chunks, bool asym>
ANDA_TARGET_AMX inline void tile(context& ctx, std::size_t t0, std::size_t rows, std::size_t nb,
                                 const std::uint8_t* b, __m512 (&y)[tile_rows]) {
  constexpr int C = tail ? c_tail : c_full, A_tile = tail ? a_tail : a_full;
  const int8_activations& A = *ctx.A;
  const packed_weights& W = *ctx.W;
  const std::size_t G = ctx.G, groups = A.groups;
  const std::int32_t offset = W.code_offset();
  const std::int32_t* sums = A.sums.data() + t0 * groups * chunks;  // [(tt * groups + g) * chunks]
  const float* pow2s = A.scale.data() + t0 * groups;                // [tt * groups + g]
#pragma GCC unroll 16
  for (std::size_t tt = 0; tt < tile_rows; ++tt) y[tt] = _mm512_setzero_ps();
  products<C, A_tile, chunks>(ctx, t0, 0, b);
  for (std::size_t g = 0; g < groups; ++g) {
    // The products of group g + 1 run on the tiles while this group's epilogue runs here.
    if (g + 1 < groups) {
      if (g % 2)
        products<C, A_tile, chunks>(ctx, t0, g + 1, b);
      else
        products<C + 1, A_tile, chunks>(ctx, t0, g + 1, b);
    }
    const std::int32_t* c_rows = ctx.c + g % 2 * chunks * tile_rows * tile_rows;
    const std::size_t sg = g * G / W.scale_group();
    const std::size_t param = (nb * W.scale_groups() + sg) * packed_weights::block_n;
    const __m512 scale = _mm512_cvtph_ps(
        _mm256_load_si256(reinterpret_cast<const __m256i*>(W.scales_fp16() + param)));
    __m512i zero = _mm512_setzero_si512();
    if constexpr (asym)
      zero = _mm512_cvtepu8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(W.offsets() + param)));
#pragma GCC unroll 16
    for (std::size_t tt = 0; tt < tile_rows; ++tt) {
      if (tail && tt >= rows) break;
      __m512i p = _mm512_setzero_si512();
#pragma GCC unroll 3
      for (int c = 0; c < chunks; ++c) {
        // The chunk's products less c * sum(a), the correction for the unsigned weight codes.
        const std::int32_t s = sums[(tt * groups + g) * chunks + std::size_t(c)];
        const __m512i correction =
            asym ? _mm512_mullo_epi32(zero, _mm512_set1_epi32(s))
                 : _mm512_set1_epi32(std::int32_t(std::uint32_t(offset) * std::uint32_t(s)));
        const __m512i part = _mm512_sub_epi32(
            _mm512_load_si512(c_rows + (std::size_t(c) * tile_rows + tt) * tile_rows), correction);
        p = c == 0 ? part : _mm512_add_epi32(p, _mm512_slli_epi32(part, unsigned(7 * c)));
      }
      const __m512 pow2 = _mm512_set1_ps(pow2s[tt * groups + g]);  // NaN: a non-finite group
      y[tt] = avx512::add_group(y[tt], p, pow2, scale, ctx.mode, ctx.overflows);
    }
  }
}

// The tile for this call's chunk count and weight type.
template <bool tail>
ANDA_TARGET_AMX inline void any_tile(context& ctx, std::size_t t0, std::size_t rows, std::size_t nb,
                                     const std::uint8_t* b, __m512 (&y)[tile_rows]) {
  const bool asym = ctx.W->type() == weight_type::int4_asym;
  switch (ctx.A->chunks * 2 + asym) {
    case 2:
      return tile<tail, 1, false>(ctx, t0, rows, nb, b, y);
    case 3:
      return tile<tail, 1, true>(ctx, t0, rows, nb, b, y);
    case 4:
      return tile<tail, 2, false>(ctx, t0, rows, nb, b, y);
    case 5:
      return tile<tail, 2, true>(ctx, t0, rows, nb, b, y);
    case 6:
      return tile<tail, 3, false>(ctx, t0, rows, nb, b, y);
    default:
      return tile<tail, 3, true>(ctx, t0, rows, nb, b, y);
  }
}

ANDA_TARGET_AMX inline void gemm(const gemm_job& job) {
  const int8_activations& A = *job.A;
  const std::size_t T = A.rows;
  if (T < tile_rows) return avx512::gemm(job);
  const packed_weights& W = job.W->packed();
  const std::size_t G = std::size_t(job.X->fmt().group()), K = A.padded_cols;
  const std::size_t step = std::min<std::size_t>(G, 64), tail_rows = T % tile_rows;
  tile_config config;
  auto set = [&](int tile, std::size_t rows, std::size_t bytes) {
    config.rows[tile] = std::uint8_t(rows);
    config.colsb[tile] = std::uint16_t(bytes);
  };
  set(c_full, tile_rows, tile_bytes);
  set(c_full + 1, tile_rows, tile_bytes);
  set(a_full, tile_rows, step);
  set(b_tile, step / 4, tile_bytes);
  if (tail_rows) {
    set(c_tail, tail_rows, tile_bytes);
    set(c_tail + 1, tail_rows, tile_bytes);
    set(a_tail, tail_rows, step);
  }
  asm volatile("ldtilecfg %0" ::"m"(config));

  aligned_buffer c_buffer(2 * std::size_t(A.chunks) * tile_rows * tile_rows * 4);
  aligned_buffer spread(W.is_int4() ? K / 4 * tile_bytes : 0);
  context ctx{&A, &W, G, step, job.mode, reinterpret_cast<std::int32_t*>(c_buffer.data())};
  // Tokens in chunks whose int8 activations stay in L2 while every weight block passes by.
  constexpr std::size_t token_chunk = 128;
  constexpr std::size_t block = packed_weights::block_n;
  alignas(64) float lanes[block];
  __m512 y[tile_rows];
  for (std::size_t c0 = 0; c0 < T; c0 += token_chunk) {
    const std::size_t c1 = std::min(T, c0 + token_chunk);
    for (std::size_t nb = job.n_begin / block; nb * block < job.n_end; ++nb) {
      const std::uint8_t* b = b_rows(W, nb, K, spread.data());
      const std::size_t channels = std::min(block, job.n_end - nb * block);
      for (std::size_t t0 = c0; t0 < c1; t0 += tile_rows) {
        const std::size_t rows = std::min(tile_rows, T - t0);
        if (rows == tile_rows)
          any_tile<false>(ctx, t0, rows, nb, b, y);
        else
          any_tile<true>(ctx, t0, rows, nb, b, y);
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
