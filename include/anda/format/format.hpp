// The run-time format: group size, mantissa length and policies, validated once on creation.
#pragma once

#include <cstddef>
#include <string>

#include "anda/format/error.hpp"
#include "anda/format/policies.hpp"
#include "anda/format/traits.hpp"

namespace anda {

class format {
 public:
  // Throws format_error naming the bad parameter.
  format(int group, int mantissa, rounding round = rounding::truncate,
         nonfinite nonfinite_policy = nonfinite::reject)
      : group_{group}, mantissa_{mantissa}, rounding_{round}, nonfinite_{nonfinite_policy} {
    if (!is_supported_group(group))
      throw format_error("group size G = " + std::to_string(group) +
                         " is not supported (use 8, 16, 32, 64, 128 or 256)");
    if (!is_supported_mantissa(mantissa))
      throw format_error("mantissa length M = " + std::to_string(mantissa) +
                         " is out of range (use 1..16, hidden bit included)");
  }

  template <int G, int M>
  static format of(rounding round = rounding::truncate,
                   nonfinite nonfinite_policy = nonfinite::reject) {
    return format{Anda<G, M>::group_size, Anda<G, M>::mantissa_bits, round, nonfinite_policy};
  }

  int group() const { return group_; }
  int mantissa() const { return mantissa_; }
  rounding round() const { return rounding_; }
  nonfinite nonfinite_policy() const { return nonfinite_; }

  int planes() const { return 1 + mantissa_; }
  std::size_t plane_bytes() const { return static_cast<std::size_t>(group_) / 8; }
  std::size_t group_bytes() const { return planes() * plane_bytes(); }
  std::uint32_t max_magnitude() const { return (1u << mantissa_) - 1u; }
  double bits_per_element() const { return planes() + 8.0 / group_; }

  // The same format with another mantissa length (validated).
  format with_mantissa(int mantissa) const { return {group_, mantissa, rounding_, nonfinite_}; }

  friend bool operator==(const format&, const format&) = default;

 private:
  int group_;
  int mantissa_;
  rounding rounding_;
  nonfinite nonfinite_;
};

}  // namespace anda
