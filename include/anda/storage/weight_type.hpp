// The integer weight types of the FP-INT GeMM (docs/gemm.md "Weights") and their names.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace anda
