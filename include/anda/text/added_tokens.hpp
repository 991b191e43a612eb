// Added tokens (tokenizer.json "added_tokens": the special <s>, </s>, <|begin_of_text|>, ...):
// found in the text before the model runs, leftmost-longest, and given their id directly, as the
// `tokenizers` library's AddedVocabulary does. Tokens with "normalized": false are found in the
// raw text, those with "normalized": true in each normalized segment (their content normalized
// too). "lstrip"/"rstrip" take the whitespace beside a match into it; "single_word" skips a match
// that touches a letter or digit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "anda/text/json_field.hpp"
#include "anda/text/regex.hpp"
#include "anda/text/utf8.hpp"

namespace anda::text {

struct added_token {
  std::int32_t id = 0;
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = false, special = false;

  static added_token read(const json_field& field) {
    added_token t;
    t.id = field["id"].id();
    t.content = field["content"].string();
    t.single_word = field.boolean("single_word", false);
    t.lstrip = field.boolean("lstrip", false);
    t.rstrip = field.boolean("rstrip", false);
    t.normalized = field.boolean("normalized", true);
    t.special = field.boolean("special", false);
    return t;
  }
};

// A part of a text: an added token (its id) or text for the model, bytes [start, end).
struct segment {
  std::optional<std::int32_t> id;
  std::size_t start, end;
};

// Finds one set of added tokens (the normalized or the not-normalized ones) in a text.
class added_token_matcher {
 public:
  added_token_matcher() = default;

  // `tokens` with the content each is matched by (the normalized content for normalized ones).
  explicit added_token_matcher(std::vector<std::pair<added_token, std::string>> tokens) {
    tokens.erase(std::remove_if(tokens.begin(), tokens.end(),
                                [](const auto& t) { return t.second.empty(); }),
                 tokens.end());
    if (tokens.empty()) return;
    // Longest first: PCRE2 takes the first alternative that matches at the leftmost position,
    // which is then the longest, as aho-corasick's leftmost-longest.
    std::stable_sort(tokens.begin(), tokens.end(), [](const auto& a, const auto& b) {
      return a.second.size() > b.second.size();
    });
    std::string alternatives;
    for (const auto& [token, content] : tokens) {
      if (by_content_.count(content)) continue;
      if (!alternatives.empty()) alternatives += '|';
      alternatives += regex::quote(content);
      by_content_.emplace(content, token);
    }
    pattern_.emplace(alternatives, "added_tokens");
  }

  bool empty() const { return !pattern_; }

  // The segments of `text` (AddedVocabulary::find_matches of `tokenizers`).
  std::vector<segment> split(std::string_view text) const {
    std::vector<segment> out;
    if (!pattern_) {
      out.push_back({std::nullopt, 0, text.size()});
      return out;
    }
    std::size_t done = 0;
    pattern_->for_each_match(text, [&](std::size_t start, std::size_t stop) {
      const added_token& token = by_content_.at(std::string(text.substr(start, stop - start)));
      if (token.single_word && (touches_word_before(text, start) || touches_word_after(text, stop)))
        return;
      if (token.lstrip) start = std::max(whitespace_run_start(text, start), done);
      if (token.rstrip) stop = whitespace_run_end(text, stop);
      if (done < start) out.push_back({std::nullopt, done, start});
      out.push_back({token.id, start, stop});
      done = stop;
    });
    if (done != text.size()) out.push_back({std::nullopt, done, text.size()});
    return out;
  }

 private:
  // Rust's char::is_whitespace and char::is_alphanumeric, as Unicode properties.
  static const regex& whitespace() {
    static const regex r{R"(\p{White_Space})", "whitespace"};
    return r;
  }
  static const regex& word_character() {
    static const regex r{R"([\p{Alphabetic}\p{N}])", "word character"};
    return r;
  }
  static std::size_t previous_character(std::string_view text, std::size_t at) {
    do --at;
    while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80);
    return at;
  }
  static bool touches_word_before(std::string_view text, std::size_t at) {
    return at > 0 && word_character().matches_at(text, previous_character(text, at));
  }
  static bool touches_word_after(std::string_view text, std::size_t at) {
    return at < text.size() && word_character().matches_at(text, at);
  }
  static std::size_t whitespace_run_start(std::string_view text, std::size_t at) {
    while (at > 0) {
      const std::size_t before = previous_character(text, at);
      if (!whitespace().matches_at(text, before)) break;
      at = before;
    }
    return at;
  }
  static std::size_t whitespace_run_end(std::string_view text, std::size_t at) {
    while (at < text.size() && whitespace().matches_at(text, at))
      at += utf8_length(static_cast<unsigned char>(text[at]));
    return at;
  }

  std::optional<regex> pattern_;
  std::unordered_map<std::string, added_token> by_content_;
};

}  // namespace anda::text
