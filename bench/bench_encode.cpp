// Encode throughput FP16 -> bit-planes (G = 64) for the scalar and AVX-512 kernels against a
// memcpy of the same input in the same run. Bytes processed = FP16 input bytes, so the reported
// bandwidths compare directly: ratio = encode GB/s / memcpy GB/s. Also the float32 fake
// quantization that bench/bench_python.py compares the Python module with.
#include <benchmark/benchmark.h>

#include <anda/anda.hpp>

#include <cstring>
#include <random>
#include <vector>

namespace {

// rows x cols LLM-like FP16 activations (Gaussian, per-token scale, outlier channels).
std::vector<std::uint16_t> activations(std::size_t rows, std::size_t cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss;
  std::vector<std::uint16_t> v(rows * cols);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float outlier = (i % cols) % 97 == 13 ? 40.0f : 1.0f;
    v[i] = anda::fp16::from_float(gauss(rng) * outlier).bits();
  }
  return v;
}

void set_counters(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void bm_memcpy(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0)), cols = std::size_t{4096};
  const auto src = activations(rows, cols);
  std::vector<std::uint16_t> dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size() * 2);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, src.size() * 2);
}

void bm_encode(benchmark::State& state, const anda::simd::kernel_table* kernels) {
  if (!kernels) {
    state.SkipWithError("kernel not available on this CPU");
    return;
  }
  const auto rows = static_cast<std::size_t>(state.range(0)), cols = std::size_t{4096};
  const int M = static_cast<int>(state.range(1));
  const anda::format fmt{64, M};
  const auto src = activations(rows, cols);
  const std::size_t groups = rows * cols / 64;
  anda::aligned_buffer planes(groups * fmt.group_bytes()), exponents(groups);
  for (auto _ : state) {
    kernels->encode({src.data(), rows, cols, cols, fmt, planes.data(), exponents.data()});
    benchmark::DoNotOptimize(planes.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, src.size() * 2);
}

// Fake quantization of float32 (what anda.quantize does from Python): float -> FP16 -> Anda ->
// float32, 4096 x 4096, through the selected kernels; bytes = float32 input bytes.
void bm_fake_quantize(benchmark::State& state) {
  const std::size_t rows = 4096, cols = 4096;
  const anda::format fmt{64, static_cast<int>(state.range(0))};
  const auto bits = activations(rows, cols);
  std::vector<float> src(bits.size()), dst(bits.size());
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = anda::fp16::from_bits(bits[i]).to_float();
  for (auto _ : state) {
    const auto t = anda::activation_tensor::encode_float(fmt, src.data(), rows, cols, cols);
    t.decode_to(dst.data(), cols);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, src.size() * 4);
}

// 16 tokens (128 KiB, cache-resident) and 4096 tokens (32 MiB of FP16, beyond the L3).
void shapes(benchmark::internal::Benchmark* b) {
  for (long rows : {16, 4096})
    for (long M : {4, 7, 11}) b->Args({rows, M});
  b->ArgNames({"rows", "M"});
}

}  // namespace

BENCHMARK(bm_memcpy)->Name("encode/memcpy")->Arg(16)->Arg(4096)->ArgName("rows");
BENCHMARK_CAPTURE(bm_encode, scalar, &anda::simd::scalar_kernels())
    ->Name("encode/scalar")
    ->Apply(shapes);
BENCHMARK_CAPTURE(bm_encode, avx512, anda::simd::avx512_kernels())
    ->Name("encode/avx512")
    ->Apply(shapes);
BENCHMARK(bm_fake_quantize)
    ->Name("quantize/float32_4096x4096")
    ->Arg(4)
    ->Arg(7)
    ->ArgName("M")
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
