// The normalizers of tokenizer.json that LLM checkpoints use: "NFC", "NFD", "NFKC", "NFKD"
// (Unicode normalization by utf8proc), "Prepend" (a prefix on non-empty text), "Replace" (every
// match of a String or Regex pattern, e.g. " " -> "▁") and "Sequence" of those. Anything else is
// refused by name. Each segment of text between added tokens is normalized on its own, as the
// `tokenizers` library does.
#pragma once

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anda/text/error.hpp"
#include "anda/text/json_field.hpp"
#include "anda/text/pattern.hpp"
#include "anda/text/regex.hpp"

namespace anda::text {

class normalizer {
 public:
  // No normalization (tokenizer.json "normalizer": null).
  normalizer() = default;

  // Reads a normalizer object (a Sequence is flattened into its steps).
  static normalizer read(const json_field& field) {
    normalizer n;
    n.append(field);
    return n;
  }

  bool empty() const { return steps_.empty(); }

  std::string operator()(std::string text) const {
    for (const step& s : steps_) text = s.apply(std::move(text));
    return text;
  }

 private:
  enum class kind { unicode, prepend, replace };
  struct step {
    kind what = kind::unicode;
    int utf8proc_options = 0;      // unicode: which normalization form
    std::string content;           // prepend: the prefix; replace: the replacement
    std::optional<regex> pattern;  // replace: what is replaced

    std::string apply(std::string text) const {
      switch (what) {
        case kind::unicode:
          return normalize_unicode(std::move(text), utf8proc_options);
        case kind::prepend:
          // `tokenizers` prepends to non-empty text only.
          if (!text.empty()) text.insert(0, content);
          return text;
        case kind::replace: {
          std::string out;
          out.reserve(text.size());
          std::size_t copied = 0;
          pattern->for_each_match(text, [&](std::size_t start, std::size_t end) {
            out.append(text, copied, start - copied);
            out += content;
            copied = end;
          });
          out.append(text, copied, std::string::npos);
          return out;
        }
      }
      return text;
    }
  };

  static std::string normalize_unicode(std::string text, int options) {
    // ASCII is unchanged by every normalization form.
    bool ascii = true;
    for (const char c : text) ascii &= static_cast<unsigned char>(c) < 0x80;
    if (ascii) return text;
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                     utf8proc_ssize_t(text.size()), &out, utf8proc_option_t(options));
    if (n < 0) {
      std::string msg = "Unicode normalization failed (";
      msg += utf8proc_errmsg(n);
      msg += ')';
      throw text_error(msg);
    }
    std::string result(reinterpret_cast<const char*>(out), std::size_t(n));
    std::free(out);
    return result;
  }

  void append(const json_field& field) {
    const std::string type = field.type();
    step s;
    if (type == "Sequence") {
      const json_field list = field["normalizers"];
      for (std::size_t i = 0; i < list.array().size(); ++i) append(list.element(i));
      return;
    }
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
      s.what = kind::unicode;
      s.utf8proc_options = UTF8PROC_STABLE | (type.size() == 4 ? UTF8PROC_COMPAT : 0) |
                           (type.back() == 'C' ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE);
    } else if (type == "Prepend") {
      s.what = kind::prepend;
      s.content = field["prepend"].string();
    } else if (type == "Replace") {
      s.what = kind::replace;
      s.pattern.emplace(read_pattern(field["pattern"]));
      s.content = field["content"].string();
    } else {
      field.unsupported(type, "NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence");
    }
    steps_.push_back(std::move(s));
  }

  std::vector<step> steps_;
};

}  // namespace anda::text
