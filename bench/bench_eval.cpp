// Tokens/s of `anda eval`'s forward pass on tiny-llama-en (../shared/models): the FP32 path
// against Anda [7,6,6,6] activations with INT4 g128 weights (the exact FP-INT GeMM), in the same
// run; W4A16 (FP16 activations, dequantized INT4 weights on Eigen) for reference. One thread, a
// few windows of 256 tokens per iteration, the perplexity included (head and log-softmax in FP32).
#include <benchmark/benchmark.h>

#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>

#include <string>

namespace {

using namespace anda::model;

const std::string model_dir = std::string(ANDA_SHARED_DIR) + "/models/tiny-llama-en";
constexpr std::size_t windows = 4;

const std::vector<std::int32_t>& tokens() {
  static const auto t = read_tokens(model_dir + "/eval_tokens.i32");
  return t;
}

const llama_model& model(weight_precision w) {
  static const llama_model fp32{load_llama(model_dir), weight_precision::fp32};
  static const llama_model int4{load_llama(model_dir), weight_precision::int4};
  return w == weight_precision::fp32 ? fp32 : int4;
}

void run(benchmark::State& state, weight_precision w, const activation_precision& act) {
  const llama_model& m = model(w);
  perplexity_options o;
  o.windows = windows;
  o.threads = int(state.range(0));
  double nll = 0;
  for (auto _ : state) {
    nll = evaluate_perplexity(m, tokens(), act, o).mean_nll;
    benchmark::DoNotOptimize(nll);
  }
  state.counters["tokens/s"] = benchmark::Counter(double(windows * o.window_len),
                                                  benchmark::Counter::kIsIterationInvariantRate);
  state.counters["mean_nll"] = nll;
}

void fp32(benchmark::State& s) {
  run(s, weight_precision::fp32, activation_precision::fp32());
}
void w4a16(benchmark::State& s) {
  run(s, weight_precision::int4, activation_precision::fp16());
}
void anda_7666_int4(benchmark::State& s) {
  run(s, weight_precision::int4, activation_precision::anda({7, 6, 6, 6}));
}

}  // namespace

BENCHMARK(fp32)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(w4a16)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(anda_7666_int4)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
