// tokenizer.json in C++ against the `tokenizers` library: every case of the three reference
// tokenizers (GPT-2 and LLaMA-3 byte-level BPE, LLaMA-2 SentencePiece-style BPE) gives exactly its
// ids, and tiny-llama-en's held-out text reproduces eval_tokens.i32.
#include <catch2/catch.hpp>

#include <anda/model/tokens.hpp>
#include <anda/text/tokenizer.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

const std::string data_dir = ANDA_TEST_DATA_DIR;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The decompressed content of a .gz file (gzip is part of every Debian system).
std::string gunzip(const std::string& path) {
  const std::string command = "gzip -dc '" + path + "'";
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buffer[1 << 16];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
  REQUIRE(pclose(p) == 0);
  return out;
}

}  // namespace

TEST_CASE("every reference case gives the ids of the tokenizers library", "[text][tokenizer]") {
  const char* name = GENERATE("gpt2-bytelevel", "llama3-bytelevel", "llama2-sentencepiece");
  const std::string dir = data_dir + "/tokenizers/" + name;
  auto tok = anda::text::tokenizer::load(dir + "/tokenizer.json");
  const auto cases = nlohmann::json::parse(slurp(dir + "/cases.json"));
  REQUIRE(cases["cases"].size() >= 30);
  std::size_t exact = 0;
  for (std::size_t i = 0; i < cases["cases"].size(); ++i) {
    const auto& c = cases["cases"][i];
    const auto text = c["text"].get<std::string>();
    const auto expected = c["ids"].get<std::vector<std::int32_t>>();
    const auto ids = tok.encode(text);
    INFO(name << " case " << i << ": " << text.substr(0, 200));
    CHECK(ids == expected);
    exact += ids == expected;
  }
  CHECK(exact == cases["cases"].size());
  // A second pass goes through the piece cache: the same ids.
  const auto& first = cases["cases"][std::size_t(16)];
  CHECK(tok.encode(first["text"].get<std::string>()) ==
        first["ids"].get<std::vector<std::int32_t>>());
}

TEST_CASE("tiny-llama-en: eval.txt.gz documents as [<s>] + ids + [</s>] give eval_tokens.i32",
          "[text][tokenizer]") {
  const std::string model = data_dir + "/models/tiny-llama-en";
  auto tok = anda::text::tokenizer::load(model);
  const std::string text = gunzip(model + "/eval.txt.gz");
  REQUIRE(text.size() == 3975960);
  const std::vector<std::int32_t> expected = anda::model::read_tokens(model + "/eval_tokens.i32");
  REQUIRE(expected.size() == 65536);
  const std::int32_t bos = *tok.token_id("<s>"), eos = *tok.token_id("</s>");
  CHECK(bos == 0);
  CHECK(eos == 1);

  const std::string separator = "\n\f\n";
  std::vector<std::int32_t> stream;
  std::size_t documents = 0;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    const std::string_view document = std::string_view(text).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    stream.push_back(bos);
    const auto ids = tok.encode(document);
    stream.insert(stream.end(), ids.begin(), ids.end());
    stream.push_back(eos);
    ++documents;
    if (end == std::string::npos) break;
    start = end + separator.size();
  }
  CHECK(documents == 355);
  REQUIRE(stream.size() >= expected.size());
  const std::vector<std::int32_t> prefix(stream.begin(),
                                         stream.begin() + std::ptrdiff_t(expected.size()));
  std::size_t first_difference = 0;
  while (first_difference < prefix.size() && prefix[first_difference] == expected[first_difference])
    ++first_difference;
  INFO("first difference at token " << first_difference);
  CHECK(prefix == expected);
  // The model README's count of the eval split.
  CHECK(stream.size() == 1112287);
}
