// Which special tokens frame a whole text for a model: BOS before it, EOS after it, "as the
// tokenizer's config says". tokenizer_config.json's add_bos_token / add_eos_token decide where
// present (with its bos_token / eos_token, a string or {"content": ...}); otherwise the
// post-processor's template in tokenizer.json does (a TemplateProcessing "single" template:
// the special tokens before $A and after it); otherwise nothing is added.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "anda/io/read_file.hpp"
#include "anda/text/json_field.hpp"
#include "anda/text/tokenizer.hpp"

namespace anda::text {

namespace detail {

// The id of tokenizer_config.json's `key` ("bos_token"), a string or {"content": "..."}.
inline std::int32_t config_token_id(const json_field& config, const char* key,
                                    const tokenizer& tok) {
  const json_field field = config[key];
  const std::string content = field.json().is_object() ? field["content"].string() : field.string();
  const auto id = tok.token_id(content);
  if (!id) {
    std::string what = "\"";
    what += escaped(content);
    what += "\" is not a token of tokenizer.json";
    field.fail(what);
  }
  return *id;
}

}  // namespace detail

// The framing for the model folder `dir` (its tokenizer_config.json, if any) and its tokenizer.
inline text_framing read_text_framing(const std::filesystem::path& dir, const tokenizer& tok) {
  text_framing framing = tok.template_framing();
  const std::filesystem::path path = dir / "tokenizer_config.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return framing;
  const std::string text = io::read_file(path, std::uintmax_t{1} << 26, "a tokenizer_config.json");
  const nlohmann::json j = parse_tokenizer_json(text, path.string());
  const json_field config{j, path.string(), ""};
  config.object();
  if (config.has("add_bos_token")) {
    framing.prefix.clear();
    if (config["add_bos_token"].boolean())
      framing.prefix.push_back(detail::config_token_id(config, "bos_token", tok));
  }
  if (config.has("add_eos_token")) {
    framing.suffix.clear();
    if (config["add_eos_token"].boolean())
      framing.suffix.push_back(detail::config_token_id(config, "eos_token", tok));
  }
  return framing;
}

}  // namespace anda::text
