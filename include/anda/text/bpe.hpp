// The "BPE" model of tokenizer.json: a vocabulary, ranked merges (written "a b" or ["a", "b"]),
// and the options LLM checkpoints set: unk_token, fuse_unk, byte_fallback (<0xNN> pieces for
// characters outside the vocabulary), ignore_merges, continuing_subword_prefix,
// end_of_word_suffix. A piece is split into characters, then the lowest-ranked adjacent pair is
// merged (the leftmost of equal ranks) until no pair is a merge: `tokenizers`' Word::merge_all.
// Results are cached per piece (the same words recur throughout a text).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "anda/text/json_field.hpp"
#include "anda/text/utf8.hpp"

namespace anda::text {

class bpe_model {
 public:
  static bpe_model read(const json_field& model) {
    bpe_model m;
    if (model.has("dropout")) {
      const auto& d = model["dropout"].json();
      if (!d.is_number() || d.get<double>() != 0.0)
        model["dropout"].fail("BPE dropout is random: only null or 0 is supported");
    }
    const json_field vocab = model["vocab"];
    for (const auto& [token, id] : vocab.object().items())
      m.add_token(token, vocab.child(id, token).id());
    if (model.has("unk_token")) m.unk_token_ = model["unk_token"].string();
    if (model.has("continuing_subword_prefix"))
      m.subword_prefix_ = model["continuing_subword_prefix"].string();
    if (model.has("end_of_word_suffix")) m.word_suffix_ = model["end_of_word_suffix"].string();
    m.fuse_unk_ = model.boolean("fuse_unk", false);
    m.byte_fallback_ = model.boolean("byte_fallback", false);
    m.ignore_merges_ = model.boolean("ignore_merges", false);

    const json_field merges = model["merges"];
    const std::size_t count = merges.array().size();
    if (count >= std::size_t(std::numeric_limits<std::uint32_t>::max()))
      merges.fail("holds too many merges");
    for (std::size_t rank = 0; rank < count; ++rank) {
      const json_field merge = merges.element(rank);
      std::string left, right;
      if (merge.json().is_string()) {
        const std::string line = merge.string();
        const std::size_t space = line.find(' ');
        if (space == std::string::npos) merge.fail("is not two tokens separated by a space");
        left = line.substr(0, space);
        right = line.substr(space + 1);
      } else if (merge.json().is_array() && merge.json().size() == 2) {
        left = merge.element(0).string();
        right = merge.element(1).string();
      } else {
        merge.fail("is neither \"a b\" nor [\"a\", \"b\"]");
      }
      const std::int32_t a = m.merge_token(merge, left);
      const std::int32_t b = m.merge_token(merge, right);
      // The merged token drops b's continuing-subword prefix, as `tokenizers` does.
      std::string merged = left;
      merged.append(right, right.compare(0, m.subword_prefix_.size(), m.subword_prefix_) == 0
                               ? m.subword_prefix_.size()
                               : 0);
      const std::int32_t c = m.merge_token(merge, merged);
      // A pair listed twice keeps its last rank (a map insertion, as in `tokenizers`).
      m.merges_[pair_key(a, b)] = {std::uint32_t(rank), c};
    }
    return m;
  }

  // The id of `token` in the vocabulary.
  std::optional<std::int32_t> find(std::string_view token) const {
    const auto it = vocab_.find(token);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
  }
  // The largest id of the vocabulary (-1 when it is empty).
  std::int32_t max_id() const { return max_id_; }

  // Appends the ids of one pre-tokenized piece to `ids`.
  // Not thread-safe: it fills the model's cache of encoded pieces.
  void encode(std::string_view piece, std::vector<std::int32_t>& ids) {
    if (piece.empty()) return;
    if (ignore_merges_)
      if (const auto id = find(piece)) {
        ids.push_back(*id);
        return;
      }
    if (const auto hit = cache_.find(piece); hit != cache_.end()) {
      ids.insert(ids.end(), hit->second.begin(), hit->second.end());
      return;
    }
    std::vector<std::int32_t> word = merge_word(piece);
    ids.insert(ids.end(), word.begin(), word.end());
    if (cache_.size() < max_cached_words) cache_.emplace(piece, std::move(word));
  }

 private:
  static constexpr std::size_t max_cached_words = 1 << 17;

  struct merge_result {
    std::uint32_t rank;
    std::int32_t id;
  };
  struct symbol {
    std::int32_t id;
    std::int32_t prev, next;  // neighbours in the word, -1 at the ends
    bool removed;
  };
  struct candidate {
    std::uint32_t rank;
    std::int32_t position;
    std::int32_t id;
    // std::priority_queue pops the largest: "larger" is the lower rank, then the leftmost.
    bool operator<(const candidate& o) const {
      return rank != o.rank ? rank > o.rank : position > o.position;
    }
  };

  static std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
    return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b);
  }

  void add_token(const std::string& token, std::int32_t id) {
    vocab_[token] = id;
    max_id_ = std::max(max_id_, id);
  }

  std::int32_t merge_token(const json_field& merge, const std::string& token) const {
    if (const auto id = find(token)) return *id;
    std::string what = "token \"";
    what += escaped(token);
    what += "\" is not in model.vocab";
    merge.fail(what);
  }

  const merge_result* find_merge(std::int32_t a, std::int32_t b) const {
    const auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  }

  std::int32_t unk_id() const {
    const auto id = find(*unk_token_);
    if (!id) {
      std::string msg = "tokenizer.json: model.unk_token \"";
      msg += escaped(*unk_token_);
      msg += "\" is not in model.vocab";
      throw tokenizer_error(msg);
    }
    return *id;
  }

  // BPE::merge_word of `tokenizers`: characters (or <0xNN> bytes, or unk), then merge_all.
  std::vector<std::int32_t> merge_word(std::string_view w) const {
    std::vector<symbol> symbols;
    symbols.reserve(w.size());
    const auto add = [&](std::int32_t id) {
      const auto n = std::int32_t(symbols.size());
      symbols.push_back({id, n - 1, -1, false});
      if (n > 0) symbols[std::size_t(n - 1)].next = n;
    };
    std::int32_t pending_unk = -1;  // an unk not added yet (-1: none)
    std::string with_affixes;
    for (std::size_t at = 0; at < w.size();) {
      const std::size_t length = utf8_length(static_cast<unsigned char>(w[at]));
      std::string_view character = w.substr(at, length);
      const bool first = at == 0, last = at + length >= w.size();
      at += length;
      if ((!first && !subword_prefix_.empty()) || (last && !word_suffix_.empty())) {
        with_affixes.clear();
        if (!first) with_affixes += subword_prefix_;
        with_affixes += character;
        if (last) with_affixes += word_suffix_;
        character = with_affixes;
      }
      if (const auto id = find(character)) {
        if (pending_unk >= 0) add(pending_unk);
        pending_unk = -1;
        add(*id);
        continue;
      }
      if (byte_fallback_ && add_byte_pieces(character, add)) continue;
      if (unk_token_) {
        // fuse_unk: consecutive unknown characters become one unk.
        if (pending_unk >= 0 && !fuse_unk_) add(pending_unk);
        pending_unk = unk_id();
      }
    }
    if (pending_unk >= 0) add(pending_unk);
    merge_all(symbols);
    std::vector<std::int32_t> ids;
    ids.reserve(symbols.size());
    for (const symbol& s : symbols)
      if (!s.removed) ids.push_back(s.id);
    return ids;
  }

  // The <0xNN> pieces of every byte of `character`, if all of them are in the vocabulary.
  template <class Add>
  bool add_byte_pieces(std::string_view character, const Add& add) const {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::int32_t pieces[8];
    std::size_t n = 0;
    for (const char c : character) {
      const auto b = static_cast<unsigned char>(c);
      const char name[] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
      const auto id = find(std::string_view(name, sizeof name));
      if (!id || n == 8) return false;
      pieces[n++] = *id;
    }
    for (std::size_t i = 0; i < n; ++i) add(pieces[i]);
    return true;
  }

  void merge_all(std::vector<symbol>& symbols) const {
    std::priority_queue<candidate> queue;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
      if (const merge_result* m = find_merge(symbols[i].id, symbols[i + 1].id))
        queue.push({m->rank, std::int32_t(i), m->id});
    while (!queue.empty()) {
      const candidate top = queue.top();
      queue.pop();
      symbol& left = symbols[std::size_t(top.position)];
      if (left.removed || left.next < 0) continue;
      const std::int32_t right_position = left.next;
      symbol& right = symbols[std::size_t(right_position)];
      // A stale entry: one side was merged since it was queued.
      const merge_result* now = find_merge(left.id, right.id);
      if (now == nullptr || now->id != top.id) continue;
      left.id = top.id;
      left.next = right.next;
      right.removed = true;
      if (right.next >= 0) symbols[std::size_t(right.next)].prev = top.position;
      if (left.prev >= 0)
        if (const merge_result* m = find_merge(symbols[std::size_t(left.prev)].id, left.id))
          queue.push({m->rank, left.prev, m->id});
      if (left.next >= 0)
        if (const merge_result* m = find_merge(left.id, symbols[std::size_t(left.next)].id))
          queue.push({m->rank, top.position, m->id});
    }
  }

  // Looked up by string_view (no allocation per lookup): a transparent hash and equality.
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Owning keys, so that a copied model is self-contained.
  std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>> vocab_;
  std::unordered_map<std::uint64_t, merge_result> merges_;
  std::optional<std::string> unk_token_;
  std::string subword_prefix_, word_suffix_;
  std::int32_t max_id_ = -1;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::unordered_map<std::string, std::vector<std::int32_t>, string_hash, std::equal_to<>> cache_;
};

}  // namespace anda::text
