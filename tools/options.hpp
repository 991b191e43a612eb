// Validators shared by the subcommands' options: a count must be a whole number in its range
// (no sign wrap-around into unsigned, no silent clamping of a number that does not fit), a
// floating option must be finite and in its range (NaN fails every comparison, so CLI::Range
// lets it through).
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

namespace anda::tools {

// The text as a whole number in [lo, hi], or an error message.
inline std::string check_count(const std::string& text, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, v);
  std::string range = std::to_string(lo);
  range += "..";
  range += std::to_string(hi);
  if (first == last || ec == std::errc::invalid_argument || end != last) {
    std::string msg = "'";
    msg += text;
    msg += "' is not a whole number (wants ";
    msg += range;
    msg += ')';
    return msg;
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    std::string msg = text;
    msg += " is out of range (wants ";
    msg += range;
    msg += ')';
    return msg;
  }
  return {};
}

// A count option: a whole number in [lo, hi].
inline CLI::Validator count_range(std::int64_t lo, std::int64_t hi) {
  std::string desc = "INT in [";
  desc += std::to_string(lo);
  desc += " - ";
  desc += std::to_string(hi);
  desc += ']';
  return CLI::Validator([lo, hi](std::string& s) { return check_count(s, lo, hi); }, desc,
                        "count_range");
}

// A floating option: a finite number in [lo, hi].
inline CLI::Validator finite_range(double lo, double hi) {
  std::string desc = "FLOAT in [";
  desc += std::to_string(lo);
  desc += " - ";
  desc += std::to_string(hi);
  desc += ']';
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
        std::string msg = "'";
        msg += s;
        if (s.empty() || end != s.c_str() + s.size()) return msg + "' is not a number";
        if (!std::isfinite(v)) return msg + "' is not a finite number";
        if (v < lo || v > hi) {
          msg += "' is out of range (wants ";
          msg += std::to_string(lo);
          msg += "..";
          msg += std::to_string(hi);
          return msg + ')';
        }
        return {};
      },
      desc, "finite_range");
}

// The Anda group sizes the format supports.
inline const CLI::Validator& group_sizes() {
  static const CLI::Validator v = CLI::IsMember({8, 16, 32, 64, 128, 256});
  return v;
}

}  // namespace anda::tools
