// A weight matrix [rows, cols] held in the narrowest float type that represents every one of its
// values exactly: FP16, else BF16, else FP32, row-major. A checkpoint stored in F16 or BF16
// therefore costs its own size in memory, not twice it as FP32; rows are widened to FP32 when
// used (into a row-major block: contiguous on both sides), giving back exactly the values the
// matrix was built from.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "anda/format/fp16.hpp"

namespace anda::model {

class weight_matrix {
 public:
  enum class storage { f32, f16, bf16 };
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  weight_matrix() = default;
  explicit weight_matrix(const Eigen::MatrixXf& m) : rows_{m.rows()}, cols_{m.cols()} {
    if (exact_in(m, storage::f16)) {
      kind_ = storage::f16;
    } else if (exact_in(m, storage::bf16)) {
      kind_ = storage::bf16;
    } else {
      kind_ = storage::f32;
      f32_ = m;
      return;
    }
    // Row-major: a row (an embedding, an output channel) is contiguous. Copied in square tiles,
    // so that neither side is walked with a large stride.
    bits_.resize(static_cast<std::size_t>(m.size()));
    constexpr Eigen::Index tile = 16;
    for (Eigen::Index c0 = 0; c0 < cols_; c0 += tile)
      for (Eigen::Index r0 = 0; r0 < rows_; r0 += tile)
        for (Eigen::Index r = r0; r < std::min(rows_, r0 + tile); ++r)
          for (Eigen::Index c = c0; c < std::min(cols_, c0 + tile); ++c)
            bits_[std::size_t(r * cols_ + c)] = narrow(m(r, c), kind_);
  }

  Eigen::Index rows() const { return rows_; }
  Eigen::Index cols() const { return cols_; }
  bool empty() const { return rows_ * cols_ == 0; }
  storage kind() const { return kind_; }
  // The bytes held.
  std::size_t bytes() const {
    return kind_ == storage::f32 ? std::size_t(f32_.size()) * 4 : bits_.size() * 2;
  }

  // Rows [r0, r0 + n) in FP32 (a product reads either storage order with the same bits).
  row_major rows_as_float(Eigen::Index r0, Eigen::Index n) const {
    if (kind_ == storage::f32) return f32_.middleRows(r0, n);
    // Eigen's casts: vectorized (F16C, or a shift for BF16) where the build target has them, and
    // exact like widen(); the head is widened this way at every forward pass.
    const std::uint16_t* src = bits_.data() + std::size_t(r0 * cols_);
    if (kind_ == storage::bf16) return as<Eigen::bfloat16>(src, n).template cast<float>();
    return as<Eigen::half>(src, n).template cast<float>();
  }
  Eigen::MatrixXf to_float() const { return rows_as_float(0, rows_); }

  // Row r in FP32, into `out` (cols() values): an embedding lookup.
  template <class Row>
  void row_to(Eigen::Index r, Row&& out) const {
    if (kind_ == storage::f32) {
      out = f32_.row(r);
      return;
    }
    const std::uint16_t* src = bits_.data() + std::size_t(r * cols_);
    for (Eigen::Index c = 0; c < cols_; ++c) out(c) = widen(src[c], kind_);
  }

 private:
  // n rows of 16-bit values from src, viewed as Eigen's half or bfloat16 (a 16-bit struct of the
  // same bits).
  template <class Half>
  Eigen::Map<const Eigen::Matrix<Half, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> as(
      const std::uint16_t* src, Eigen::Index n) const {
    static_assert(sizeof(Half) == 2);
    return {reinterpret_cast<const Half*>(src), n, cols_};
  }
  static float widen(std::uint16_t h, storage k) {
    return k == storage::bf16 ? std::bit_cast<float>(std::uint32_t{h} << 16)
                              : fp16::from_bits(h).to_float();
  }
  static std::uint16_t narrow(float v, storage k) {
    return k == storage::bf16 ? std::uint16_t(std::bit_cast<std::uint32_t>(v) >> 16)
                              : fp16::from_float(v).bits();
  }
  static bool exact_in(const Eigen::MatrixXf& m, storage k) {
    for (Eigen::Index i = 0; i < m.size(); ++i) {
      // Bit patterns, so that -0 and NaN payloads are kept too.
      const float v = m(i);
      if (std::bit_cast<std::uint32_t>(widen(narrow(v, k), k)) != std::bit_cast<std::uint32_t>(v))
        return false;
    }
    return true;
  }

  Eigen::Index rows_ = 0, cols_ = 0;
  storage kind_ = storage::f32;
  row_major f32_;
  std::vector<std::uint16_t> bits_;
};

}  // namespace anda::model
