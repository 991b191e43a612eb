// Checked integer arithmetic for the cost model's counts (cycles, tiles, elements): a product or
// sum past 2^63 - 1 throws cost_overflow instead of wrapping to a negative count. Energies, bits
// and MACs are computed in double and need no check.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace anda::hw {

// A workload too large for the cost model's 64-bit counts (say which, and what to do).
class cost_overflow : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

namespace detail {

[[noreturn]] inline void count_overflow(const char* what) {
  std::string msg = "the cost model's ";
  msg += what;
  msg += " exceeds 2^63 - 1: fewer tokens or a smaller model";
  throw cost_overflow(msg);
}

inline std::int64_t mul(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) count_overflow(what);
  return r;
}

inline std::int64_t add(std::int64_t a, std::int64_t b, const char* what) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) count_overflow(what);
  return r;
}

// ceil(a / b) for a >= 0, b > 0, without forming a + b - 1.
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a / b + (a % b != 0 ? 1 : 0);
}

// A non-negative double count as an integer (the conversion of a value past 2^63 is undefined).
inline std::int64_t to_count(double v, const char* what) {
  if (!(v < 9.2e18)) count_overflow(what);
  return static_cast<std::int64_t>(v);
}

}  // namespace detail
}  // namespace anda::hw
