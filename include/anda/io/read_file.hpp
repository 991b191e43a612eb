// Whole-file reads that cannot run away: regular files only (a device such as /dev/zero, a FIFO
// or a directory is refused, also behind a symlink), the size checked against a cap before a
// byte is read, and the path named in every error.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "anda/format/error.hpp"

namespace anda::io {

// A file that cannot be read as asked; the message starts with its path.
struct file_error : error {
  using error::error;
};

// The size of a regular file (symlinks followed); file_error names the path otherwise.
inline std::uintmax_t regular_file_size(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw file_error(path.string() + ": cannot open (" +
                     (ec ? ec.message() : std::string("no such file")) + ")");
  if (!std::filesystem::is_regular_file(status))
    throw file_error(path.string() + ": not a regular file" +
                     (std::filesystem::is_directory(status) ? " (a directory)" : ""));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw file_error(path.string() + ": cannot read its size (" + ec.message() + ")");
  return size;
}

// The size of a regular file of at most `max_bytes`; `what` names the file's role in the size
// error (e.g. "config.json").
inline std::uintmax_t regular_file_size(const std::filesystem::path& path, std::uintmax_t max_bytes,
                                        const std::string& what) {
  const auto size = regular_file_size(path);
  if (size > max_bytes)
    throw file_error(path.string() + ": " + std::to_string(size) + " bytes is too large for " +
                     what + " (at most " + std::to_string(max_bytes) + ")");
  return size;
}

// The whole content of a regular file of at most `max_bytes` (see above).
inline std::string read_file(const std::filesystem::path& path, std::uintmax_t max_bytes,
                             const std::string& what) {
  const auto size = regular_file_size(path, max_bytes, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path.string() + ": cannot open (" + std::strerror(errno) + ")");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size)
    throw file_error(path.string() + ": read error (file shorter than its size, or changing)");
  return text;
}

}  // namespace anda::io
