// Design points per second of `anda sweep` (issue 17: at least 100,000 a second on one core for a
// LLaMA-2-7B prefill): closed form stays closed form. One point = the hardware file's values set
// in a technology (configure) and the model costed on it, as the tool does in its two passes:
// - anda_only: the Anda design (pass 1, the Pareto front; it costs FP-FP too, for the calibrated
//   memory energy);
// - all_designs: all eight designs (pass 2, the CSV/JSON rows), exactly `anda whatif`'s numbers.
// The points are those of a three-field sweep (rows x clock x activation buffer), cycled through.
#include <benchmark/benchmark.h>

#include <anda/hw/hwmodel.hpp>

#include <cstdint>

namespace {

using namespace anda::hw;

sweep_space three_field_sweep() {
  sweep_space s;
  s.hardware.axes = {{find_hardware_field("rows"), {8, 16, 24, 32, 48, 64}},
                     {find_hardware_field("clock_mhz"), {200, 285, 400, 500, 800}},
                     {find_hardware_field("act_buffer_mb"), {0.25, 0.5, 1, 2, 4}}};
  s.models = {*find_preset("llama2-7b")};
  s.tuples = {{{7, 6, 6, 6}}};  // the paper's 1 % WikiText2 tuple
  s.tokens = 2048;
  return s;
}

template <bool AllDesigns>
void BM_sweep_points(benchmark::State& state) {
  const auto s = three_field_sweep();
  const std::uint64_t n = s.size();
  run_config c;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto p = sweep_point_at(s, i);
    configure(s, p, c);
    if constexpr (AllDesigns) {
      benchmark::DoNotOptimize(cost_point(s.models[p.model], p.tuple_of(s), c));
    } else {
      benchmark::DoNotOptimize(evaluate(design::anda, s.models[p.model], p.tuple_of(s), c));
    }
    i = i + 1 == n ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("llama2-7b prefill 2048, [7,6,6,6], 150-point rows x clock x buffer sweep");
}

BENCHMARK(BM_sweep_points<false>)->Name("sweep_point/anda_only");
BENCHMARK(BM_sweep_points<true>)->Name("sweep_point/all_designs");

}  // namespace

BENCHMARK_MAIN();
