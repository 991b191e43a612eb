// UTF-8 validation of input text, through utf8proc's decoder (overlong forms, surrogates and code
// points above U+10FFFF are all invalid), and stepping over one encoded character.
#pragma once

#include <utf8proc.h>

#include <sys/types.h>
#include <cstddef>
#include <string>
#include <string_view>

#include "anda/text/error.hpp"

namespace anda::text {

// The byte offset of the first invalid UTF-8 sequence in `s`, or s.size() when all of it is valid.
inline std::size_t first_invalid_utf8(std::string_view s) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  std::size_t at = 0;
  while (at < s.size()) {
    // ASCII needs no decoder: most text is mostly ASCII, and this keeps validation cheap.
    if (static_cast<unsigned char>(s[at]) < 0x80) {
      ++at;
      continue;
    }
    utf8proc_int32_t code_point = 0;
    const utf8proc_ssize_t n =
        utf8proc_iterate(bytes + at, utf8proc_ssize_t(s.size() - at), &code_point);
    if (n <= 0) return at;
    at += std::size_t(n);
  }
  return s.size();
}

// Throws text_error "<what>: invalid UTF-8 at byte offset N (byte 0xNN)" unless `s` is valid.
inline void check_utf8(std::string_view s, const std::string& what) {
  const std::size_t bad = first_invalid_utf8(s);
  if (bad == s.size()) return;
  static constexpr char hex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(s[bad]);
  std::string msg = what;
  msg += ": invalid UTF-8 at byte offset ";
  msg += std::to_string(bad);
  msg += " (byte 0x";
  msg += hex[byte >> 4];
  msg += hex[byte & 15];
  msg += ')';
  throw text_error(msg);
}

// The length in bytes of the UTF-8 character that starts with `lead` (valid text assumed).
inline std::size_t utf8_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace anda::text
