// The kernel interface: a table of function pointers that every ISA fills in. Callers pick a
// table once per call (dispatch.hpp); the format core never sees SIMD details.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "anda/format/format.hpp"

namespace anda::simd {

// Encode `rows` x `cols` FP16 values (row stride in elements) into the bit-plane layout of
// format.md section 4: groups along the row, the tail zero-padded; one exponent byte per group.
struct encode_job {
  const std::uint16_t* src;
  std::size_t rows, cols, src_stride;
  format fmt;
  std::uint8_t* planes;     // rows * groups_per_row * fmt.group_bytes()
  std::uint8_t* exponents;  // rows * groups_per_row
};

// Returned by an encoder when every group was encoded.
inline constexpr std::size_t all_encoded = std::numeric_limits<std::size_t>::max();

struct kernel_table {
  std::string_view name;
  // Returns all_encoded, or under nonfinite::reject the index (row * groups_per_row + group)
  // of the first group holding Inf or NaN; the output is then incomplete and must be dropped.
  std::size_t (*encode)(const encode_job&);
  // FP32 -> FP16 bits, IEEE round to nearest even, overflow to +-Inf (fp16::from_float).
  void (*float_to_fp16)(const float* src, std::uint16_t* dst, std::size_t n);
};

constexpr std::size_t groups_per_row(std::size_t cols, int group) {
  return (cols + static_cast<std::size_t>(group) - 1) / static_cast<std::size_t>(group);
}

}  // namespace anda::simd
