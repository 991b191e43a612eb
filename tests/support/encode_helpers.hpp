// Small helpers shared by the format and storage tests.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <anda/kernels/encode.hpp>

#include "backends.hpp"

#include "oracle.hpp"

namespace anda::test {

// Encodes rows x cols FP16 bits and decodes them to float, row-major.
inline std::vector<float> round_trip(const format& fmt, std::span<const std::uint16_t> bits,
                                     std::size_t rows, std::size_t cols,
                                     const kernels::backend& k = kernels::selected_backend()) {
  const auto t = encode(fmt, bits.data(), rows, cols, cols, k);
  std::vector<float> out(rows * cols);
  t.decode_to(out.data(), cols);
  return out;
}

// Counts elements whose decoded value differs from the double oracle (value or sign of zero).
inline std::size_t oracle_mismatches(const format& fmt, std::span<const std::uint16_t> bits,
                                     std::size_t rows, std::size_t cols,
                                     std::span<const float> decoded) {
  std::size_t bad = 0;
  const auto G = static_cast<std::size_t>(fmt.group());
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t g0 = 0; g0 < cols; g0 += G) {
      const std::size_t n = std::min(G, cols - g0);
      const auto group = bits.subspan(r * cols + g0, n);
      for (std::size_t i = 0; i < n; ++i) {
        const double want = oracle_decode(group, i, fmt.mantissa(), fmt.round());
        const float got = decoded[r * cols + g0 + i];
        if (double(got) != want || std::signbit(got) != std::signbit(want)) ++bad;
      }
    }
  }
  return bad;
}

}  // namespace anda::test
