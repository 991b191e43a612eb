// The library's exception types: every failure says what was wrong and where.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

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

// An Inf or NaN met under nonfinite::reject; names the first offending row and group.
class nonfinite_error : public error {
 public:
  nonfinite_error(std::size_t row, std::size_t group, std::size_t column)
      : error("non-finite input (Inf or NaN) at row " + std::to_string(row) + ", group " +
              std::to_string(group) + " (column " + std::to_string(column) +
              ") under nonfinite::reject"),
        row_{row},
        group_{group},
        column_{column} {}
  std::size_t row() const { return row_; }
  std::size_t group() const { return group_; }
  std::size_t column() const { return column_; }

 private:
  std::size_t row_, group_, column_;
};

// Shapes or sizes that do not fit together.
class shape_error : public error {
 public:
  using error::error;
};

}  // namespace anda
