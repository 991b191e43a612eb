// Token files: raw int32 little-endian token ids (".i32"), as the model folders ship them
// (eval_tokens.i32, calib_tokens.i32, ref_tokens.i32). No header; the file size is 4 x count.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "anda/format/error.hpp"
#include "anda/io/read_file.hpp"

namespace anda::model {

// The largest token file read (16 GiB, 4G ids): a bound against a runaway read.
inline constexpr std::uintmax_t max_token_file_bytes = std::uintmax_t{1} << 34;

// The bytes of an .i32 file holding `ids` (what read_tokens reads back).
inline std::string token_file_bytes(std::span<const std::int32_t> ids) {
  std::string bytes;
  bytes.reserve(ids.size() * 4);
  for (const std::int32_t id : ids) {
    const auto u = static_cast<std::uint32_t>(id);
    for (int shift = 0; shift < 32; shift += 8) bytes += static_cast<char>((u >> shift) & 0xFF);
  }
  return bytes;
}

// Reads every id of an .i32 file. Throws anda::error when the file is missing, is not a regular
// file (a device such as /dev/zero, a FIFO, a directory; symlinks are followed), is empty, larger
// than `max_bytes` or its size is not a multiple of 4; every error names the path.
inline std::vector<std::int32_t> read_tokens(const std::filesystem::path& path,
                                             std::uintmax_t max_bytes = max_token_file_bytes) {
  std::error_code ec;
  if (std::filesystem::status(path, ec).type() == std::filesystem::file_type::not_found)
    throw error(path.string() + ": no such token file");
  const auto size = io::regular_file_size(path);
  if (size == 0) throw error(path.string() + ": the token file is empty");
  if (size > max_bytes)
    throw error(path.string() + ": " + std::to_string(size) +
                " bytes is too large for a token file (at most " + std::to_string(max_bytes) + ")");
  if (size % 4 != 0)
    throw error(path.string() + ": " + std::to_string(size) +
                " bytes is not a whole number of int32 token ids (expected a multiple of 4)");
  std::vector<std::int32_t> ids(static_cast<std::size_t>(size / 4));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(path.string() + ": cannot open for reading");
  if (!in.read(reinterpret_cast<char*>(ids.data()), std::streamsize(size)))
    throw error(path.string() + ": read error (file shorter than its size, or changing)");
  if constexpr (std::endian::native == std::endian::big)
    for (auto& v : ids) {
      const auto u = std::uint32_t(v);
      v = std::int32_t((u >> 24) | ((u >> 8) & 0xFF00u) | ((u << 8) & 0xFF0000u) | (u << 24));
    }
  return ids;
}

// Throws anda::error naming the first id outside [0, vocab).
inline void check_tokens(std::span<const std::int32_t> ids, int vocab, const std::string& what) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      throw error(what + ": token " + std::to_string(i) + " has id " + std::to_string(ids[i]) +
                  ", outside the vocabulary [0, " + std::to_string(vocab) + ")");
}

}  // namespace anda::model
