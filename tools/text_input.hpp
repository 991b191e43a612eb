// The text that `anda tokenize`, `eval --text` and `search --text` read: a file, or standard input.
#pragma once

#include <anda/io/read_file.hpp>

#include <cstdint>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace anda::tools {

// The largest text file tokenized (4 GiB): a bound against a runaway read.
inline constexpr std::uintmax_t max_text_file_bytes = std::uintmax_t{1} << 32;

// The bytes of a text file, or of standard input for "-".
inline std::string read_text_input(const std::string& path) {
  if (path != "-") return io::read_file(path, max_text_file_bytes, "a text file");
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) throw std::runtime_error("cannot read standard input");
  return text;
}

}  // namespace anda::tools
