// A model and a token stream for `anda search`: the weights are loaded and quantized once, then
// any activation tuple (or FP16 activations, std::nullopt) is evaluated on the same windows.
#pragma once

#include <anda/model/llama.hpp>
#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>
#include <anda/model/tokens.hpp>
#include <anda/text/tokenizer.hpp>
#include <anda/text/tokenizer_config.hpp>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "text_input.hpp"

namespace anda::tools {

// The token ids of a text file for the model in `model_dir` (the convention of `anda eval
// --text`, README): the whole file tokenized once by the folder's tokenizer.json, with the
// BOS / EOS its tokenizer_config.json (or post-processor template) asks for around it.
inline std::vector<std::int32_t> tokenize_text_file(const std::string& model_dir,
                                                    const std::string& text_file) {
  auto tok = text::tokenizer::load(model_dir);
  const text::text_framing framing = text::read_text_framing(model_dir, tok);
  return framing.around(tok.encode(read_text_input(text_file), text_file));
}

// Token ids and the file they came from (an .i32 file, or a text file tokenized for the model).
struct token_stream {
  std::vector<std::int32_t> ids;
  std::string name;
};

// The ids of an .i32 file, or of a text file tokenized for `model_dir` when `text_file` is given.
inline token_stream read_token_stream(const std::string& model_dir, const std::string& tokens_file,
                                      const std::string& text_file) {
  if (!text_file.empty()) return {tokenize_text_file(model_dir, text_file), text_file};
  return {model::read_tokens(tokens_file), tokens_file};
}

class perplexity_source {
 public:
  perplexity_source(const std::string& model_dir, token_stream tokens, int windows, int window_len,
                    int group, const std::string& rounding_name, const std::string& weights,
                    int threads)
      : tokens_{std::move(tokens.ids)}, group_{group}, name_{std::move(tokens.name)} {
    const auto precision = model::parse_weight_precision(weights);
    const auto round = parse_rounding(rounding_name);
    if (!precision) throw std::invalid_argument("--weights " + weights + " is not known");
    if (!round) throw std::invalid_argument("--rounding " + rounding_name + " is not known");
    round_ = *round;
    model_ = std::make_shared<model::llama_model>(
        model::load_model(model_dir, *precision, 128, std::max(threads, 1)));
    options_.windows = std::size_t(windows);
    options_.window_len = std::size_t(window_len);
    options_.threads = threads;
    check_length();
    if (isatty(STDERR_FILENO))
      options_.progress = [](std::size_t done, std::size_t total) {
        std::fprintf(stderr, "\r  window %zu/%zu", done, total);
        if (done == total) std::fprintf(stderr, "\r%*s\r", 30, "");
      };
  }

  // Perplexity with Anda activations `m` at [A_qkv, A_o, A_u, A_d], or FP16 activations.
  double perplexity(const std::optional<std::array<int, 4>>& m) const {
    const auto act = m ? model::activation_precision::anda(*m, group_, round_)
                       : model::activation_precision::fp16();
    return model::evaluate_perplexity(*model_, tokens_, act, options_).perplexity;
  }

  // Shares the loaded model with another token stream (no second load or quantization).
  perplexity_source with_tokens(token_stream tokens, int windows) const {
    perplexity_source other = *this;
    other.tokens_ = std::move(tokens.ids);
    other.options_.windows = std::size_t(windows);
    other.name_ = std::move(tokens.name);
    other.check_length();
    return other;
  }

 private:
  // Fails before any evaluation (not after a long search) when the stream is too short.
  void check_length() const {
    const std::size_t need = options_.windows * options_.window_len;
    if (tokens_.size() < need)
      throw std::invalid_argument(name_ + ": " + std::to_string(options_.windows) + " windows of " +
                                  std::to_string(options_.window_len) + " tokens need " +
                                  std::to_string(need) + " tokens, the file has " +
                                  std::to_string(tokens_.size()));
  }

  std::vector<std::int32_t> tokens_;
  int group_;
  rounding round_ = rounding::truncate;
  std::string name_;
  std::shared_ptr<const model::llama_model> model_;
  model::perplexity_options options_;
};

}  // namespace anda::tools
