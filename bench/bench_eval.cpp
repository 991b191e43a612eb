// Tokens/s of `anda eval`'s forward pass on tiny-llama-en (tests/data/models): the FP32 path
// against Anda [7,6,6,6] activations with INT4 g128 weights (the exact FP-INT GeMM), in the same
// run; W4A16 (FP16 activations, dequantized INT4 weights on Eigen) for reference. One thread, a
// few windows of 256 tokens per iteration, the perplexity included (head and log-softmax in FP32).
//
// The model runs its encoder and GeMM through anda::kernels::selected_backend() (the best one
// this CPU runs, or ANDA_ISA=<name>); the label of each row names it, so one run per backend is
// `ANDA_ISA=<name> bench_eval` for each name printed on stderr at start. Where the best backend
// this CPU runs is scalar (the reference loop), the Anda row reports "skipped: ..." unless
// ANDA_ISA=scalar asks for it.
#include <benchmark/benchmark.h>

#include <anda/kernels/registry.hpp>
#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace anda::model;

const std::string model_dir = std::string(ANDA_TEST_DATA_DIR) + "/models/tiny-llama-en";
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

void run(benchmark::State& state, weight_precision w, const activation_precision& act,
         bool on_backend) {
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
  // The FP16 rounding (w4a16) and the Anda encoder and GeMM run on the selected backend.
  if (on_backend) state.SetLabel("backend " + std::string(anda::kernels::selected_backend().name));
}

void fp32(benchmark::State& s) {
  run(s, weight_precision::fp32, activation_precision::fp32(), false);
}
void w4a16(benchmark::State& s) {
  run(s, weight_precision::int4, activation_precision::fp16(), true);
}
void anda_7666_int4(benchmark::State& s) {
  // The scalar backend's GeMM is the reference loop: minutes per iteration here. Run it only
  // when asked for by name.
  const char* isa = std::getenv("ANDA_ISA");
  if (&anda::kernels::selected_backend() == &anda::kernels::scalar::record && !(isa && *isa)) {
    s.SkipWithError(
        "skipped: this CPU runs no backend but scalar, the reference loop (minutes per "
        "iteration); ANDA_ISA=scalar runs it");
    return;
  }
  run(s, weight_precision::int4, activation_precision::anda({7, 6, 6, 6}), true);
}

}  // namespace

BENCHMARK(fp32)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(w4a16)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(anda_7666_int4)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::string_view selected;
  try {
    selected = anda::kernels::selected_backend().name;
  } catch (const std::exception& e) {  // ANDA_ISA names a backend this build or CPU lacks
    std::cerr << "bench_eval: " << e.what() << "\n";
    return 1;
  }
  std::string runs;
  for (const anda::kernels::backend* b : anda::kernels::backends()) {
    runs += (runs.empty() ? "" : ", ");
    runs += b->name;
    if (!b->supported()) runs += " (skipped here: this CPU lacks " + b->missing() + ")";
  }
  std::cerr << "bench_eval: backend " << selected << "; backends compiled in: " << runs
            << "; ANDA_ISA=<name> picks another\n";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
