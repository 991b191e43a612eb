// Integer weights W[N x K] in the blocked layout the SIMD GeMM kernels read: the storage of
// int_weights (int_weights.hpp, which fills it and checks the values), its only copy.
//
//  - every weight as an unsigned code u = q + 8 (INT4 symmetric), u = q (INT4 asymmetric),
//    u = q + 128 (INT8), so that w = u - c with c = 8, the zero point z, or 128;
//  - output channels in blocks of 16 (N padded with zero weights), K padded to a multiple of 256
//    (the largest activation group) with zero weights;
//  - INT4: per block of 16 channels and 8 consecutive k, 64 bytes; byte 4*j + i holds k = i in
//    its low nibble and k = 4 + i in its high nibble, for channel j of the block;
//    INT8: per block of 16 channels and 4 consecutive k, 64 bytes; byte 4*j + i holds k = i.
//    So each 32-bit lane holds 4 consecutive k of one channel: one vpdpbusd / sdot lane, and
//    a 32-byte half of a block is 8 channels (one AVX2 register);
//  - scales (FP16 bits) and zero points (bytes) per block of 16 channels and scale group:
//    those of channel n, scale group g at (n / 16 * KG + g) * 16 + n % 16, KG = ceil(K / Gw);
//    padding channels have scale 0 and zero point 0.
//
// Memory: 4 or 8 bits per code, 16 per scale, 8 per zero point, on the padded shape (N to a
// multiple of 16, K to a multiple of 256; scales and zero points: padded N x KG).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "anda/storage/aligned_buffer.hpp"
#include "anda/storage/weight_type.hpp"

namespace anda {

class packed_weights {
 public:
  static constexpr std::size_t block_n = 16;   // output channels per block
  static constexpr std::size_t k_align = 256;  // K padding: the largest activation group

  packed_weights() = default;
  // Every weight w = 0 (u = c; asymmetric: u = 0, z = 0), every scale 0. Gw >= 1.
  packed_weights(weight_type type, std::size_t N, std::size_t K, std::size_t Gw)
      : type_{type},
        N_{N},
        K_{K},
        Gw_{Gw},
        KG_{K / Gw + (K % Gw != 0)},  // ceil without overflow for any Gw
        block_bytes_{block_n * padded_cols() * (is_int4() ? 1 : 2) / 2},
        codes_(padded_rows() / block_n * block_bytes_),
        scales_(2 * padded_rows() * KG_) {
    if (type == weight_type::int4_asym) offsets_ = aligned_buffer(padded_rows() * KG_);
    const unsigned c = unsigned(code_offset());
    std::memset(codes_.data(), int(is_int4() ? c | c << 4 : c), codes_.size());
  }

  weight_type type() const { return type_; }
  bool is_int4() const { return type_ != weight_type::int8_sym; }
  std::size_t rows() const { return N_; }
  std::size_t cols() const { return K_; }
  std::size_t scale_group() const { return Gw_; }
  std::size_t scale_groups() const { return KG_; }
  std::size_t padded_rows() const { return (N_ + block_n - 1) / block_n * block_n; }
  std::size_t padded_cols() const { return (K_ + k_align - 1) / k_align * k_align; }
  // c in w = u - c for symmetric types (asymmetric: the zero point, in offsets()).
  int code_offset() const {
    return type_ == weight_type::int4_sym ? 8 : type_ == weight_type::int8_sym ? 128 : 0;
  }

  // Codes of block b start at codes() + b * block_bytes().
  const std::uint8_t* codes() const { return codes_.data(); }
  std::size_t block_bytes() const { return block_bytes_; }
  // Scale group g of block b: 16 FP16 scales (zero points) at (b * scale_groups() + g) * 16.
  const std::uint16_t* scales_fp16() const {
    return reinterpret_cast<const std::uint16_t*>(scales_.data());
  }
  const std::uint8_t* offsets() const { return offsets_.data(); }

  // One value, for n < padded_rows(), k < padded_cols(), g < scale_groups().
  unsigned code(std::size_t n, std::size_t k) const {
    const std::uint8_t b = codes_.data()[code_byte(n, k)];
    return is_int4() ? (b >> (k & 4)) & 0xFu : b;  // INT4: k % 8 >= 4 in the high nibble
  }
  std::uint16_t scale_bits(std::size_t n, std::size_t g) const {
    return scales_fp16()[param_index(n, g)];
  }
  unsigned zero(std::size_t n, std::size_t g) const {
    return type_ == weight_type::int4_asym ? offsets_.data()[param_index(n, g)] : 0;
  }

  // Writers (int_weights fills the layout through these). set_block_codes writes every code of
  // block b from u[k * 16 + j], the code of channel 16 b + j at k < padded_cols() (one byte
  // each, padding included).
  void set_block_codes(std::size_t b, const std::uint8_t* u) {
    const std::size_t Kp = padded_cols();
    std::uint8_t* out = codes_.data() + b * block_bytes_;
    if (is_int4()) {
      for (std::size_t k8 = 0; k8 < Kp; k8 += 8, out += 64)
        for (std::size_t j = 0; j < block_n; ++j)
          for (std::size_t i = 0; i < 4; ++i)
            out[4 * j + i] = std::uint8_t(u[(k8 + i) * block_n + j] |
                                          unsigned(u[(k8 + 4 + i) * block_n + j]) << 4);
    } else {
      for (std::size_t k4 = 0; k4 < Kp; k4 += 4, out += 64)
        for (std::size_t j = 0; j < block_n; ++j)
          for (std::size_t i = 0; i < 4; ++i) out[4 * j + i] = u[(k4 + i) * block_n + j];
    }
  }
  void set_scale_bits(std::size_t n, std::size_t g, std::uint16_t bits) {
    std::memcpy(scales_.data() + 2 * param_index(n, g), &bits, 2);
  }
  void set_zero(std::size_t n, std::size_t g, std::uint8_t z) {
    offsets_.data()[param_index(n, g)] = z;
  }

  std::size_t storage_bytes() const { return codes_.size() + scales_.size() + offsets_.size(); }

 private:
  std::size_t param_index(std::size_t n, std::size_t g) const {
    return (n / block_n * KG_ + g) * block_n + n % block_n;
  }
  std::size_t code_byte(std::size_t n, std::size_t k) const {
    // 64 bytes per 8 k (INT4) or 4 k (INT8) of a block; then channel j's 32-bit lane, k % 4.
    const std::size_t lane = n / block_n * block_bytes_ + 4 * (n % block_n) + k % 4;
    return lane + (is_int4() ? k / 8 : k / 4) * 64;
  }

  weight_type type_ = weight_type::int4_sym;
  std::size_t N_ = 0, K_ = 0, Gw_ = 1, KG_ = 0, block_bytes_ = 0;
  aligned_buffer codes_, scales_, offsets_;
};

}  // namespace anda
