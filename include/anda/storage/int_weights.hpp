// Integer weights W[N x K] for the FP-INT GeMM (docs/gemm.md "Weights"): INT4 symmetric, INT4
// asymmetric with zero points, INT8 symmetric; one FP16 scale per (output channel n, group of Gw
// consecutive K). Held as plain row-major arrays:
//
//  - codes: every weight as an unsigned code u = q + 8 (INT4 symmetric), u = q (INT4
//    asymmetric), u = q + 128 (INT8), so that w = u - c with c = 8, the zero point z, or 128;
//    INT4 two per byte (k even in the low nibble), rows of ceil(K / 2) bytes; INT8 one per byte;
//  - scales[N x KG] as FP16 bits and, asymmetric only, zero points[N x KG] as bytes;
//
// and, from the first SIMD GeMM on, the blocked layout those kernels read (packed_weights.hpp),
// built once per weights object (thread-safe) and shared by its copies.
//
// Memory per weight: 4 + 16/Gw bits (INT4), + 8/Gw for zero points (asymmetric), 8 + 16/Gw
// (INT8); bits_per_element() reports it. The packed layout adds the same again on the padded
// shape (N to a multiple of 16, K to a multiple of 256); storage_bytes() counts both, and a test
// checks them against these formulas.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/storage/aligned_buffer.hpp"
#include "anda/storage/packed_weights.hpp"
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
    for (std::size_t n = 0; n < N; ++n) {
      for (std::size_t g = 0; g < KG; ++g) {
        const auto s = fp16::from_bits(scales[n * KG + g]);
        if (!s.is_finite())
          throw error("int_weights: scale of channel " + std::to_string(n) + ", group " +
                      std::to_string(g) + " is not finite");
        w.set_scale(n, g, s.bits());
        if (asym) {
          if (zeros[n * KG + g] > 15)
            throw error("int_weights: zero point " + std::to_string(zeros[n * KG + g]) +
                        " of channel " + std::to_string(n) + " is outside [0, 15]");
          w.set_offset(n, g, zeros[n * KG + g]);
        }
      }
      for (std::size_t k = 0; k < K; ++k) {
        const int v = q[n * K + k];
        if (v < lo || v > hi)
          throw error("int_weights: q = " + std::to_string(v) + " at (" + std::to_string(n) + ", " +
                      std::to_string(k) + ") is outside [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "] for " + std::string(to_string(type)));
        w.set_code(n, k, static_cast<unsigned>(v + w.code_offset()));
      }
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
  static int_weights quantize(const Eigen::Ref<const Eigen::MatrixXf>& W, weight_type type,
                              std::size_t Gw = 128) {
    const std::size_t N = W.rows(), K = W.cols();
    int_weights w{type, N, K, Gw};
    const bool asym = type == weight_type::int4_asym;
    const float qmax = type == weight_type::int8_sym ? 127.0f : 7.0f;
    for (std::size_t n = 0; n < N; ++n) {
      for (std::size_t g = 0; g < w.scale_groups(); ++g) {
        const std::size_t k0 = g * Gw, k1 = std::min(K, k0 + Gw);
        float lo = 0, hi = 0;
        for (std::size_t k = k0; k < k1; ++k) {
          const float x = W(Eigen::Index(n), Eigen::Index(k));
          if (!std::isfinite(x))
            throw error("int_weights::quantize: weight (" + std::to_string(n) + ", " +
                        std::to_string(k) + ") is not finite");
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
        const float range = asym ? (hi - lo) / 15.0f : std::max(hi, -lo) / qmax;
        const fp16 scale = fp16::from_float(range);
        if (!scale.is_finite())
          throw error("int_weights::quantize: channel " + std::to_string(n) +
                      " needs a scale beyond the FP16 range");
        const float s = scale.to_float();
        int z = 0;
        if (asym && s > 0) z = std::clamp(static_cast<int>(std::round(-lo / s)), 0, 15);
        w.set_scale(n, g, scale.bits());
        if (asym) w.set_offset(n, g, static_cast<std::uint8_t>(z));
        for (std::size_t k = k0; k < k1; ++k) {
          const float x = W(Eigen::Index(n), Eigen::Index(k));
          int q = s > 0 ? static_cast<int>(std::round(x / s)) : 0;
          q = asym ? std::clamp(q + z, 0, 15) : std::clamp(q, -int(qmax), int(qmax));
          w.set_code(n, k, static_cast<unsigned>(q + w.code_offset()));
        }
      }
    }
    return w;
  }

  weight_type type() const { return type_; }
  std::size_t rows() const { return N_; }  // N, output channels
  std::size_t cols() const { return K_; }  // K
  std::size_t scale_group() const { return Gw_; }
  std::size_t scale_groups() const { return K_ / Gw_ + (K_ % Gw_ != 0); }  // no overflow
  bool is_int4() const { return type_ != weight_type::int8_sym; }

  // q(n, k) in the type's own range, the zero point (0 unless asymmetric), w = q - z.
  int q(std::size_t n, std::size_t k) const { return int(code(n, k)) - code_offset(); }
  int zero(std::size_t n, std::size_t g) const {
    return type_ == weight_type::int4_asym ? zeros_.data()[n * scale_groups() + g] : 0;
  }
  int w(std::size_t n, std::size_t k) const { return q(n, k) - zero(n, k / Gw_); }
  fp16 scale(std::size_t n, std::size_t g) const {
    std::uint16_t b;
    std::memcpy(&b, scales_.data() + 2 * (n * scale_groups() + g), 2);
    return fp16::from_bits(b);
  }
  // The weight as a real number, w * scale (exact in float).
  float dequantized(std::size_t n, std::size_t k) const {
    return float(w(n, k)) * scale(n, k / Gw_).to_float();
  }
  Eigen::MatrixXf dequantize() const {
    Eigen::MatrixXf out(N_, K_);
    for (std::size_t n = 0; n < N_; ++n)
      for (std::size_t k = 0; k < K_; ++k)
        out(Eigen::Index(n), Eigen::Index(k)) = dequantized(n, k);
    return out;
  }

  // The unsigned code u of weight (n, k), w = u - c (see the top of this header).
  unsigned code(std::size_t n, std::size_t k) const {
    const std::uint8_t b = codes_.data()[code_index(n, k)];
    return is_int4() ? (b >> (k % 2 * 4)) & 0xFu : b;
  }
  // c in w = u - c for symmetric types (asymmetric: the zero point).
  int code_offset() const {
    return type_ == weight_type::int4_sym ? 8 : type_ == weight_type::int8_sym ? 128 : 0;
  }

  // The blocked layout of the SIMD kernels, packed on first use (once, under any number of
  // threads) and kept until the last copy of these weights is gone.
  const packed_weights& packed() const {
    const std::lock_guard lock{packed_->mutex};
    if (!packed_->layout) packed_->layout = std::make_unique<const packed_weights>(*this);
    return *packed_->layout;
  }
  bool is_packed() const {
    const std::lock_guard lock{packed_->mutex};
    return packed_->layout != nullptr;
  }

  double bits_per_element() const {
    const double per_group = 16.0 + (type_ == weight_type::int4_asym ? 8.0 : 0.0);
    return (is_int4() ? 4.0 : 8.0) + per_group / double(Gw_);
  }
  // The plain arrays, plus the packed layout once it exists.
  std::size_t storage_bytes() const {
    const std::lock_guard lock{packed_->mutex};
    return codes_.size() + scales_.size() + zeros_.size() +
           (packed_->layout ? packed_->layout->storage_bytes() : 0);
  }

 private:
  int_weights(weight_type type, std::size_t N, std::size_t K, std::size_t Gw)
      : type_{type}, N_{N}, K_{K}, Gw_{Gw}, packed_{std::make_shared<packed_cache>()} {
    if (N == 0 || K == 0) throw shape_error("int_weights: N and K must be positive");
    if (Gw == 0) throw shape_error("int_weights: the scale group Gw must be positive");
    codes_ = aligned_buffer(N * row_bytes());
    scales_ = aligned_buffer(2 * N * scale_groups());
    if (type == weight_type::int4_asym) zeros_ = aligned_buffer(N * scale_groups());
  }

  std::size_t row_bytes() const { return is_int4() ? (K_ + 1) / 2 : K_; }
  std::size_t code_index(std::size_t n, std::size_t k) const {
    return n * row_bytes() + (is_int4() ? k / 2 : k);
  }
  void set_code(std::size_t n, std::size_t k, unsigned u) {
    std::uint8_t& b = codes_.data()[code_index(n, k)];
    const unsigned shift = k % 2 * 4;
    b = is_int4() ? static_cast<std::uint8_t>((b & ~(0xFu << shift)) | (u << shift))
                  : static_cast<std::uint8_t>(u);
  }
  void set_scale(std::size_t n, std::size_t g, std::uint16_t bits) {
    std::memcpy(scales_.data() + 2 * (n * scale_groups() + g), &bits, 2);
  }
  void set_offset(std::size_t n, std::size_t g, std::uint8_t z) {
    zeros_.data()[n * scale_groups() + g] = z;
  }

  struct packed_cache {
    std::mutex mutex;
    std::unique_ptr<const packed_weights> layout;
  };

  weight_type type_;
  std::size_t N_, K_, Gw_;
  aligned_buffer codes_, scales_, zeros_;
  std::shared_ptr<packed_cache> packed_;  // shared: copies hold equal weights
};

}  // namespace anda
