// Integer weights in the blocked layout the SIMD GeMM kernels read, packed once from the plain
// arrays of int_weights (which builds and keeps it, see int_weights::packed):
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
//  - scales (FP16 bits) and zero points (bytes) per block of 16 channels and scale group.
//
// Memory: the same bits per weight as the plain arrays (4 or 8 per weight, 16 per scale, 8 per
// zero point), on the padded shape.
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

  // W is an int_weights (a template only to keep the headers acyclic).
  template <class Weights>
  explicit packed_weights(const Weights& w)
      : type_{w.type()}, N_{w.rows()}, K_{w.cols()}, Gw_{w.scale_group()}, KG_{w.scale_groups()} {
    codes_ = aligned_buffer(padded_rows() / block_n * block_bytes());
    scales_ = aligned_buffer(2 * padded_rows() * KG_);
    if (type_ == weight_type::int4_asym) offsets_ = aligned_buffer(padded_rows() * KG_);
    // Padding weights must be w = 0: u = c for symmetric types (asymmetric: z = 0, u = 0).
    for (std::size_t n = 0; n < padded_rows(); ++n)
      for (std::size_t k = 0; k < padded_cols(); ++k)
        set_code(n, k, n < N_ && k < K_ ? w.code(n, k) : unsigned(code_offset()));
    for (std::size_t n = 0; n < N_; ++n) {
      for (std::size_t g = 0; g < KG_; ++g) {
        const std::uint16_t s = w.scale(n, g).bits();
        std::memcpy(scales_.data() + 2 * param_index(n, g), &s, 2);
        if (type_ == weight_type::int4_asym)
          offsets_.data()[param_index(n, g)] = static_cast<std::uint8_t>(w.zero(n, g));
      }
    }
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
  std::size_t block_bytes() const { return block_n * padded_cols() * (is_int4() ? 1 : 2) / 2; }
  // Scale group g of block b: 16 FP16 scales (zero points) at (b * scale_groups() + g) * 16.
  const std::uint16_t* scales_fp16() const {
    return reinterpret_cast<const std::uint16_t*>(scales_.data());
  }
  const std::uint8_t* offsets() const { return offsets_.data(); }

  // The code of weight (n, k) as stored here (tests read the layout back through it).
  unsigned code(std::size_t n, std::size_t k) const {
    unsigned shift;
    const std::uint8_t b = codes_.data()[code_byte(n, k, shift)];
    return is_int4() ? (b >> shift) & 0xFu : b;
  }

  std::size_t storage_bytes() const { return codes_.size() + scales_.size() + offsets_.size(); }

 private:
  std::size_t param_index(std::size_t n, std::size_t g) const {
    return (n / block_n * KG_ + g) * block_n + n % block_n;
  }
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
  void set_code(std::size_t n, std::size_t k, unsigned u) {
    unsigned shift;
    std::uint8_t& b = codes_.data()[code_byte(n, k, shift)];
    b = is_int4() ? static_cast<std::uint8_t>((b & ~(0xFu << shift)) | (u << shift))
                  : static_cast<std::uint8_t>(u);
  }

  weight_type type_;
  std::size_t N_, K_, Gw_, KG_;
  aligned_buffer codes_, scales_, offsets_;
};

}  // namespace anda
