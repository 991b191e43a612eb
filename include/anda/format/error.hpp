// The library's exception types: every failure says what was wrong and where.
#pragma once

#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace anda {

// Base of every error the library throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A format parameter outside what docs/format.md allows (G = 48, M = 0, M = 17, ...).
class format_error : public error {
 public:
  using error::error;
};

// An Inf or NaN met under nonfinite::reject; names the first offending row and group. A finite
// float input that overflowed FP16 (|x| >= 65520 rounds to Inf) is named as such, with its value.
class nonfinite_error : public error {
 public:
  nonfinite_error(std::size_t row, std::size_t group, std::size_t column)
      : error(where("non-finite input (Inf or NaN)", row, group, column)),
        row_{row},
        group_{group},
        column_{column} {}
  // The float `value` at (row, column) is finite but overflowed FP16 to Inf.
  nonfinite_error(std::size_t row, std::size_t group, std::size_t column, float value)
      : error(where(overflow_text(value), row, group, column)),
        row_{row},
        group_{group},
        column_{column},
        overflow_{true} {}
  std::size_t row() const { return row_; }
  std::size_t group() const { return group_; }
  std::size_t column() const { return column_; }
  // True when the input was a finite float too large for FP16, not an Inf or NaN.
  bool fp16_overflow() const { return overflow_; }

 private:
  static std::string overflow_text(float value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(value));
    std::string s = "input ";
    s += buf;
    s += " overflows FP16 (largest finite 65504; it rounds to Inf)";
    return s;
  }
  static std::string where(std::string what, std::size_t row, std::size_t group,
                           std::size_t column) {
    what += " at row ";
    what += std::to_string(row);
    what += ", group ";
    what += std::to_string(group);
    what += " (column ";
    what += std::to_string(column);
    what += ") under nonfinite::reject";
    return what;
  }

  std::size_t row_, group_, column_;
  bool overflow_ = false;
};

// `s` with every byte outside printable ASCII (a NUL, a newline, a control character, a byte of
// 0x80 or more) and the backslash written as \xNN: what goes into an error message from a file.
inline std::string escaped(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += ch;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Shapes or sizes that do not fit together.
class shape_error : public error {
 public:
  using error::error;
};

}  // namespace anda
