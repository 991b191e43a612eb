// Rounding and non-finite policies of the Anda encoder (docs/format.md sections 2 and 5).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace anda {

// How an element's exact aligned magnitude a = S * 2^(M - 11 - d) becomes an M-bit integer.
// Every mode saturates at 2^M - 1; the shared exponent is never bumped [ours, as microxcaling].
enum class rounding : std::uint8_t {
  truncate,      // floor(a): the paper's bit-plane compressor (default); planes are progressive
  nearest_even,  // to nearest, ties to even
  nearest_away,  // to nearest, ties away from zero (microxcaling's "nearest")
};

// What a group holding Inf or NaN becomes [ours; the paper does not treat them].
enum class nonfinite : std::uint8_t {
  reject,     // encoding fails with an error naming the row and group; nothing is produced
  propagate,  // the group is stored with E = 31 and zero magnitudes and decodes to NaN
};

// Every rounding mode, in declaration order (parsing, tests and sweeps iterate over it).
inline constexpr std::array<rounding, 3> all_roundings = {
    rounding::truncate, rounding::nearest_even, rounding::nearest_away};

constexpr std::string_view to_string(rounding r) {
  switch (r) {
    case rounding::truncate:
      return "truncate";
    case rounding::nearest_even:
      return "nearest_even";
    case rounding::nearest_away:
      return "nearest_away";
  }
  return "?";
}

constexpr std::string_view to_string(nonfinite n) {
  return n == nonfinite::reject ? "reject" : "propagate";
}

constexpr std::optional<rounding> parse_rounding(std::string_view s) {
  for (auto r : all_roundings)
    if (s == to_string(r)) return r;
  return std::nullopt;
}

constexpr std::optional<nonfinite> parse_nonfinite(std::string_view s) {
  for (auto n : {nonfinite::reject, nonfinite::propagate})
    if (s == to_string(n)) return n;
  return std::nullopt;
}

}  // namespace anda
