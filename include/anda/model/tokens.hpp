// Token files: raw int32 little-endian token ids (".i32"), as the model folders ship them
// (eval_tokens.i32, calib_tokens.i32, ref_tokens.i32). No header; the file size is 4 x count.
#pragma once

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "anda/format/error.hpp"

namespace anda::model {

// Reads every id of an .i32 file. Throws anda::error when the file cannot be read, is empty or
// its size is not a multiple of 4.
inline std::vector<std::int32_t> read_tokens(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw error(path.string() + ": no such token file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw error(path.string() + ": cannot read its size: " + ec.message());
  if (size == 0) throw error(path.string() + ": the token file is empty");
  if (size % 4 != 0)
    throw error(path.string() + ": " + std::to_string(size) +
                " bytes is not a whole number of int32 token ids (expected a multiple of 4)");
  std::vector<std::int32_t> ids(size / 4);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(ids.data()), std::streamsize(size)))
    throw error(path.string() + ": read failed");
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
