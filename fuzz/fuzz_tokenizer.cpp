// libFuzzer target: the tokenizer.json reader and the encoder. The input is a tokenizer.json, a
// NUL byte, then a text: the file either loads or throws anda::error, and a loaded tokenizer
// encodes the text (or throws anda::error for invalid UTF-8 or a regex limit) into ids below its
// id limit. The whole input is also encoded as text by the three reference tokenizers of the
// test data (GPT-2 and LLaMA-3 byte-level, LLaMA-2 SentencePiece-style). Anything else is a
// finding.
#include <anda/text/tokenizer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check_ids(const std::vector<std::int32_t>& ids, const anda::text::tokenizer& tok) {
  for (const std::int32_t id : ids)
    if (id < 0 || id >= tok.id_limit()) std::abort();
}

void encode(anda::text::tokenizer& tok, std::string_view text) {
  try {
    check_ids(tok.encode(text, "fuzz.txt"), tok);
  } catch (const anda::error&) {
  }
}

std::vector<anda::text::tokenizer>& reference_tokenizers() {
  static std::vector<anda::text::tokenizer> all = [] {
    std::vector<anda::text::tokenizer> t;
    for (const char* name : {"gpt2-bytelevel", "llama3-bytelevel", "llama2-sentencepiece"})
      t.push_back(anda::text::tokenizer::load(std::string(ANDA_TEST_DATA_DIR) + "/tokenizers/" +
                                              name + "/tokenizer.json"));
    return t;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  for (auto& tok : reference_tokenizers()) encode(tok, input);
  const std::size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return 0;
  try {
    auto tok = anda::text::tokenizer::from_json(input.substr(0, nul), "fuzz/tokenizer.json");
    encode(tok, input.substr(nul + 1));
  } catch (const anda::error&) {
  }
  return 0;
}
