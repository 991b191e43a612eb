// `anda tokenize` end to end: the ids of a reference case as text, JSON and .i32, BOS/EOS, standard
// input, and one-line errors (exit 1, no output file) for malformed tokenizer files, unsupported
// components, invalid UTF-8 and bad options.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "run_tool.hpp"

namespace fs = std::filesystem;

namespace {

const std::string data_dir = ANDA_TEST_DATA_DIR;
const std::string gpt2 = data_dir + "/tokenizers/gpt2-bytelevel/tokenizer.json";

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("anda_tokenize_" + std::to_string(getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return (path / name).string();
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void check_error(const std::string& args, const std::string& what) {
  const auto r = anda::test::run_tool("tokenize " + args);
  INFO(args << "\n" << r.output);
  CHECK(r.status == 1);
  CHECK(r.output.rfind("anda: error: ", 0) == 0);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK(r.output.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("anda tokenize: a reference case as text, JSON and .i32", "[tokenize][cli]") {
  const temp_dir tmp;
  const auto cases =
      nlohmann::json::parse(slurp(data_dir + "/tokenizers/gpt2-bytelevel/cases.json"));
  const auto& c = cases["cases"][std::size_t(14)];  // literal special tokens
  const std::string input = tmp.write("in.txt", c["text"].get<std::string>());
  const auto expected = c["ids"].get<std::vector<std::int32_t>>();

  const auto j =
      anda::test::run_tool("tokenize --tokenizer " + gpt2 + " " + input + " --json", "", false);
  REQUIRE(j.status == 0);
  CHECK(nlohmann::json::parse(j.output)["ids"].get<std::vector<std::int32_t>>() == expected);

  const auto plain = anda::test::run_tool("tokenize --tokenizer " + gpt2 + " " + input, "", false);
  REQUIRE(plain.status == 0);
  std::string line;
  for (const auto id : expected) {
    if (!line.empty()) line += ' ';
    line += std::to_string(id);
  }
  CHECK(plain.output == line + "\n");

  // A model folder and standard input; --bos / --eos frame the ids.
  const std::string out = (tmp.path / "ids.i32").string();
  const auto o =
      anda::test::run_tool("tokenize --tokenizer " + data_dir +
                           "/models/tiny-llama-en --bos 0 --eos 1 -o " + out + " < " + input);
  INFO(o.output);
  REQUIRE(o.status == 0);
  const std::string bytes = slurp(out);
  REQUIRE(bytes.size() == 4 * (expected.size() + 2));
  std::vector<std::int32_t> ids(bytes.size() / 4);
  for (std::size_t i = 0; i < ids.size(); ++i)
    ids[i] = std::int32_t(std::uint32_t(std::uint8_t(bytes[4 * i])) |
                          std::uint32_t(std::uint8_t(bytes[4 * i + 1])) << 8 |
                          std::uint32_t(std::uint8_t(bytes[4 * i + 2])) << 16 |
                          std::uint32_t(std::uint8_t(bytes[4 * i + 3])) << 24);
  std::vector<std::int32_t> framed{0};
  framed.insert(framed.end(), expected.begin(), expected.end());
  framed.push_back(1);
  CHECK(ids == framed);
}

TEST_CASE("anda tokenize: one-line errors, exit 1, no output file", "[tokenize][cli][errors]") {
  const temp_dir tmp;
  const std::string text = tmp.write("in.txt", "hello");
  const std::string out = (tmp.path / "out.i32").string();
  const auto tokenizer_with = [&](const std::string& name, const std::string& json) {
    return tmp.write(name, json);
  };
  const std::string valid = slurp(gpt2);
  auto j = nlohmann::json::parse(valid);

  j.erase("model");
  const std::string no_model = tokenizer_with("no_model.json", j.dump());
  check_error("--tokenizer " + no_model + " " + text + " -o " + out,
              "no_model.json: the top level: has no \"model\"");

  j = nlohmann::json::parse(valid);
  j["model"]["merges"][std::size_t(5)] = "Ġ nonexistent-token";
  check_error(
      "--tokenizer " + tokenizer_with("bad_merges.json", j.dump()) + " " + text + " -o " + out,
      "bad_merges.json: model.merges[5]: token \"nonexistent-token\" is not in model.vocab");

  j = nlohmann::json::parse(valid);
  j["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  check_error("--tokenizer " + tokenizer_with("unknown.json", j.dump()) + " " + text + " -o " + out,
              "unknown.json: pre_tokenizer: type \"BertPreTokenizer\" is not supported");

  check_error("--tokenizer " + tokenizer_with("truncated.json", valid.substr(0, 1000)) + " " +
                  text + " -o " + out,
              "truncated.json: invalid JSON");
  check_error("--tokenizer " + gpt2 + " " + tmp.write("bad.txt", "caf\xc3\x28") + " -o " + out,
              "bad.txt: invalid UTF-8 at byte offset 3 (byte 0xc3)");
  check_error("--tokenizer " + tmp.path.string() + " " + text + " -o " + out,
              "tokenizer.json: cannot open");
  check_error("--tokenizer " + gpt2 + " " + text + " --bos 8192 -o " + out,
              "--bos 8192 is not an id of the tokenizer (0..8191)");
  check_error("--tokenizer " + gpt2 + " " + text + " --bos -1", "--bos");
  CHECK_FALSE(fs::exists(out));
}
