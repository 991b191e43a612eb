// Integer weights W[N x K] for the FP-INT GeMM (docs/gemm.md "Weights"): INT4 symmetric, INT4
// asymmetric with zero points, INT8 symmetric; one FP16 scale per (output channel n, group of Gw
// consecutive K). Held once, in the blocked layout the SIMD kernels read (packed_weights.hpp),
// built when the weights are made: every weight as an unsigned code u = q + 8 (INT4 symmetric),
// u = q (INT4 asymmetric), u = q + 128 (INT8), so that w = u - c with c = 8, the zero point z, or
// 128; scales as FP16 bits and, asymmetric only, zero points as bytes. The accessors (code, q, w,
// scale, zero) read that layout; the scalar kernel reads through them.
//
// Memory per weight: 4 + 16/Gw bits (INT4), + 8/Gw for zero points (asymmetric), 8 + 16/Gw
// (INT8); bits_per_element() reports it. storage_bytes() is that cost on the padded shape (N to a
// multiple of 16, K to a multiple of 256; scales and zero points for every padded channel), so
// for N and K multiples of 16 and 256 exactly bits_per_element() * N * K / 8. Tests check both
// against these formulas, and that a loaded model holds nothing else.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/storage/packed_weights.hpp"
#include "anda/storage/parallel.hpp"
#include "anda/storage/weight_type.hpp"

namespace anda {

class int_weights {
 public:
  // Ready-made arrays, row-major: q[N x K] (int8 values in the type's range), zeros[N x KG]
  // (asymmetric only, else empty), scales[N x KG] as FP16 bits, KG = ceil(K / Gw). At GeMM time
  // Gw must be a multiple of the activation group G, or at least K (per-channel scales). Throws
  // anda::error naming the first bad value.
  static int_weights from_quantized(weight_type type, std::size_t N, std::size_t K, std::size_t Gw,
                                    std::span<const std::int8_t> q,
                                    std::span<const std::uint8_t> zeros,
                                    std::span<const std::uint16_t> scales) {
    int_weights w{type, N, K, Gw};
    const std::size_t KG = w.scale_groups();
    if (q.size() != N * K)
      throw shape_error("int_weights: q has " + std::to_string(q.size()) +
                        " values, N * K = " + std::to_string(N * K));
    if (scales.size() != N * KG)
      throw shape_error("int_weights: scales has " + std::to_string(scales.size()) +
                        " values, N * ceil(K / Gw) = " + std::to_string(N * KG));
    const bool asym = type == weight_type::int4_asym;
    if (zeros.size() != (asym ? N * KG : 0))
      throw shape_error(asym ? "int_weights: int4-asym needs N * ceil(K / Gw) zero points"
                             : "int_weights: zero points are only for int4-asym");
    const int lo = type == weight_type::int4_sym ? -8 : type == weight_type::int4_asym ? 0 : -128;
    const int hi = type == weight_type::int4_sym ? 7 : type == weight_type::int4_asym ? 15 : 127;
    packed_weights& P = w.packed_;
    const std::size_t Kp = P.padded_cols(), block = packed_weights::block_n;
    std::vector<std::uint8_t> u(Kp * block);  // the codes of one block: (n0 + j, k) at k * 16 + j
    for (std::size_t n0 = 0; n0 < N; n0 += block) {
      std::fill(u.begin(), u.end(), std::uint8_t(w.code_offset()));  // padding: w = 0
      for (std::size_t n = n0; n < std::min(N, n0 + block); ++n) {
        for (std::size_t g = 0; g < KG; ++g) {
          const auto s = fp16::from_bits(scales[n * KG + g]);
          if (!s.is_finite())
            throw error("int_weights: scale of channel " + std::to_string(n) + ", group " +
                        std::to_string(g) + " is not finite");
          P.set_scale_bits(n, g, s.bits());
          if (asym) {
            if (zeros[n * KG + g] > 15)
              throw error("int_weights: zero point " + std::to_string(zeros[n * KG + g]) +
                          " of channel " + std::to_string(n) + " is outside [0, 15]");
            P.set_zero(n, g, zeros[n * KG + g]);
          }
        }
        for (std::size_t k = 0; k < K; ++k) {
          const int v = q[n * K + k];
          if (v < lo || v > hi)
            throw error("int_weights: q = " + std::to_string(v) + " at (" + std::to_string(n) +
                        ", " + std::to_string(k) + ") is outside [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "] for " + std::string(to_string(type)));
          u[k * block + (n - n0)] = static_cast<std::uint8_t>(v + w.code_offset());
        }
      }
      P.set_block_codes(n0 / block, u.data());
    }
    return w;
  }

  // Round-to-nearest quantization of float weights W[N x K], per (channel, group of Gw):
  // symmetric: scale = fp16(absmax / qmax) with qmax = 7 or 127, q = clamp(round(w / scale));
  // asymmetric: scale = fp16((max(w, 0) - min(w, 0)) / 15), z = clamp(round(-min / scale), 0, 15),
  // q = clamp(round(w / scale) + z, 0, 15). round() takes ties away from zero; the stored FP16
  // scale is the one divided by, so dequantize() gives back exactly what the GeMM multiplies.
  // The error is at most half a step, plus the FP16 rounding of the scale at the range ends
  // (asymmetric: plus the rounding of z, so up to one step at the clipped end).
  // Blocks of 16 output channels are quantized on `threads` threads; the result, and the error
  // thrown for the first (channel, group) in row order that holds a non-finite weight or needs
  // a scale beyond FP16, are the same for any thread count.
  static int_weights quantize(const Eigen::Ref<const Eigen::MatrixXf>& W, weight_type type,
                              std::size_t Gw = 128, int threads = 1) {
    if (threads < 1) throw error("int_weights::quantize: threads must be at least 1");
    int_weights w{type, std::size_t(W.rows()), std::size_t(W.cols()), Gw};
    const std::size_t blocks = w.packed_.padded_rows() / packed_weights::block_n;
    run_ranges(blocks, std::size_t(threads), [&](std::size_t, std::size_t b0, std::size_t b1) {
      block_quantizer{W, w.packed_}.run(b0, b1);
    });
    return w;
  }

  weight_type type() const { return packed_.type(); }
  std::size_t rows() const { return packed_.rows(); }  // N, output channels
  std::size_t cols() const { return packed_.cols(); }  // K
  std::size_t scale_group() const { return packed_.scale_group(); }
  std::size_t scale_groups() const { return packed_.scale_groups(); }  // ceil(K / Gw)
  bool is_int4() const { return packed_.is_int4(); }

  // q(n, k) in the type's own range, the zero point (0 unless asymmetric), w = q - z.
  int q(std::size_t n, std::size_t k) const { return int(code(n, k)) - code_offset(); }
  int zero(std::size_t n, std::size_t g) const { return int(packed_.zero(n, g)); }
  int w(std::size_t n, std::size_t k) const { return q(n, k) - zero(n, k / scale_group()); }
  fp16 scale(std::size_t n, std::size_t g) const {
    return fp16::from_bits(packed_.scale_bits(n, g));
  }
  // The weight as a real number, w * scale (exact in float).
  float dequantized(std::size_t n, std::size_t k) const {
    return float(w(n, k)) * scale(n, k / scale_group()).to_float();
  }
  // Rows [n0, n0 + count) dequantized (exact), [count x K] row-major; dequantize() is every row.
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dequantize_rows(
      std::size_t n0, std::size_t count) const {
    const std::size_t K = cols(), Gw = scale_group();
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(
        static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(K));
    for (std::size_t r = 0; r < count; ++r) {
      float* row = out.row(Eigen::Index(r)).data();
      for (std::size_t g = 0; g < scale_groups(); ++g) {
        const float s = scale(n0 + r, g).to_float();
        const int c = code_offset() + zero(n0 + r, g);
        const std::size_t k0 = g * Gw, k1 = k0 + std::min(Gw, K - k0);
        for (std::size_t k = k0; k < k1; ++k) row[k] = float(int(code(n0 + r, k)) - c) * s;
      }
    }
    return out;
  }
  Eigen::MatrixXf dequantize() const { return dequantize_rows(0, rows()); }

  // The unsigned code u of weight (n, k), w = u - c (see the top of this header).
  unsigned code(std::size_t n, std::size_t k) const { return packed_.code(n, k); }
  // c in w = u - c for symmetric types (asymmetric: the zero point).
  int code_offset() const { return packed_.code_offset(); }

  // The storage itself: the blocked layout the SIMD kernels read.
  const packed_weights& packed() const { return packed_; }

  double bits_per_element() const {
    const double per_group = 16.0 + (type() == weight_type::int4_asym ? 8.0 : 0.0);
    return (is_int4() ? 4.0 : 8.0) + per_group / double(scale_group());
  }
  // The bytes held: the blocked layout, padding included (see the top of this header).
  std::size_t storage_bytes() const { return packed_.storage_bytes(); }

 private:
  int_weights(weight_type type, std::size_t N, std::size_t K, std::size_t Gw) {
    if (N == 0 || K == 0) throw shape_error("int_weights: N and K must be positive");
    if (Gw == 0) throw shape_error("int_weights: the scale group Gw must be positive");
    packed_ = packed_weights(type, N, K, Gw);
  }

  // quantize() for blocks of 16 channels, with its scratch memory. A panel of up to 8 blocks
  // (128 channels: 512 contiguous bytes of each column of W) is copied one scale group at a
  // time (padding channels as 0); per block, the group's ranges and scales are found, then its
  // codes. Errors are kept per (channel, group) and the first in row order is thrown once the
  // panel is done.
  class block_quantizer {
   public:
    block_quantizer(const Eigen::Ref<const Eigen::MatrixXf>& W, packed_weights& P)
        : W_{W},
          P_{P},
          tile_(panel * block * std::min(P.scale_group(), P.cols())),
          codes_(panel * block * P.padded_cols()),
          failed_(panel * block * P.scale_groups()) {}

    // Blocks [b0, b1).
    void run(std::size_t b0, std::size_t b1) {
      const std::size_t KG = P_.scale_groups(), Kp = P_.padded_cols();
      for (std::size_t p0 = b0; p0 < b1; p0 += panel) {
        const std::size_t p1 = std::min(b1, p0 + panel);
        std::fill(codes_.begin(), codes_.end(), std::uint8_t(P_.code_offset()));  // padding: w = 0
        std::fill(failed_.begin(), failed_.end(), fault::none);
        for (std::size_t g = 0; g < KG; ++g) {
          load_tile(p0, p1, g);
          for (std::size_t b = p0; b < p1; ++b)
            group(b, g, tile_.data() + (b - p0) * block, codes_.data() + (b - p0) * Kp * block,
                  failed_.data() + (b - p0) * block * KG);
        }
        for (std::size_t b = p0; b < p1; ++b) {
          const fault* f = failed_.data() + (b - p0) * block * KG;
          for (std::size_t j = 0; j < std::min(block, P_.rows() - b * block); ++j)
            for (std::size_t g = 0; g < KG; ++g)
              if (f[j * KG + g] != fault::none) fail(b * block + j, g, f[j * KG + g]);
        }
        for (std::size_t b = p0; b < p1; ++b)
          P_.set_block_codes(b, codes_.data() + (b - p0) * Kp * block);
      }
    }

   private:
    static constexpr std::size_t block = packed_weights::block_n, panel = 8;
    static constexpr std::size_t tile_stride = panel * block;
    enum class fault : std::uint8_t { none, nonfinite, scale };

    // Scale group g of the panel's channels (blocks [p0, p1)) into tile_: weight (16 p0 + r,
    // g Gw + i) at tile_[i * 128 + r], padding channels as 0. Whole runs of each column of W.
    void load_tile(std::size_t p0, std::size_t p1, std::size_t g) {
      const std::size_t N = P_.rows(), K = P_.cols(), Gw = P_.scale_group();
      const std::size_t n0 = p0 * block, rows = std::min(p1 * block, N) - n0;
      const std::size_t k0 = g * Gw, width = std::min(Gw, K - k0);
      for (std::size_t i = 0; i < width; ++i) {
        const float* col = W_.data() + Eigen::Index(k0 + i) * W_.outerStride() + n0;
        float* to = tile_.data() + i * tile_stride;
        std::copy(col, col + rows, to);
        std::fill(to + rows, to + (p1 - p0) * block, 0.0f);
      }
    }

    // Scale group g of block b, its weights at tile[i * 128 + j]: scales and zero points into
    // P_, codes into `codes` (channel j's at k * 16 + j), faults into `failed` (channel j, group
    // g at j * KG + g).
    void group(std::size_t b, std::size_t g, const float* tile, std::uint8_t* codes,
               fault* failed) {
      const std::size_t N = P_.rows(), K = P_.cols(), Gw = P_.scale_group(), KG = P_.scale_groups();
      const std::size_t n0 = b * block, rows = std::min(block, N - n0);
      const bool asym = P_.type() == weight_type::int4_asym;
      const float qmax = P_.type() == weight_type::int8_sym ? 127.0f : 7.0f;
      const int c = P_.code_offset(), qm = int(qmax);
      const std::size_t k0 = g * Gw, width = std::min(Gw, K - k0);
      float lo[block] = {}, hi[block] = {}, div[block], keep[block];
      int z[block] = {};
      std::uint32_t nonfinite[block] = {};  // exponent bits all set: Inf or NaN
      for (std::size_t i = 0; i < width; ++i)
        for (std::size_t j = 0; j < block; ++j) {
          const float x = tile[i * tile_stride + j];
          nonfinite[j] |=
              std::uint32_t((std::bit_cast<std::uint32_t>(x) & 0x7F800000u) == 0x7F800000u);
          lo[j] = x < lo[j] ? x : lo[j];  // std::min(lo, x), std::max(hi, x): NaN keeps lo, hi
          hi[j] = hi[j] < x ? x : hi[j];
        }
      for (std::size_t j = 0; j < block; ++j) {
        div[j] = 1.0f;  // w / div * keep: w / scale, or 0 where the scale is 0
        keep[j] = 0.0f;
        if (j >= rows) continue;
        if (nonfinite[j]) {
          failed[j * KG + g] = fault::nonfinite;
          continue;
        }
        const float range = asym ? (hi[j] - lo[j]) / 15.0f : std::max(hi[j], -lo[j]) / qmax;
        const fp16 scale = fp16::from_float(range);
        if (!scale.is_finite()) {
          failed[j * KG + g] = fault::scale;
          continue;
        }
        const float s = scale.to_float();
        if (asym && s > 0) z[j] = std::clamp(static_cast<int>(std::round(-lo[j] / s)), 0, 15);
        P_.set_scale_bits(n0 + j, g, scale.bits());
        if (asym) P_.set_zero(n0 + j, g, static_cast<std::uint8_t>(z[j]));
        if (s > 0) {
          div[j] = s;
          keep[j] = 1.0f;
        }
      }
      // u = clamp(q, -qmax, qmax) + c, or clamp(q + z, 0, 15): clamp(q + z, q_lo, q_hi) + c.
      const int q_lo = asym ? 0 : -qm, q_hi = asym ? 15 : qm;
      for (std::size_t i = 0; i < width; ++i) {
        std::int32_t u[block];  // local, so that the loop vectorizes (no byte stores to alias)
        for (std::size_t j = 0; j < block; ++j) {
          // round(v), ties away from zero, as trunc(v) +- 1 where |v - trunc(v)| >= 0.5 (exact).
          // |v| <= 1.5 qmax: a nonzero FP16 scale is at least 2/3 of the range it rounds, even
          // among the subnormals, so the int conversion is exact. Branch-free: it vectorizes.
          const float v = tile[i * tile_stride + j] / div[j] * keep[j];
          int q = static_cast<int>(v);
          const float frac = v - static_cast<float>(q);
          q += int(frac >= 0.5f) - int(frac <= -0.5f) + z[j];
          q = q < q_lo ? q_lo : q;
          u[j] = (q > q_hi ? q_hi : q) + c;
        }
        std::uint8_t* out = codes + (k0 + i) * block;
        for (std::size_t j = 0; j < block; ++j) out[j] = static_cast<std::uint8_t>(u[j]);
      }
    }

    [[noreturn]] void fail(std::size_t n, std::size_t g, fault f) const {
      if (f == fault::scale)
        throw error("int_weights::quantize: channel " + std::to_string(n) +
                    " needs a scale beyond the FP16 range");
      std::size_t k = g * P_.scale_group();
      while (std::isfinite(W_(Eigen::Index(n), Eigen::Index(k)))) ++k;
      throw error("int_weights::quantize: weight (" + std::to_string(n) + ", " + std::to_string(k) +
                  ") is not finite");
    }

    const Eigen::Ref<const Eigen::MatrixXf>& W_;
    packed_weights& P_;
    std::vector<float> tile_;          // the panel's weights of one scale group
    std::vector<std::uint8_t> codes_;  // the panel's codes, block by block (k * 16 + j)
    std::vector<fault> failed_;        // the panel's faults, block by block
  };

  packed_weights packed_;
};

}  // namespace anda
