// FP-INT GeMM on LLaMA-2-7B and OPT-6.7B layer shapes: anda (INT4 g128 weights, Anda G = 64
// activations) against Eigen f32, FP16 weights dequantized per 128-row panel + Eigen, and
// oneDNN's plain int8 matmul (u8 x s8 -> s32), all in one run.
// Names: gemm/<impl>/<K>x<N>/T:<T>/M:<M>. Counter GOP/s = 2 T K N per product.
// Cold weights for T <= 16: every call reads another copy of W, copies filling >= 256 MiB.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <anda/anda.hpp>
#include <dnnl.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t cold_bytes = std::size_t{256} << 20;

std::size_t copies_for(std::size_t bytes, std::size_t T) {
  return T > 16 ? 1 : std::max<std::size_t>(2, (cold_bytes + bytes - 1) / bytes);
}

Eigen::MatrixXf llm_activations(std::size_t T, std::size_t K) {
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss;
  Eigen::MatrixXf x(T, K);
  for (Eigen::Index k = 0; k < x.cols(); ++k)
    for (Eigen::Index t = 0; t < x.rows(); ++t)
      x(t, k) = gauss(rng) * (k % 97 == 13 ? 30.0f : 1.0f);
  return x;
}

Eigen::MatrixXf random_weights(std::size_t N, std::size_t K) {
  return Eigen::MatrixXf::Random(Eigen::Index(N), Eigen::Index(K)) * 0.05f;
}

void report(benchmark::State& state, std::size_t T, std::size_t K, std::size_t N) {
  state.counters["GOP/s"] =
      benchmark::Counter(2.0 * double(T * K * N), benchmark::Counter::kIsIterationInvariantRate);
}

void bm_anda(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T, int M,
             int threads) {
  const auto X = anda::activation_tensor::encode(anda::format{64, M}, llm_activations(T, K));
  const auto W0 =
      anda::int_weights::quantize(random_weights(N, K), anda::weight_type::int4_sym, 128);
  const std::vector<anda::int_weights> W(copies_for(W0.storage_bytes(), T), W0);
  Eigen::MatrixXf y(T, N);
  std::size_t i = 0;
  for (auto _ : state) {
    anda::gemm(X, W[i++ % W.size()], y, {anda::accumulate::fp32, threads, nullptr, nullptr});
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
}

void bm_eigen_f32(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
  const Eigen::MatrixXf x = llm_activations(T, K);
  const Eigen::MatrixXf wt0 = random_weights(N, K).transpose();
  const std::vector<Eigen::MatrixXf> wt(copies_for(4 * K * N, T), wt0);
  Eigen::MatrixXf y(T, N);
  std::size_t i = 0;
  for (auto _ : state) {
    y.noalias() = x * wt[i++ % wt.size()];
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
}

// FP16 -> FP32 with F16C, 16 at a time (K is a multiple of 16 for every shape here).
__attribute__((target("avx512f,f16c"))) void widen(const Eigen::half* src, float* dst,
                                                   std::size_t n) {
  for (std::size_t i = 0; i < n; i += 16)
    _mm512_storeu_ps(dst + i,
                     _mm512_maskz_cvtph_ps(
                         0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
}

void bm_dequant_f16_panel(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
  using MatrixXhR = Eigen::Matrix<Eigen::half, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXf x = llm_activations(T, K);
  const MatrixXhR w0 = random_weights(N, K).cast<Eigen::half>();
  const std::vector<MatrixXhR> w(copies_for(2 * K * N, T), w0);
  constexpr std::size_t panel = 128;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> p(panel, K);
  Eigen::MatrixXf y(T, N);
  std::size_t i = 0;
  for (auto _ : state) {
    const MatrixXhR& wi = w[i++ % w.size()];
    for (std::size_t n0 = 0; n0 < N; n0 += panel) {
      const std::size_t rows = std::min(panel, N - n0);
      widen(wi.data() + n0 * K, p.data(), rows * K);
      y.middleCols(Eigen::Index(n0), Eigen::Index(rows)).noalias() =
          x * p.topRows(Eigen::Index(rows)).transpose();
    }
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
}

void bm_onednn_s8(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
  using namespace dnnl;
  using dt = memory::data_type;
  using tag = memory::format_tag;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const memory::dims src_dims{memory::dim(T), memory::dim(K)},
      wei_dims{memory::dim(K), memory::dim(N)}, dst_dims{memory::dim(T), memory::dim(N)};
  const auto pd = matmul::primitive_desc(matmul::desc(memory::desc(src_dims, dt::u8, tag::ab),
                                                      memory::desc(wei_dims, dt::s8, tag::any),
                                                      memory::desc(dst_dims, dt::s32, tag::ab)),
                                         eng);
  std::vector<std::uint8_t> src(T * K, 77);
  std::vector<std::int8_t> wei_user(K * N);
  std::mt19937 rng(2);
  for (auto& v : wei_user) v = std::int8_t(int(rng() % 255) - 127);
  memory src_m(pd.src_desc(), eng, src.data());
  memory dst_m(pd.dst_desc(), eng);
  memory user_m({wei_dims, dt::s8, tag::ab}, eng, wei_user.data());
  std::vector<memory> wei;
  for (std::size_t c = 0; c < copies_for(K * N, T); ++c) {
    wei.emplace_back(pd.weights_desc(), eng);
    reorder(user_m, wei.back()).execute(s, user_m, wei.back());
  }
  s.wait();
  const matmul prim(pd);
  std::size_t i = 0;
  for (auto _ : state) {
    prim.execute(
        s,
        {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei[i++ % wei.size()]}, {DNNL_ARG_DST, dst_m}});
    s.wait();
  }
  report(state, T, K, N);
}

// Peaks measured in the same run: INT8 (vpdpbusd) and INT16 (vpdpwssd) dot products from
// registers, 12 independent chains; one instruction is 64 (INT8) or 32 (INT16) MACs, 2 ops each.
template <bool INT8>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void bm_peak(benchmark::State& state) {
  __m512i acc[12];
  for (auto& a : acc) a = _mm512_set1_epi32(1);
  const __m512i x = _mm512_set1_epi32(0x01020304), w = _mm512_set1_epi32(0x05060708);
  constexpr long steps = 4096;
  for (auto _ : state) {
    for (long i = 0; i < steps; ++i)
      for (auto& a : acc) a = INT8 ? _mm512_dpbusd_epi32(a, x, w) : _mm512_dpwssd_epi32(a, x, w);
    for (auto& a : acc) benchmark::DoNotOptimize(a);
  }
  state.counters["GOP/s"] = benchmark::Counter(double(steps * 12 * (INT8 ? 128 : 64)),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// DRAM read bandwidth: a streaming sum over 512 MiB.
__attribute__((target("avx512f"))) void bm_dram_read(benchmark::State& state) {
  const std::size_t n = (std::size_t{512} << 20) / 8;
  std::vector<std::uint64_t> data(n, 1);
  for (auto _ : state) {
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t i = 0; i < n; i += 32) {
      s0 = _mm512_add_epi64(s0, _mm512_loadu_si512(data.data() + i));
      s1 = _mm512_add_epi64(s1, _mm512_loadu_si512(data.data() + i + 8));
      s2 = _mm512_add_epi64(s2, _mm512_loadu_si512(data.data() + i + 16));
      s3 = _mm512_add_epi64(s3, _mm512_loadu_si512(data.data() + i + 24));
    }
    benchmark::DoNotOptimize(_mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
  }
  state.SetBytesProcessed(std::int64_t(state.iterations() * n * 8));
}

struct layer {
  std::size_t K, N;
};
const layer layers[] = {{4096, 4096}, {4096, 11008}, {11008, 4096}, {4096, 16384}};

void register_all() {
  benchmark::RegisterBenchmark("peak/vnni_int8", bm_peak<true>);
  benchmark::RegisterBenchmark("peak/vnni_int16", bm_peak<false>);
  benchmark::RegisterBenchmark("peak/dram_read", bm_dram_read)->Unit(benchmark::kMillisecond);
  for (const auto& l : layers) {
    const std::string shape = std::to_string(l.K) + "x" + std::to_string(l.N);
    for (std::size_t T : {1, 16, 128, 512}) {
      const std::string t = "/T:" + std::to_string(T);
      for (int M : {4, 7, 11})
        benchmark::RegisterBenchmark(("gemm/anda/" + shape + t + "/M:" + std::to_string(M)).c_str(),
                                     bm_anda, l.K, l.N, T, M, 1)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      benchmark::RegisterBenchmark(("gemm/eigen_f32/" + shape + t).c_str(), bm_eigen_f32, l.K, l.N,
                                   T)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("gemm/dequant_f16_panel/" + shape + t).c_str(),
                                   bm_dequant_f16_panel, l.K, l.N, T)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(("gemm/onednn_s8/" + shape + t).c_str(), bm_onednn_s8, l.K, l.N,
                                   T)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  // Two threads (split over output channels) on one shape: compare with the 1-thread rows.
  for (std::size_t T : {1, 512})
    benchmark::RegisterBenchmark(
        ("gemm/anda/4096x11008/T:" + std::to_string(T) + "/M:4/threads:2").c_str(), bm_anda, 4096,
        11008, T, 4, 2)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
