// A Hugging Face tokenizer.json, read and run in C++: the subset LLM checkpoints use, with the ids
// the `tokenizers` library gives for encode(text, add_special_tokens=False).
//
//   auto tok = anda::text::tokenizer::load("path/to/model");   // folder or tokenizer.json
//   std::vector<std::int32_t> ids = tok.encode(text);          // throws on invalid UTF-8
//
// The pipeline: added tokens are found in the raw text (added_tokens.hpp); each segment between
// them is normalized (normalizer.hpp), searched for normalized added tokens, pre-tokenized
// (pre_tokenizer.hpp) and each piece encoded by the BPE model (bpe.hpp). The post-processor is
// not applied (BOS/EOS are the caller's choice: tokenizer_config.hpp), nor are truncation and
// padding (a perplexity run wants every token). Unsupported components are refused by name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anda/io/read_file.hpp"
#include "anda/text/added_tokens.hpp"
#include "anda/text/bpe.hpp"
#include "anda/text/error.hpp"
#include "anda/text/json_field.hpp"
#include "anda/text/normalizer.hpp"
#include "anda/text/pre_tokenizer.hpp"
#include "anda/text/utf8.hpp"

namespace anda::text {

// The largest tokenizer.json read (the largest real ones are about 20 MB).
inline constexpr std::uintmax_t max_tokenizer_json_bytes = std::uintmax_t{1} << 30;

// Special-token ids around a whole text: BOS before its own ids, EOS after them.
struct text_framing {
  std::vector<std::int32_t> prefix, suffix;

  std::vector<std::int32_t> around(const std::vector<std::int32_t>& ids) const {
    std::vector<std::int32_t> out;
    out.reserve(prefix.size() + ids.size() + suffix.size());
    out.insert(out.end(), prefix.begin(), prefix.end());
    out.insert(out.end(), ids.begin(), ids.end());
    out.insert(out.end(), suffix.begin(), suffix.end());
    return out;
  }
};

class tokenizer {
 public:
  // Reads the text of a tokenizer.json; `file` names it in errors.
  static tokenizer from_json(std::string_view json_text, const std::string& file) {
    const nlohmann::json j = parse_tokenizer_json(json_text, file);
    const json_field top{j, file, ""};
    top.object();
    tokenizer t;
    const json_field model = top["model"];
    const std::string type = model.type();
    if (type != "BPE") model.unsupported(type, "BPE");
    t.model_ = bpe_model::read(model);
    if (top.has("normalizer")) t.normalizer_ = normalizer::read(top["normalizer"]);
    if (top.has("pre_tokenizer")) t.pre_tokenizer_ = pre_tokenizer::read(top["pre_tokenizer"]);

    std::vector<std::pair<added_token, std::string>> raw, normalized;
    if (top.has("added_tokens")) {
      const json_field list = top["added_tokens"];
      for (std::size_t i = 0; i < list.array().size(); ++i) {
        added_token token = added_token::read(list.element(i));
        t.max_id_ = std::max(t.max_id_, token.id);
        t.added_.emplace_back(token.content, token.id);
        if (token.normalized) {
          std::string content = t.normalizer_(token.content);
          normalized.emplace_back(std::move(token), std::move(content));
        } else {
          std::string content = token.content;
          raw.emplace_back(std::move(token), std::move(content));
        }
      }
    }
    t.raw_added_ = added_token_matcher{std::move(raw)};
    t.normalized_added_ = added_token_matcher{std::move(normalized)};
    t.max_id_ = std::max(t.max_id_, t.model_.max_id());
    if (top.has("post_processor")) t.read_template(top["post_processor"]);
    return t;
  }

  // Reads `path`: a tokenizer.json, or a model folder holding one.
  static tokenizer load(const std::filesystem::path& path) {
    std::filesystem::path file = path;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) file /= "tokenizer.json";
    const std::string text = io::read_file(file, max_tokenizer_json_bytes, "a tokenizer.json");
    return from_json(text, file.string());
  }

  // The ids of `text`; invalid UTF-8 is a text_error naming `what` and the byte offset.
  std::vector<std::int32_t> encode(std::string_view text, const std::string& what = "the text") {
    check_utf8(text, what);
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3);
    for (const segment& s : raw_added_.split(text)) {
      if (s.id) {
        ids.push_back(*s.id);
        continue;
      }
      const std::string normalized =
          normalizer_(std::string(text.substr(s.start, s.end - s.start)));
      for (const segment& n : normalized_added_.split(normalized)) {
        if (n.id) {
          ids.push_back(*n.id);
          continue;
        }
        std::vector<piece> pieces;
        pieces.push_back(
            {normalized.substr(n.start, n.end - n.start), s.start == 0 && n.start == 0});
        for (const piece& p : pre_tokenizer_(std::move(pieces))) model_.encode(p.text, ids);
      }
    }
    return ids;
  }

  // The id of a token's text: an added token first, then the model's vocabulary.
  std::optional<std::int32_t> token_id(std::string_view content) const {
    for (const auto& [text, id] : added_)
      if (text == content) return id;
    return model_.find(content);
  }

  // The special tokens the post-processor's template puts around a single text (BOS before,
  // EOS after), for tokenizer_config.hpp; empty unless it is a TemplateProcessing.
  const text_framing& template_framing() const { return template_; }

  // One more than the largest id this tokenizer can give.
  std::int64_t id_limit() const { return std::int64_t{max_id_} + 1; }

 private:
  tokenizer() = default;

  // TemplateProcessing's "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}]
  // with the ids of "<s>" in "special_tokens"; a "Sequence" of processors is searched for one.
  void read_template(const json_field& processor) {
    const std::string type = processor.type();
    if (type == "Sequence") {
      const json_field list = processor["processors"];
      for (std::size_t i = 0; i < list.array().size(); ++i) read_template(list.element(i));
      return;
    }
    if (type != "TemplateProcessing") return;
    const json_field single = processor["single"];
    const json_field specials = processor["special_tokens"];
    bool after_text = false;
    for (std::size_t i = 0; i < single.array().size(); ++i) {
      const json_field item = single.element(i);
      if (item.has("Sequence")) {
        after_text = true;
        continue;
      }
      const std::string name = item["SpecialToken"]["id"].string();
      if (!specials.object().contains(name)) {
        std::string what = "\"";
        what += escaped(name);
        what += "\" is not in special_tokens";
        item.fail(what);
      }
      const json_field ids = specials.child(specials.json()[name], name)["ids"];
      auto& side = after_text ? template_.suffix : template_.prefix;
      for (std::size_t k = 0; k < ids.array().size(); ++k) side.push_back(ids.element(k).id());
    }
  }

  bpe_model model_;
  normalizer normalizer_;
  pre_tokenizer pre_tokenizer_;
  added_token_matcher raw_added_, normalized_added_;
  std::vector<std::pair<std::string, std::int32_t>> added_;
  std::int32_t max_id_ = -1;
  text_framing template_;
};

}  // namespace anda::text
