// Exact oracles for the Anda format, written from the value, not from the library's fields:
//  - a double oracle: every quantity is a dyadic rational of at most 27 significant bits inside
//    double's exponent range, so ldexp/floor/nearbyint/round below are exact;
//  - a Boost.Multiprecision rational oracle for sampled and edge-case checks.
#pragma once

#include <Eigen/Core>
#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

#include <anda/format/policies.hpp>

namespace anda::test {

// The FP16 value through Eigen's own conversion (independent of anda::fp16).
inline double fp16_value(std::uint16_t bits) {
  return static_cast<double>(static_cast<float>(Eigen::numext::bit_cast<Eigen::half>(bits)));
}

inline bool is_finite_fp16(std::uint16_t bits) {
  return (bits & 0x7C00) != 0x7C00;
}

// Shared exponent as a biased FP16 exponent: floor(log2(max |x|)) + 15, at least 1; 0 if all zero.
inline int oracle_exponent(std::span<const std::uint16_t> group) {
  double largest = 0;
  for (auto b : group) largest = std::max(largest, std::abs(fp16_value(b)));
  if (largest == 0) return 0;
  return std::max(std::ilogb(largest) + 15, 1);
}

// Decoded value of element i of a finite group under (M, rounding), as a double (exact).
inline double oracle_decode(std::span<const std::uint16_t> group, std::size_t i, int M,
                            rounding round) {
  const int E = std::max(oracle_exponent(group), 1);
  const double x = fp16_value(group[i]);
  const double a = std::ldexp(std::abs(x), -(E - 15 - (M - 1)));  // |x| / grid step
  double m = round == rounding::truncate       ? std::floor(a)
             : round == rounding::nearest_even ? std::nearbyint(a)  // default mode: ties to even
                                               : std::round(a);     // ties away from zero
  m = std::min(m, std::ldexp(1.0, M) - 1);
  return std::copysign(std::ldexp(m, E - 15 - (M - 1)), x);
}

// 2^k as an exact rational.
inline boost::multiprecision::cpp_rational pow2(int k) {
  using boost::multiprecision::cpp_int;
  using boost::multiprecision::cpp_rational;
  return k >= 0 ? cpp_rational(cpp_int(1) << k) : cpp_rational(cpp_int(1), cpp_int(1) << -k);
}

// The FP16 value as IEEE 754 defines it from its fields: (-1)^s * significand * 2^(e - 25).
inline boost::multiprecision::cpp_rational rational_value(std::uint16_t b) {
  const int e = (b >> 10) & 0x1F;
  const int f = b & 0x3FF;
  const boost::multiprecision::cpp_rational v = (e == 0 ? f : 1024 + f) * pow2(std::max(e, 1) - 25);
  return (b & 0x8000) ? boost::multiprecision::cpp_rational(-v) : v;
}

// The same decoded value with exact rationals: v = round(x / q) * q, q the group's grid step.
inline boost::multiprecision::cpp_rational rational_decode(std::span<const std::uint16_t> group,
                                                           std::size_t i, int M, rounding round) {
  using boost::multiprecision::cpp_int;
  using boost::multiprecision::cpp_rational;
  cpp_rational largest = 0;
  for (auto b : group) largest = std::max(largest, cpp_rational(abs(rational_value(b))));
  int E = 1;  // the smallest E >= 1 with largest < 2^(E - 14)
  while (largest >= pow2(E - 14)) ++E;
  const cpp_rational q = pow2(E - 15 - (M - 1));
  const cpp_rational x = rational_value(group[i]);
  const cpp_rational a = abs(x) / q;
  cpp_int m = numerator(a) / denominator(a);  // floor, a >= 0
  const cpp_rational frac = a - cpp_rational(m);
  const cpp_rational half(1, 2);
  if (round == rounding::nearest_away && frac >= half) ++m;
  if (round == rounding::nearest_even && (frac > half || (frac == half && (m & 1) == 1))) ++m;
  m = std::min(m, cpp_int((cpp_int(1) << M) - 1));
  const cpp_rational v = cpp_rational(m) * q;
  return x < 0 ? cpp_rational(-v) : v;
}

}  // namespace anda::test
