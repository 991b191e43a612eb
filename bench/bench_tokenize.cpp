// MB/s of the tokenizer (include/anda/text) on tiny-llama-en's held-out text (eval.txt.gz, 3.98 MB
// of English: manuals, dictionaries, the Bible), one thread, the whole text in one encode() as
// `anda eval --text` does. "cold": a freshly loaded tokenizer each iteration (its cache of encoded
// words empty, as in one `anda tokenize` run); "warm": the same tokenizer again (the cache full).
// Target (issue 14): >= 5 MB/s cold.
#include <benchmark/benchmark.h>

#include <anda/text/tokenizer.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

const std::string model_dir = std::string(ANDA_TEST_DATA_DIR) + "/models/tiny-llama-en";

const std::string& held_out_text() {
  static const std::string text = [] {
    const std::string command = "gzip -dc '" + model_dir + "/eval.txt.gz'";
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) std::abort();
    std::string out;
    char buffer[1 << 16];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
    if (pclose(p) != 0) std::abort();
    return out;
  }();
  return text;
}

void tokenize_cold(benchmark::State& state) {
  const std::string& text = held_out_text();
  std::size_t ids = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::optional<anda::text::tokenizer> tok{anda::text::tokenizer::load(model_dir)};
    state.ResumeTiming();
    ids = tok->encode(text).size();
    benchmark::DoNotOptimize(ids);
    state.PauseTiming();
    tok.reset();  // freeing the cache is not tokenizing
    state.ResumeTiming();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(text.size()));
  state.counters["tokens"] = double(ids);
}

void tokenize_warm(benchmark::State& state) {
  const std::string& text = held_out_text();
  auto tok = anda::text::tokenizer::load(model_dir);
  std::size_t ids = tok.encode(text).size();
  for (auto _ : state) {
    ids = tok.encode(text).size();
    benchmark::DoNotOptimize(ids);
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(text.size()));
  state.counters["tokens"] = double(ids);
}

}  // namespace

BENCHMARK(tokenize_cold)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(tokenize_warm)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
