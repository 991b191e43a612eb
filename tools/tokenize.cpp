// `anda tokenize`: a text file (or standard input) to token ids with a Hugging Face tokenizer.json,
// as the `tokenizers` library gives them for encode(text, add_special_tokens=False), optionally
// framed by --bos / --eos. The .i32 output is what `anda eval --tokens` reads.
#include <anda/io/output_file.hpp>
#include <anda/model/tokens.hpp>
#include <anda/text/tokenizer.hpp>

#include <nlohmann/json.hpp>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "text_input.hpp"

namespace anda::tools {
namespace {

struct tokenize_options {
  std::string tokenizer_path, input = "-", output;
  std::int64_t bos = -1, eos = -1;  // -1: none
  bool json = false;
};

void check_special_id(const char* option, std::int64_t id, const text::tokenizer& tok) {
  if (id < tok.id_limit()) return;
  std::string msg = option;
  msg += ' ';
  msg += std::to_string(id);
  msg += " is not an id of the tokenizer (0..";
  msg += std::to_string(tok.id_limit() - 1);
  msg += ')';
  throw std::invalid_argument(msg);
}

int run_tokenize(const tokenize_options& o) {
  // The tokenizer first: a bad tokenizer.json fails before a large text is read.
  auto tok = text::tokenizer::load(o.tokenizer_path);
  if (o.bos >= 0) check_special_id("--bos", o.bos, tok);
  if (o.eos >= 0) check_special_id("--eos", o.eos, tok);
  const std::string content = read_text_input(o.input);
  text::text_framing framing;
  if (o.bos >= 0) framing.prefix.push_back(std::int32_t(o.bos));
  if (o.eos >= 0) framing.suffix.push_back(std::int32_t(o.eos));
  const std::vector<std::int32_t> ids =
      framing.around(tok.encode(content, o.input == "-" ? std::string("standard input") : o.input));

  if (!o.output.empty()) {
    io::write_output_file(o.output, model::token_file_bytes(ids));
    std::printf("%s: %zu tokens from %zu bytes of text\n", o.output.c_str(), ids.size(),
                content.size());
  } else if (o.json) {
    std::printf("%s\n", nlohmann::json{{"ids", ids}}.dump().c_str());
  } else {
    std::string line;
    for (const std::int32_t id : ids) {
      if (!line.empty()) line += ' ';
      line += std::to_string(id);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace

command add_tokenize(CLI::App& parent) {
  auto o = std::make_shared<tokenize_options>();
  auto* app = parent.add_subcommand(
      "tokenize", "text to token ids with a Hugging Face tokenizer.json (BPE models)");
  app->add_option("--tokenizer", o->tokenizer_path, "tokenizer.json, or a model folder holding one")
      ->required();
  app->add_option("input", o->input, "UTF-8 text file, or - for standard input (default)");
  app->add_option("--bos", o->bos, "an id put before the text's ids")
      ->check(count_range(0, std::numeric_limits<std::int32_t>::max()));
  app->add_option("--eos", o->eos, "an id put after the text's ids")
      ->check(count_range(0, std::numeric_limits<std::int32_t>::max()));
  auto* json = app->add_flag("--json", o->json, "print {\"ids\": [...]}");
  app->add_option("-o,--output", o->output,
                  "write the ids as int32 little-endian (.i32, what `anda eval --tokens` reads)")
      ->excludes(json);
  return {app, [o] { return run_tokenize(*o); }};
}

}  // namespace anda::tools
