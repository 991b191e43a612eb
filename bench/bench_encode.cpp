// Encode throughput FP16 -> bit-planes (G = 64) for every backend compiled in
// (anda::kernels::backends()) against a memcpy of the same input in the same run. Bytes
// processed = FP16 input bytes, so the reported bandwidths compare directly: ratio = encode GB/s
// / memcpy GB/s. Also the float32 fake quantization that bench/bench_python.py compares the
// Python module with (through the selected backend, named in the label).
//
// Names: encode/<backend>/rows:<rows>/M:<M>, encode/memcpy/rows:<rows>,
// quantize/float32_4096x4096/M:<M>. A backend this CPU lacks is registered all the same and
// reports "ERROR OCCURRED: 'skipped: this CPU lacks ...'" (also listed on stderr at start).
#include <benchmark/benchmark.h>

#include <anda/anda.hpp>

#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t cols = 4096;

// rows x cols LLM-like FP16 activations (Gaussian, per-token scale, outlier channels).
std::vector<std::uint16_t> activations(std::size_t rows, std::size_t n_cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss;
  std::vector<std::uint16_t> v(rows * n_cols);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float outlier = (i % n_cols) % 97 == 13 ? 40.0f : 1.0f;
    v[i] = anda::fp16::from_float(gauss(rng) * outlier).bits();
  }
  return v;
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_memcpy(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto src = activations(rows, cols);
  std::vector<std::uint16_t> dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size() * 2);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, src.size() * 2);
}

void bm_encode(benchmark::State& state, const anda::kernels::backend* b) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const int M = static_cast<int>(state.range(1));
  const anda::format fmt{64, M};
  const auto src = activations(rows, cols);
  const std::size_t groups = rows * cols / 64;
  anda::aligned_buffer planes(groups * fmt.group_bytes()), exponents(groups);
  for (auto _ : state) {
    b->encode({src.data(), rows, cols, cols, fmt, planes.data(), exponents.data()});
    benchmark::DoNotOptimize(planes.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, src.size() * 2);
}

// Fake quantization of float32 (what anda.quantize does from Python): float -> FP16 -> Anda ->
// float32, 4096 x 4096, through the selected backend; bytes = float32 input bytes.
void bm_fake_quantize(benchmark::State& state) {
  const std::size_t rows = 4096;
  const anda::format fmt{64, static_cast<int>(state.range(0))};
  const auto bits = activations(rows, cols);
  std::vector<float> src(bits.size()), dst(bits.size());
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = anda::fp16::from_bits(bits[i]).to_float();
  const anda::kernels::backend& b = anda::kernels::selected_backend();
  for (auto _ : state) {
    const auto t = anda::encode_float(fmt, src.data(), rows, cols, cols, b);
    t.decode_to(dst.data(), cols);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel("backend " + std::string(b.name));
  set_counters(state, src.size() * 4);
}

// 16 tokens (128 KiB, cache-resident) and 4096 tokens (32 MiB of FP16, beyond the L3).
void shapes(benchmark::internal::Benchmark* b) {
  for (long rows : {16, 4096})
    for (long M : {4, 7, 11}) b->Args({rows, M});
  b->ArgNames({"rows", "M"});
}

void register_all() {
  benchmark::RegisterBenchmark("encode/memcpy", bm_memcpy)->Arg(16)->Arg(4096)->ArgName("rows");
  std::string built, skipped;
  for (const anda::kernels::backend* b : anda::kernels::backends()) {
    const std::string name = "encode/" + std::string(b->name);
    built += (built.empty() ? "" : ", ");
    built += b->name;
    if (b->supported()) {
      benchmark::RegisterBenchmark(name.c_str(), bm_encode, b)->Apply(shapes);
    } else {
      const std::string why = "skipped: this CPU lacks " + b->missing();
      benchmark::RegisterBenchmark(name.c_str(), [why](benchmark::State& state) {
        state.SkipWithError(why.c_str());
      })->Apply(shapes);
      skipped += "  " + name + "/* (" + why + ")\n";
    }
  }
  benchmark::RegisterBenchmark("quantize/float32_4096x4096", bm_fake_quantize)
      ->Arg(4)
      ->Arg(7)
      ->ArgName("M")
      ->Unit(benchmark::kMillisecond);
  std::cerr << "bench_encode: backends compiled in: " << built
            << "; quantize/ uses the selected one: " << anda::kernels::selected_backend().name
            << "\n";
  if (!skipped.empty())
    std::cerr << "bench_encode: skipped (reported as 'ERROR OCCURRED: skipped: ...'):\n" << skipped;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
