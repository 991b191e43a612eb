// The GPT-2 byte-to-character alphabet of byte-level BPE: each byte of the text becomes one
// printable character, so that a vocabulary of strings covers every byte sequence. Bytes that are
// printable Latin-1 ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other 68
// take U+0100, U+0101, ... in byte order (so the space becomes U+0120 'Ġ').
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace anda::text {

// The UTF-8 encoding of each byte's character.
inline const std::array<std::string, 256>& byte_level_alphabet() {
  static const std::array<std::string, 256> alphabet = [] {
    std::array<std::string, 256> a;
    unsigned next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const unsigned c = printable ? b : next++;
      // Code points below U+0800: one or two UTF-8 bytes.
      if (c < 0x80) {
        a[b] = std::string(1, char(c));
      } else {
        a[b] += char(0xC0 | (c >> 6));
        a[b] += char(0x80 | (c & 0x3F));
      }
    }
    return a;
  }();
  return alphabet;
}

// `s` with every byte replaced by its character.
inline std::string to_byte_level(std::string_view s) {
  const auto& alphabet = byte_level_alphabet();
  std::string out;
  out.reserve(s.size() * 2);
  for (const char c : s) out += alphabet[static_cast<unsigned char>(c)];
  return out;
}

}  // namespace anda::text
