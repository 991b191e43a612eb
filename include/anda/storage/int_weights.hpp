// Integer weights W[N x K] for the FP-INT GeMM (gemm.md "Weights"): INT4 symmetric, INT4
// asymmetric with zero points, INT8 symmetric; one FP16 scale per (output channel n, group of Gw
// consecutive K). Stored once, in the layout the GeMM kernels read:
//
//  - every weight as an unsigned code u = q + 8 (INT4 symmetric), u = q (INT4 asymmetric),
//    u = q + 128 (INT8), so that w = u - c with c = 8, the zero point z, or 128;
//  - output channels in blocks of 16 (N padded with zero weights), K padded to a multiple of 256
//    (the largest activation group) with zero weights;
//  - INT4: per block of 16 channels and 8 consecutive k, 64 bytes; byte 4*j + i holds k = i in
//    its low nibble and k = 4 + i in its high nibble, for channel j of the block;
//    INT8: per block of 16 channels and 4 consecutive k, 64 bytes; byte 4*j + i holds k = i;
//  - scales (FP16 bits) and zero points (bytes) per block of 16 channels and scale group.
//
// Memory per stored weight: 4 + 16/Gw bits (INT4), + 8/Gw for zero points (asymmetric),
// 8 + 16/Gw (INT8); bits_per_element() reports it and a test checks it against the bytes held.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/storage/aligned_buffer.hpp"

namespace anda {

enum class weight_type : std::uint8_t {
  int4_sym,   // q in [-8, 7], w = q
  int4_asym,  // q in [0, 15] and zero point z in [0, 15], w = q - z
  int8_sym,   // q in [-128, 127] (-128 accepted on load; the quantizer uses +-127), w = q
};

constexpr std::string_view to_string(weight_type t) {
  return t == weight_type::int4_sym ? "int4" : t == weight_type::int4_asym ? "int4-asym" : "int8";
}

constexpr std::optional<weight_type> parse_weight_type(std::string_view s) {
  for (auto t : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym})
    if (s == to_string(t)) return t;
  return std::nullopt;
}

class int_weights {
 public:
  static constexpr std::size_t block_n = 16;   // output channels per kernel block
  static constexpr std::size_t k_align = 256;  // K padding: the largest activation group

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
  std::size_t padded_rows() const { return (N_ + block_n - 1) / block_n * block_n; }
  std::size_t padded_cols() const { return (K_ + k_align - 1) / k_align * k_align; }
  bool is_int4() const { return type_ != weight_type::int8_sym; }

  // q(n, k) in the type's own range, the zero point (0 unless asymmetric), w = q - z.
  int q(std::size_t n, std::size_t k) const { return int(code(n, k)) - code_offset(); }
  int zero(std::size_t n, std::size_t g) const {
    return type_ == weight_type::int4_asym ? offsets_.data()[param_index(n, g)] : 0;
  }
  int w(std::size_t n, std::size_t k) const { return q(n, k) - zero(n, k / Gw_); }
  fp16 scale(std::size_t n, std::size_t g) const {
    std::uint16_t b;
    std::memcpy(&b, scales_.data() + 2 * param_index(n, g), 2);
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

  // Kernel view: codes, FP16 scales and zero points in the layout described at the top.
  const std::uint8_t* codes() const { return codes_.data(); }
  const std::uint16_t* scales_fp16() const {
    return reinterpret_cast<const std::uint16_t*>(scales_.data());
  }
  const std::uint8_t* offsets() const { return offsets_.data(); }
  // c in w = u - c for symmetric types (asymmetric: the zero point).
  int code_offset() const {
    return type_ == weight_type::int4_sym ? 8 : type_ == weight_type::int8_sym ? 128 : 0;
  }
  // Bytes of codes per block of 16 channels.
  std::size_t block_bytes() const { return block_n * padded_cols() * (is_int4() ? 1 : 2) / 2; }

  double bits_per_element() const {
    const double per_group = 16.0 + (type_ == weight_type::int4_asym ? 8.0 : 0.0);
    return (is_int4() ? 4.0 : 8.0) + per_group / double(Gw_);
  }
  std::size_t storage_bytes() const { return codes_.size() + scales_.size() + offsets_.size(); }

 private:
  int_weights(weight_type type, std::size_t N, std::size_t K, std::size_t Gw)
      : type_{type}, N_{N}, K_{K}, Gw_{Gw} {
    if (N == 0 || K == 0) throw shape_error("int_weights: N and K must be positive");
    if (Gw == 0) throw shape_error("int_weights: the scale group Gw must be positive");
    codes_ = aligned_buffer(padded_rows() / block_n * block_bytes());
    scales_ = aligned_buffer(2 * padded_rows() * scale_groups());
    if (type == weight_type::int4_asym) offsets_ = aligned_buffer(padded_rows() * scale_groups());
    // Padding weights must be w = 0: code = c for symmetric types (asymmetric: z = 0, u = 0).
    if (type != weight_type::int4_asym) {
      for (std::size_t n = 0; n < padded_rows(); ++n)
        for (std::size_t k = 0; k < padded_cols(); ++k) set_code(n, k, unsigned(code_offset()));
    }
  }

  std::size_t param_index(std::size_t n, std::size_t g) const {
    return (n / block_n * scale_groups() + g) * block_n + n % block_n;
  }
  // Byte and nibble of code (n, k) in the kernel layout.
  std::size_t code_byte(std::size_t n, std::size_t k, unsigned& shift) const {
    const std::size_t block = n / block_n * block_bytes();
    const std::size_t j = n % block_n;
    if (is_int4()) {
      shift = (k % 8) >= 4 ? 4 : 0;
      return block + (k / 8) * 64 + 4 * j + k % 4;
    }
    shift = 0;
    return block + (k / 4) * 64 + 4 * j + k % 4;
  }
  unsigned code(std::size_t n, std::size_t k) const {
    unsigned shift;
    const std::uint8_t b = codes_.data()[code_byte(n, k, shift)];
    return is_int4() ? (b >> shift) & 0xFu : b;
  }
  void set_code(std::size_t n, std::size_t k, unsigned u) {
    unsigned shift;
    std::uint8_t& b = codes_.data()[code_byte(n, k, shift)];
    b = is_int4() ? static_cast<std::uint8_t>((b & ~(0xFu << shift)) | (u << shift))
                  : static_cast<std::uint8_t>(u);
  }
  void set_scale(std::size_t n, std::size_t g, std::uint16_t bits) {
    std::memcpy(scales_.data() + 2 * param_index(n, g), &bits, 2);
  }
  void set_offset(std::size_t n, std::size_t g, std::uint8_t z) {
    offsets_.data()[param_index(n, g)] = z;
  }

  weight_type type_;
  std::size_t N_, K_, Gw_;
  aligned_buffer codes_, scales_, offsets_;
};

}  // namespace anda
