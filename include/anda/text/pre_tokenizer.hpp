// The pre-tokenizers of tokenizer.json that LLM checkpoints use: "ByteLevel" (GPT-2's split
// regex unless use_regex is false, add_prefix_space, then every byte to its character),
// "Split" (a String or Regex pattern, behavior Removed / Isolated / MergedWithPrevious /
// MergedWithNext / Contiguous, invert), "Metaspace" (spaces to "▁", prepend_scheme always /
// first / never or the older add_prefix_space, split before each "▁"), "Digits" (ASCII digits,
// each alone or in runs) and "Sequence" of those; anything else is refused by name. The splitting
// rules follow `tokenizers`' NormalizedString::split, and empty pieces are dropped as it drops
// them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anda/text/byte_level.hpp"
#include "anda/text/json_field.hpp"
#include "anda/text/pattern.hpp"
#include "anda/text/regex.hpp"
#include "anda/text/utf8.hpp"

namespace anda::text {

// A piece of text on its way to the model; `at_text_start` is true for the piece that begins at
// byte 0 of the input (Metaspace's prepend_scheme "first" prepends to that piece only).
struct piece {
  std::string text;
  bool at_text_start = false;
};

// GPT-2's split pattern, the one ByteLevel uses when use_regex is true.
inline constexpr std::string_view gpt2_split_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class split_behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

namespace detail {

// A run of a piece: [start, end) and whether the pattern matched it.
struct run {
  std::size_t start, end;
  bool matched;
};

// The runs of `text` cut by `pattern`'s matches, as `tokenizers` lists them for a regex.
inline std::vector<run> regex_runs(const regex& pattern, std::string_view text) {
  std::vector<run> runs;
  std::size_t previous = 0;
  pattern.for_each_match(text, [&](std::size_t start, std::size_t end) {
    if (previous != start) runs.push_back({previous, start, false});
    runs.push_back({start, end, true});
    previous = end;
  });
  if (previous != text.size()) runs.push_back({previous, text.size(), false});
  return runs;
}

// The runs of `text` where each character for which `is_match` holds is a match of its own.
template <class Predicate>
std::vector<run> character_runs(std::string_view text, Predicate is_match) {
  std::vector<run> runs;
  std::size_t previous = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_length(static_cast<unsigned char>(text[at]));
    if (is_match(text.substr(at, length))) {
      if (previous < at) runs.push_back({previous, at, false});
      runs.push_back({at, at + length, true});
      previous = at + length;
    }
    at += length;
  }
  if (previous < text.size()) runs.push_back({previous, text.size(), false});
  return runs;
}

// Cuts `p` along `runs` as `behavior` says and appends the non-empty parts to `out`.
inline void split_into(const piece& p, std::vector<run> runs, split_behavior behavior, bool invert,
                       std::vector<piece>& out) {
  if (invert)
    for (run& r : runs) r.matched = !r.matched;
  // (start, end, removed) of each part, in order.
  std::vector<run> parts;
  parts.reserve(runs.size());
  bool previous_matched = false;
  switch (behavior) {
    case split_behavior::removed:
      parts = runs;
      break;
    case split_behavior::isolated:
      for (const run& r : runs) parts.push_back({r.start, r.end, false});
      break;
    case split_behavior::contiguous:
      for (const run& r : runs) {
        if (r.matched == previous_matched && !parts.empty())
          parts.back().end = r.end;
        else
          parts.push_back({r.start, r.end, false});
        previous_matched = r.matched;
      }
      break;
    case split_behavior::merged_with_previous:
      for (const run& r : runs) {
        if (r.matched && !previous_matched && !parts.empty())
          parts.back().end = r.end;
        else
          parts.push_back({r.start, r.end, false});
        previous_matched = r.matched;
      }
      break;
    case split_behavior::merged_with_next:
      for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
        if (r->matched && !previous_matched && !parts.empty())
          parts.back().start = r->start;
        else
          parts.push_back({r->start, r->end, false});
        previous_matched = r->matched;
      }
      std::reverse(parts.begin(), parts.end());
      break;
  }
  for (const run& part : parts)
    if (!part.matched && part.end > part.start)
      out.push_back(
          {p.text.substr(part.start, part.end - part.start), p.at_text_start && part.start == 0});
}

inline split_behavior read_behavior(const json_field& field) {
  const std::string name = field.string();
  if (name == "Removed") return split_behavior::removed;
  if (name == "Isolated") return split_behavior::isolated;
  if (name == "MergedWithPrevious") return split_behavior::merged_with_previous;
  if (name == "MergedWithNext") return split_behavior::merged_with_next;
  if (name == "Contiguous") return split_behavior::contiguous;
  std::string what = "\"";
  what += escaped(name);
  what +=
      "\" is not a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, "
      "Contiguous)";
  field.fail(what);
}

}  // namespace detail

class pre_tokenizer {
 public:
  // No pre-tokenization (tokenizer.json "pre_tokenizer": null): each segment is one piece.
  pre_tokenizer() = default;

  // Reads a pre-tokenizer object (a Sequence is flattened into its steps).
  static pre_tokenizer read(const json_field& field) {
    pre_tokenizer p;
    p.append(field);
    return p;
  }

  // Splits (and transforms) the pieces, step by step.
  std::vector<piece> operator()(std::vector<piece> pieces) const {
    std::vector<piece> next;
    for (const step& s : steps_) {
      next.clear();
      next.reserve(pieces.size());
      for (piece& p : pieces) s.apply(std::move(p), next);
      pieces.swap(next);
    }
    return pieces;
  }

 private:
  enum class kind { byte_level, split, metaspace, digits };
  enum class prepend_scheme { always, first, never };
  struct step {
    kind what = kind::split;
    std::optional<regex> pattern;  // byte_level with its regex, split
    split_behavior behavior = split_behavior::isolated;
    bool invert = false;
    bool add_prefix_space = false;  // byte_level
    std::string replacement;        // metaspace: the character that stands for a space
    prepend_scheme prepend = prepend_scheme::always;
    bool metaspace_split = true;
    bool individual_digits = false;

    void apply(piece p, std::vector<piece>& out) const {
      switch (what) {
        case kind::byte_level: {
          if (add_prefix_space && !p.text.empty() && p.text[0] != ' ') p.text.insert(0, 1, ' ');
          const std::size_t first = out.size();
          if (pattern)
            detail::split_into(p, detail::regex_runs(*pattern, p.text), split_behavior::isolated,
                               false, out);
          else if (!p.text.empty())
            out.push_back(std::move(p));
          for (std::size_t i = first; i < out.size(); ++i) out[i].text = to_byte_level(out[i].text);
          return;
        }
        case kind::split:
          detail::split_into(p, detail::regex_runs(*pattern, p.text), behavior, invert, out);
          return;
        case kind::metaspace: {
          std::string replaced;
          replaced.reserve(p.text.size() + replacement.size());
          for (const char c : p.text) {
            if (c == ' ')
              replaced += replacement;
            else
              replaced += c;
          }
          const bool starts_with_replacement =
              replaced.compare(0, replacement.size(), replacement) == 0;
          const bool wanted = prepend == prepend_scheme::always ||
                              (prepend == prepend_scheme::first && p.at_text_start);
          if (wanted && !replaced.empty() && !starts_with_replacement)
            replaced.insert(0, replacement);
          p.text = std::move(replaced);
          if (!metaspace_split) {
            if (!p.text.empty()) out.push_back(std::move(p));
            return;
          }
          const auto runs = detail::character_runs(
              p.text, [this](std::string_view c) { return c == replacement; });
          detail::split_into(p, runs, split_behavior::merged_with_next, false, out);
          return;
        }
        case kind::digits: {
          const auto runs = detail::character_runs(p.text, [](std::string_view c) {
            return c.size() == 1 && c[0] >= '0' && c[0] <= '9';
          });
          detail::split_into(
              p, runs, individual_digits ? split_behavior::isolated : split_behavior::contiguous,
              false, out);
          return;
        }
      }
    }
  };

  void append(const json_field& field) {
    const std::string type = field.type();
    step s;
    if (type == "Sequence") {
      const json_field list = field["pretokenizers"];
      for (std::size_t i = 0; i < list.array().size(); ++i) append(list.element(i));
      return;
    }
    if (type == "ByteLevel") {
      s.what = kind::byte_level;
      s.add_prefix_space = field.boolean("add_prefix_space", true);
      if (field.boolean("use_regex", true)) s.pattern.emplace(gpt2_split_pattern, field.where());
    } else if (type == "Split") {
      s.what = kind::split;
      s.pattern.emplace(read_pattern(field["pattern"]));
      s.behavior = detail::read_behavior(field["behavior"]);
      s.invert = field.boolean("invert", false);
    } else if (type == "Metaspace") {
      s.what = kind::metaspace;
      s.replacement = field["replacement"].string();
      if (s.replacement.empty() ||
          utf8_length(static_cast<unsigned char>(s.replacement[0])) != s.replacement.size())
        field["replacement"].fail("is not a single character");
      if (field.has("prepend_scheme")) {
        const std::string scheme = field["prepend_scheme"].string();
        if (scheme == "always")
          s.prepend = prepend_scheme::always;
        else if (scheme == "first")
          s.prepend = prepend_scheme::first;
        else if (scheme == "never")
          s.prepend = prepend_scheme::never;
        else
          field["prepend_scheme"].fail("is not always, first or never");
      } else {
        // Files written before prepend_scheme existed say add_prefix_space.
        s.prepend = field.boolean("add_prefix_space", true) ? prepend_scheme::always
                                                            : prepend_scheme::never;
      }
      s.metaspace_split = field.boolean("split", true);
    } else if (type == "Digits") {
      s.what = kind::digits;
      s.individual_digits = field.boolean("individual_digits", false);
    } else {
      field.unsupported(type, "ByteLevel, Split, Metaspace, Digits, Sequence");
    }
    steps_.push_back(std::move(s));
  }

  std::vector<step> steps_;
};

}  // namespace anda::text
