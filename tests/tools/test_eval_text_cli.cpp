// `anda eval --text` and `anda search --calib-text/--text`: a text gives the perplexity of its ids
// (tokenized by `anda tokenize`) under `--tokens`, to the last printed digit.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_tool.hpp"

namespace fs = std::filesystem;

namespace {

const std::string model = std::string(ANDA_TEST_DATA_DIR) + "/models/tiny-llama-en";

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("anda_eval_text_" + std::to_string(getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

// The first `bytes` bytes of tiny-llama-en's held-out text (cut at a line end).
std::string held_out_text(std::size_t bytes) {
  const std::string command =
      "gzip -dc '" + model + "/eval.txt.gz' | head -c " + std::to_string(bytes);
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buffer[1 << 16];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
  pclose(p);
  return out.substr(0, out.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("anda eval --text equals --tokens on the same ids", "[eval][text][cli]") {
  const temp_dir tmp;
  const std::string text = (tmp.path / "held_out.txt").string();
  {
    const std::string content = held_out_text(6000);
    std::ofstream(text, std::ios::binary).write(content.data(), std::streamsize(content.size()));
  }
  const std::string ids = (tmp.path / "held_out.i32").string();
  const auto t = anda::test::run_tool("tokenize --tokenizer " + model + " " + text + " -o " + ids);
  INFO(t.output);
  REQUIRE(t.status == 0);

  const std::string common =
      "eval --model " + model + " --window-len 128 --windows 3 --threads 1 --json";
  const auto from_text = anda::test::run_tool(common + " --text " + text, "", false);
  const auto from_ids = anda::test::run_tool(common + " --tokens " + ids, "", false);
  INFO(from_text.output << "\n" << from_ids.output);
  REQUIRE(from_text.status == 0);
  REQUIRE(from_ids.status == 0);
  const auto a = nlohmann::json::parse(from_text.output);
  const auto b = nlohmann::json::parse(from_ids.output);
  CHECK(a["perplexity"].get<double>() == b["perplexity"].get<double>());
  CHECK(a["window_nll"] == b["window_nll"]);
  CHECK(a["windows"] == 3);
  CHECK(a["text_tokens"].get<std::size_t>() >= 3 * 128);

  // Without --window-len, --text takes the model's context (512 here, capped at 2048).
  const auto whole = anda::test::run_tool("eval --model " + model + " --text " + text +
                                              " --windows 1 --threads 1 --json --activations fp32",
                                          "", false);
  INFO(whole.output);
  REQUIRE(whole.status == 0);
  CHECK(nlohmann::json::parse(whole.output)["window_len"] == 512);
}

TEST_CASE("anda eval --text / search --text: one-line errors", "[eval][text][cli][errors]") {
  const temp_dir tmp;
  const std::string bad = (tmp.path / "bad.txt").string();
  std::ofstream(bad, std::ios::binary) << "ok\n\xff";
  const auto r = anda::test::run_tool("eval --model " + model + " --text " + bad);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output == "anda: error: " + bad + ": invalid UTF-8 at byte offset 3 (byte 0xff)\n");
  const auto both = anda::test::run_tool("eval --model " + model + " --text " + bad + " --tokens " +
                                         model + "/eval_tokens.i32");
  CHECK(both.status == 1);
  CHECK(both.output.find("excludes") != std::string::npos);
  const auto none = anda::test::run_tool("eval --model " + model);
  CHECK(none.status == 1);
  CHECK(none.output == "anda: error: give one of --tokens and --text\n");
  const auto search = anda::test::run_tool("search --model " + model + " --calib-text " + bad);
  CHECK(search.status == 1);
  CHECK(search.output == "anda: error: " + bad + ": invalid UTF-8 at byte offset 3 (byte 0xff)\n");
}

TEST_CASE("anda search --calib-text/--text runs on text", "[search][text][cli]") {
  const temp_dir tmp;
  const std::string text = (tmp.path / "held_out.txt").string();
  {
    const std::string content = held_out_text(3000);
    std::ofstream(text, std::ios::binary).write(content.data(), std::streamsize(content.size()));
  }
  const auto r =
      anda::test::run_tool("search --model " + model + " --calib-text " + text + " --text " + text +
                               " --windows 1 --eval-windows 1 --window-len 64 "
                               "--iterations 2 --lowest 12 --highest 13 --json",
                           "", false);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j["reference_perplexity"].get<double>() > 1);
  CHECK(j.contains("eval"));
}
