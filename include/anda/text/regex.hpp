// The regular expressions of tokenizer.json (split patterns, Replace patterns, added-token
// matching), run by PCRE2 in UTF + UCP mode (\p{L}, \p{N}, Unicode \s, (?i:...) with Unicode case
// folding, look-ahead), JIT-compiled where the platform has it.
//
// The `tokenizers` library runs these patterns with Oniguruma and iterates matches as the `onig`
// crate does; for_each_match reproduces that iteration (an empty match right where the previous
// match ended is skipped by stepping one character), so splits agree match for match. Known
// difference: PCRE2's Unicode \s also takes U+180E, Oniguruma's does not.
#pragma once

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "anda/text/error.hpp"
#include "anda/text/utf8.hpp"

namespace anda::text {

class regex {
 public:
  // Compiles `pattern`; an invalid one is a tokenizer_error "<what>: ... at pattern offset N".
  regex(std::string_view pattern, const std::string& what) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* compiled =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                      PCRE2_UTF | PCRE2_UCP, &code, &offset, nullptr);
    if (compiled == nullptr) {
      std::string msg = what;
      msg += ": invalid regular expression \"";
      msg += escaped(pattern);
      msg += "\" (";
      msg += message(code);
      msg += " at pattern offset ";
      msg += std::to_string(offset);
      msg += ')';
      throw tokenizer_error(msg);
    }
    code_.reset(compiled, pcre2_code_free);
    // No JIT on this platform (or no executable memory): the interpreter gives the same matches.
    (void)pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
  }

  // The pattern that matches `literal` exactly (ASCII punctuation escaped; everything else,
  // multi-byte characters included, stands for itself in PCRE2).
  static std::string quote(std::string_view literal) {
    std::string out;
    out.reserve(literal.size() * 2);
    for (const char c : literal) {
      const auto u = static_cast<unsigned char>(c);
      const bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
      if (u < 0x80 && !alnum) out += '\\';
      out += c;
    }
    return out;
  }

  // Calls f(start, end) for every match in `text` (valid UTF-8), in order, as the onig crate's
  // find_iter yields them. Throws text_error if PCRE2 gives up (match or depth limit).
  template <class F>
  void for_each_match(std::string_view text, F&& f) const {
    const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data{
        pcre2_match_data_create_from_pattern(code_.get(), nullptr), pcre2_match_data_free};
    if (!data) throw std::bad_alloc();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t search_from = 0;
    bool matched_before = false;
    std::size_t last_match_end = 0;
    while (search_from <= text.size()) {
      // The text was validated once: no UTF check per call (it would make the loop quadratic).
      const int rc = pcre2_match(code_.get(), subject, text.size(), search_from, PCRE2_NO_UTF_CHECK,
                                 data.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) return;
      if (rc < 0) {
        std::string msg = "regular expression matching failed (";
        msg += message(rc);
        msg += ')';
        throw text_error(msg);
      }
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
      const std::size_t start = ovector[0], end = ovector[1];
      if (start == end && matched_before && last_match_end == end) {
        search_from += search_from < text.size()
                           ? utf8_length(static_cast<unsigned char>(text[search_from]))
                           : 1;
        continue;
      }
      search_from = end;
      matched_before = true;
      last_match_end = end;
      f(start, end);
    }
  }

  // True when the pattern matches at exactly `offset` (an anchored match).
  bool matches_at(std::string_view text, std::size_t offset) const {
    const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data{
        pcre2_match_data_create_from_pattern(code_.get(), nullptr), pcre2_match_data_free};
    if (!data) throw std::bad_alloc();
    return pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), offset,
                       PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, data.get(), nullptr) >= 0;
  }

 private:
  static std::string message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "PCRE2 error";
    return reinterpret_cast<const char*>(buffer);
  }

  std::shared_ptr<pcre2_code> code_;
};

}  // namespace anda::text
