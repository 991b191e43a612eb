// FP-INT GeMM on LLaMA-2-7B layer shapes: anda (INT4 g128 weights, Anda G = 64 activations)
// through every backend compiled in (anda::kernels::backends()), against Eigen f32, FP16 weights
// dequantized per 128-row panel + Eigen, and oneDNN's plain int8 matmul (u8 x s8 -> s32), with
// the DRAM read bandwidth and the compute peaks of this CPU, all in one run.
//
// Names: anda/<backend>/<K>x<N>/T:<T>/M:<M>[/threads:2], gemm/<baseline>/<K>x<N>/T:<T>,
// peak/<what>/<isa>. Counter GOP/s = 2 T K N per product.
// Cold weights for T <= 16: every call reads another copy of W, the copies filling >= 256 MiB
// (and >= 4 x the L3 where the L3 is larger than 64 MiB).
//
// Only what this CPU runs is run. A backend this CPU lacks, a peak probe for an instruction set
// it lacks, and the scalar backend at T >= 16 (the reference loop: tenths of a second per token
// on these shapes, minutes per call at T = 512; --anda_scalar_all runs it anyway) are registered
// all the same and report "ERROR OCCURRED: 'skipped: ...'"; the list is also printed on stderr
// at start. The scalar backend runs one call per benchmark (Iterations(1)).
#include <benchmark/benchmark.h>

#include <anda/anda.hpp>
#include <dnnl.hpp>

#ifdef ANDA_KERNELS_X86
#include <immintrin.h>
#endif

#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using anda::kernels::cpu_feature;

// The largest cache Google Benchmark reports (the L3), 0 if none.
std::size_t largest_cache_bytes() {
  std::size_t largest = 0;
  for (const auto& c : benchmark::CPUInfo::Get().caches)
    largest = std::max(largest, std::size_t(std::max(c.size, 0)));
  return largest;
}

// At least `floor` and 4 x the largest cache: no cache holds what a pass over it reads.
std::size_t beyond_caches(std::size_t floor) {
  return std::max(floor, 4 * largest_cache_bytes());
}

// Copies of a weight set of `bytes` that one call at T tokens rotates through (>= 256 MiB).
std::size_t copies_for(std::size_t bytes, std::size_t T) {
  static const std::size_t cold_bytes = beyond_caches(std::size_t{256} << 20);
  return T > 16 ? 1 : std::max<std::size_t>(2, (cold_bytes + bytes - 1) / bytes);
}

// The features in `needs` that this CPU lacks, space-separated.
std::string lacking(const std::vector<cpu_feature>& needs) {
  std::string s;
  for (const cpu_feature f : needs)
    if (!anda::kernels::cpu_has(f)) {
      if (!s.empty()) s += ' ';
      s += to_string(f);
    }
  return s;
}

// What was registered as skipped, for the summary printed on stderr at start.
std::vector<std::string>& skipped_summary() {
  static std::vector<std::string> lines;
  return lines;
}

// A benchmark that reports `why` (which must start with "skipped: ") instead of running.
benchmark::internal::Benchmark* register_skipped(const std::string& name, const std::string& why) {
  return benchmark::RegisterBenchmark(
      name.c_str(), [why](benchmark::State& state) { state.SkipWithError(why.c_str()); });
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

// The weight copies of one shape, made once and kept while benchmarks of that shape run (Google
// Benchmark calls a benchmark function several times while it sizes the iteration count).
template <class Set>
const Set& cached(std::size_t K, std::size_t N) {
  static std::unique_ptr<Set> set;
  if (!set || set->K != K || set->N != N) {
    set.reset();  // free the previous shape's copies first
    set = std::make_unique<Set>(K, N);
  }
  return *set;
}

// INT4 symmetric weights, scales per 128, as independent objects: copies of one quantized
// matrix, each holding its own blocked layout (the only copy int_weights keeps).
struct anda_weight_set {
  std::size_t K, N;
  std::size_t bytes = 0;  // one copy's codes + scales
  std::vector<anda::int_weights> copies;
  anda_weight_set(std::size_t K_, std::size_t N_) : K{K_}, N{N_} {
    const auto W0 =
        anda::int_weights::quantize(random_weights(N, K), anda::weight_type::int4_sym, 128);
    bytes = W0.storage_bytes();
    for (std::size_t c = 0; c < copies_for(bytes, 1); ++c) copies.push_back(W0);
  }
};

void bm_anda(benchmark::State& state, const anda::kernels::backend* b, std::size_t K, std::size_t N,
             std::size_t T, int M, int threads, bool single_copy) {
  const auto X = anda::encode(anda::format{64, M}, llm_activations(T, K), *b);
  const auto& set = cached<anda_weight_set>(K, N);
  const auto& W = set.copies;
  const std::size_t copies = single_copy ? 1 : std::min(W.size(), copies_for(set.bytes, T));
  Eigen::MatrixXf y(T, N);
  const anda::gemm_options opt{anda::accumulate::fp32, threads, b, nullptr};
  std::size_t i = 0;
  for (auto _ : state) {
    anda::gemm(X, W[i++ % copies], y, opt);
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
}

struct f32_weight_set {
  std::size_t K, N;
  std::vector<Eigen::MatrixXf> copies;  // W^T, K x N
  f32_weight_set(std::size_t K_, std::size_t N_) : K{K_}, N{N_} {
    const Eigen::MatrixXf wt = random_weights(N, K).transpose();
    copies.assign(copies_for(4 * K * N, 1), wt);
  }
};

void bm_eigen_f32(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
  const Eigen::MatrixXf x = llm_activations(T, K);
  const auto& wt = cached<f32_weight_set>(K, N).copies;
  const std::size_t copies = std::min(wt.size(), copies_for(4 * K * N, T));
  Eigen::MatrixXf y(T, N);
  std::size_t i = 0;
  for (auto _ : state) {
    y.noalias() = x * wt[i++ % copies];
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
}

using MatrixXhR = Eigen::Matrix<Eigen::half, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct f16_weight_set {
  std::size_t K, N;
  std::vector<MatrixXhR> copies;  // W, N x K row-major
  f16_weight_set(std::size_t K_, std::size_t N_) : K{K_}, N{N_} {
    const MatrixXhR w = random_weights(N, K).cast<Eigen::half>();
    copies.assign(copies_for(2 * K * N, 1), w);
  }
};

#ifdef ANDA_KERNELS_X86
// FP16 -> FP32 with F16C, 8 at a time in ymm registers.
__attribute__((target("avx,f16c"))) void widen(const Eigen::half* src, float* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, src + i, 2);
    dst[i] = anda::fp16::from_bits(bits).to_float();
  }
}
#endif

void bm_dequant_f16_panel(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
#ifdef ANDA_KERNELS_X86
  const Eigen::MatrixXf x = llm_activations(T, K);
  const auto& w = cached<f16_weight_set>(K, N).copies;
  const std::size_t copies = std::min(w.size(), copies_for(2 * K * N, T));
  constexpr std::size_t panel = 128;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> p(panel, K);
  Eigen::MatrixXf y(T, N);
  std::size_t i = 0;
  for (auto _ : state) {
    const MatrixXhR& wi = w[i++ % copies];
    for (std::size_t n0 = 0; n0 < N; n0 += panel) {
      const std::size_t rows = std::min(panel, N - n0);
      widen(wi.data() + n0 * K, p.data(), rows * K);
      y.middleCols(Eigen::Index(n0), Eigen::Index(rows)).noalias() =
          x * p.topRows(Eigen::Index(rows)).transpose();
    }
    benchmark::DoNotOptimize(y.data());
  }
  report(state, T, K, N);
#else
  (void)K, (void)N, (void)T;
  state.SkipWithError("skipped: the F16C panel widen is x86-64 only");
#endif
}

// oneDNN's weights in the layout the primitive chose (it may differ with T), reordered once.
struct onednn_weight_set {
  std::size_t K = 0, N = 0;
  dnnl::memory::desc desc;
  std::vector<dnnl::memory> copies;
};

const dnnl::engine& onednn_engine() {
  static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

const onednn_weight_set& onednn_weights(std::size_t K, std::size_t N,
                                        const dnnl::memory::desc& desc) {
  using namespace dnnl;
  static std::unique_ptr<onednn_weight_set> set;
  if (set && set->K == K && set->N == N && set->desc == desc) return *set;
  set.reset();
  set = std::make_unique<onednn_weight_set>();
  set->K = K;
  set->N = N;
  set->desc = desc;
  std::vector<std::int8_t> wei_user(K * N);
  std::mt19937 rng(2);
  for (auto& v : wei_user) v = std::int8_t(int(rng() % 255) - 127);
  const memory::dims wei_dims{memory::dim(K), memory::dim(N)};
  memory user_m({wei_dims, memory::data_type::s8, memory::format_tag::ab}, onednn_engine(),
                wei_user.data());
  stream s(onednn_engine());
  for (std::size_t c = 0; c < copies_for(K * N, 1); ++c) {
    set->copies.emplace_back(desc, onednn_engine());
    reorder(user_m, set->copies.back()).execute(s, user_m, set->copies.back());
  }
  s.wait();
  return *set;
}

void bm_onednn_s8(benchmark::State& state, std::size_t K, std::size_t N, std::size_t T) {
  using namespace dnnl;
  using dt = memory::data_type;
  using tag = memory::format_tag;
  try {
    const engine& eng = onednn_engine();
    stream s(eng);
    const memory::dims src_dims{memory::dim(T), memory::dim(K)},
        wei_dims{memory::dim(K), memory::dim(N)}, dst_dims{memory::dim(T), memory::dim(N)};
    const auto pd = matmul::primitive_desc(matmul::desc(memory::desc(src_dims, dt::u8, tag::ab),
                                                        memory::desc(wei_dims, dt::s8, tag::any),
                                                        memory::desc(dst_dims, dt::s32, tag::ab)),
                                           eng);
    std::vector<std::uint8_t> src(T * K, 77);
    memory src_m(pd.src_desc(), eng, src.data());
    memory dst_m(pd.dst_desc(), eng);
    const auto& wei = onednn_weights(K, N, pd.weights_desc()).copies;
    const std::size_t copies = std::min(wei.size(), copies_for(K * N, T));
    const matmul prim(pd);
    state.SetLabel(pd.impl_info_str());
    std::size_t i = 0;
    for (auto _ : state) {
      prim.execute(
          s, {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei[i++ % copies]}, {DNNL_ARG_DST, dst_m}});
      s.wait();
    }
  } catch (const dnnl::error& e) {
    state.SkipWithError((std::string("skipped: oneDNN: ") + e.what()).c_str());
    return;
  }
  report(state, T, K, N);
}

// ---- Peaks measured in the same run ------------------------------------------------------------
// Every probe keeps its operands in registers; `ops` per instruction counts a multiply-add as 2.
// opaque() hides a value from the optimizer without emitting an instruction, so that loop-
// invariant products are recomputed every step and every product is materialized.
#ifdef ANDA_KERNELS_X86
template <class V>
inline void opaque(V& v) {
  asm volatile("" : "+x"(v));
}
template <class V>
inline void consume(const V& v) {
  asm volatile("" : : "x"(v));
}

void peak_counter(benchmark::State& state, double ops_per_iteration) {
  state.counters["GOP/s"] =
      benchmark::Counter(ops_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

constexpr long steps = 4096;

// FP32 FMA on ymm: 12 independent chains acc = acc * a + b (stays near 1).
__attribute__((target("avx2,fma"))) void bm_fma_ymm(benchmark::State& state) {
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (auto _ : state) {
    __m256 acc[12];
    for (auto& c : acc) {
      c = _mm256_set1_ps(1.0f);
      opaque(c);  // 12 chains, not one the optimizer proved equal
    }
    for (long i = 0; i < steps; ++i)
      for (auto& c : acc) c = _mm256_fmadd_ps(c, a, b);
    for (auto& c : acc) consume(c);
  }
  peak_counter(state, double(steps * 12 * 8 * 2));
}

// vpmaddubsw alone (u8 x s8 -> pairwise-summed, saturated s16; no int32 accumulation): 2 x 3
// operand registers, 6 independent products per step, each 32 multiply-adds.
__attribute__((target("avx2"))) void bm_maddubs_ymm(benchmark::State& state) {
  __m256i x0 = _mm256_set1_epi32(0x01020304), x1 = _mm256_set1_epi32(0x05060708);
  __m256i w0 = _mm256_set1_epi32(0x01010101), w1 = _mm256_set1_epi32(0x02020202),
          w2 = _mm256_set1_epi32(0x03030303);
  for (auto _ : state) {
    for (long i = 0; i < steps; ++i) {
      opaque(x0);
      opaque(x1);
      opaque(w0);
      opaque(w1);
      opaque(w2);
      consume(_mm256_maddubs_epi16(x0, w0));
      consume(_mm256_maddubs_epi16(x0, w1));
      consume(_mm256_maddubs_epi16(x0, w2));
      consume(_mm256_maddubs_epi16(x1, w0));
      consume(_mm256_maddubs_epi16(x1, w1));
      consume(_mm256_maddubs_epi16(x1, w2));
    }
  }
  peak_counter(state, double(steps * 6 * 32 * 2));
}

// The AVX2 int8 dot product (what vpdpbusd does in one instruction): vpmaddubsw, vpmaddwd with
// ones (s16 pairs -> s32), vpaddd into the accumulator. 2 x 3 operands, 6 accumulators.
__attribute__((target("avx2"))) inline __m256i dot_int8(__m256i acc, __m256i x, __m256i w,
                                                        __m256i ones) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones));
}

__attribute__((target("avx2"))) void bm_dot_int8_ymm(benchmark::State& state) {
  __m256i x0 = _mm256_set1_epi32(0x01020304), x1 = _mm256_set1_epi32(0x05060708);
  __m256i w0 = _mm256_set1_epi32(0x01010101), w1 = _mm256_set1_epi32(0x02020202),
          w2 = _mm256_set1_epi32(0x03030303);
  const __m256i ones = _mm256_set1_epi16(1);
  for (auto _ : state) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    for (long i = 0; i < steps; ++i) {
      opaque(x0);
      opaque(x1);
      opaque(w0);
      opaque(w1);
      opaque(w2);
      a0 = dot_int8(a0, x0, w0, ones);
      a1 = dot_int8(a1, x0, w1, ones);
      a2 = dot_int8(a2, x0, w2, ones);
      a3 = dot_int8(a3, x1, w0, ones);
      a4 = dot_int8(a4, x1, w1, ones);
      a5 = dot_int8(a5, x1, w2, ones);
    }
    consume(a0);
    consume(a1);
    consume(a2);
    consume(a3);
    consume(a4);
    consume(a5);
  }
  peak_counter(state, double(steps * 6 * 32 * 2));
}

// AVX-VNNI: VEX vpdpbusd on ymm (32 multiply-adds), 12 independent chains.
__attribute__((target("avx2,avxvnni"))) void bm_vnni_ymm(benchmark::State& state) {
  const __m256i x = _mm256_set1_epi32(0x01020304), w = _mm256_set1_epi32(0x05060708);
  for (auto _ : state) {
    __m256i acc[12];
    for (auto& a : acc) {
      a = _mm256_set1_epi32(1);
      opaque(a);
    }
    for (long i = 0; i < steps; ++i)
      for (auto& a : acc) a = _mm256_dpbusd_avx_epi32(a, x, w);
    for (auto& a : acc) consume(a);
  }
  peak_counter(state, double(steps * 12 * 64));
}

// AMX INT8: tdpbssd (the kernel's instruction) into four 16 x 16 int32 tiles from one A and one
// B tile (16 x 64 bytes), no loads in the loop; one instruction is 16 x 16 x 64 multiply-adds.
void bm_amx_tile(benchmark::State& state) {
  namespace amx = anda::kernels::amx;
  amx::tile_config config;
  for (int t = 0; t < 6; ++t) {
    config.rows[t] = 16;
    config.colsb[t] = 64;
  }
  asm volatile("ldtilecfg %0" ::"m"(config));
  amx::tile_zero<4>();
  amx::tile_zero<5>();
  for (auto _ : state) {
    for (long i = 0; i < steps / 16; ++i) {
      amx::tile_dpbssd<0, 4, 5>();
      amx::tile_dpbssd<1, 4, 5>();
      amx::tile_dpbssd<2, 4, 5>();
      amx::tile_dpbssd<3, 4, 5>();
    }
  }
  asm volatile("tilerelease" ::: "memory");
  peak_counter(state, double(steps / 16 * 4 * 16 * 16 * 64 * 2));
}

// FP32 FMA on zmm: 12 independent chains.
__attribute__((target("avx512f"))) void bm_fma_zmm(benchmark::State& state) {
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (auto _ : state) {
    __m512 acc[12];
    for (auto& c : acc) {
      c = _mm512_set1_ps(1.0f);
      opaque(c);
    }
    for (long i = 0; i < steps; ++i)
      for (auto& c : acc) c = _mm512_fmadd_ps(c, a, b);
    for (auto& c : acc) consume(c);
  }
  peak_counter(state, double(steps * 12 * 16 * 2));
}

// INT8 (vpdpbusd) and INT16 (vpdpwssd) dot products on zmm, 12 independent chains; one
// instruction is 64 (INT8) or 32 (INT16) multiply-adds.
template <bool INT8>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void bm_vnni_zmm(benchmark::State& state) {
  const __m512i x = _mm512_set1_epi32(0x01020304), w = _mm512_set1_epi32(0x05060708);
  for (auto _ : state) {
    __m512i acc[12];
    for (auto& a : acc) {
      a = _mm512_set1_epi32(1);
      opaque(a);
    }
    for (long i = 0; i < steps; ++i)
      for (auto& a : acc) a = INT8 ? _mm512_dpbusd_epi32(a, x, w) : _mm512_dpwssd_epi32(a, x, w);
    for (auto& a : acc) consume(a);
  }
  peak_counter(state, double(steps * 12 * (INT8 ? 128 : 64)));
}
#endif

// DRAM read bandwidth: a streaming sum over 512 MiB (or 4 x the L3 where that is more), with
// AVX2 loads where the CPU has AVX2, else 16-byte vectors of the build target (SSE2, NEON).
// (32-byte GCC vectors without AVX spill to the stack and read a third slower.)
#ifdef ANDA_KERNELS_X86
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::uint64_t* p, std::size_t n) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  for (std::size_t i = 0; i < n; i += 16) {
    s0 = _mm256_add_epi64(s0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    s1 = _mm256_add_epi64(s1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    s2 = _mm256_add_epi64(s2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    s3 = _mm256_add_epi64(s3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes),
                     _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3)));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

std::uint64_t sum_portable(const std::uint64_t* p, std::size_t n) {
  typedef std::uint64_t v2u64 __attribute__((vector_size(16)));
  v2u64 s[4] = {};
  for (std::size_t i = 0; i < n; i += 8)
    for (int j = 0; j < 4; ++j) {
      v2u64 v;
      std::memcpy(&v, p + i + 2 * j, sizeof v);
      s[j] += v;
    }
  const v2u64 t = (s[0] + s[1]) + (s[2] + s[3]);
  return t[0] + t[1];
}

void bm_dram_read(benchmark::State& state) {
  const std::size_t n = beyond_caches(std::size_t{512} << 20) / 8 / 16 * 16;
  std::vector<std::uint64_t> data(n, 1);
#ifdef ANDA_KERNELS_X86
  const bool avx2 = anda::kernels::cpu_has(cpu_feature::avx2);
#else
  const bool avx2 = false;
#endif
  for (auto _ : state) {
#ifdef ANDA_KERNELS_X86
    std::uint64_t sum = avx2 ? sum_avx2(data.data(), n) : sum_portable(data.data(), n);
#else
    std::uint64_t sum = sum_portable(data.data(), n);
#endif
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(std::int64_t(state.iterations() * n * 8));
  state.SetLabel(avx2 ? "avx2 loads" : "16-byte loads");
}

struct probe {
  const char* name;
  std::vector<cpu_feature> needs;
  void (*fn)(benchmark::State&);
};

void register_peaks() {
  const probe probes[] = {
#ifdef ANDA_KERNELS_X86
      {"peak/f32_fma/avx2_ymm", {cpu_feature::avx2, cpu_feature::fma}, bm_fma_ymm},
      {"peak/int8_mul/avx2_vpmaddubsw", {cpu_feature::avx2}, bm_maddubs_ymm},
      {"peak/int8_dot/avx2_vpmaddubsw_vpmaddwd_vpaddd", {cpu_feature::avx2}, bm_dot_int8_ymm},
      {"peak/int8_dot/avx_vnni_vpdpbusd_ymm",
       {cpu_feature::avx2, cpu_feature::avx_vnni},
       bm_vnni_ymm},
      {"peak/f32_fma/avx512_zmm", {cpu_feature::avx512f}, bm_fma_zmm},
      {"peak/int8_dot/avx512_vpdpbusd",
       {cpu_feature::avx512f, cpu_feature::avx512bw, cpu_feature::avx512vnni},
       bm_vnni_zmm<true>},
      {"peak/int8_dot/amx_tdpbssd", {cpu_feature::amx_int8}, bm_amx_tile},
      {"peak/int16_dot/avx512_vpdpwssd",
       {cpu_feature::avx512f, cpu_feature::avx512bw, cpu_feature::avx512vnni},
       bm_vnni_zmm<false>},
#endif
      {"peak/dram_read", {}, bm_dram_read},
  };
  for (const probe& p : probes) {
    const std::string lacks = lacking(p.needs);
    if (lacks.empty()) {
      auto* b = benchmark::RegisterBenchmark(p.name, p.fn);
      if (std::string_view(p.name) == "peak/dram_read") b->Unit(benchmark::kMillisecond);
    } else {
      const std::string why = "skipped: this CPU lacks " + lacks;
      register_skipped(p.name, why);
      skipped_summary().push_back(std::string(p.name) + " (" + why + ")");
    }
  }
#ifndef ANDA_KERNELS_X86
  skipped_summary().push_back("the x86 peak probes (not an x86-64 build)");
#endif
}

struct layer {
  std::size_t K, N;
};
const layer layers[] = {{4096, 4096}, {4096, 11008}, {11008, 4096}};
constexpr std::size_t token_counts[] = {1, 16, 128, 512};
constexpr int mantissas[] = {4, 7};

// The scalar backend is the reference loop (0.2-1 s per call at T = 1 on these shapes).
bool is_reference(const anda::kernels::backend& b) {
  return &b == &anda::kernels::scalar::record;
}

void register_anda(const anda::kernels::backend* b, const std::string& name, std::size_t K,
                   std::size_t N, std::size_t T, int M, int threads, bool scalar_all) {
  if (!b->supported()) {
    register_skipped(name, "skipped: this CPU lacks " + b->missing());
    return;
  }
  if (is_reference(*b) && T >= 16 && !scalar_all) {
    register_skipped(name, "skipped: the " + std::string(b->name) +
                               " backend is the reference loop (tenths of a second per token "
                               "here, minutes at T = 512); --anda_scalar_all runs T >= 16");
    return;
  }
  // The reference loop: one call (0.2-1 s) is the measurement; no cold copies needed.
  const bool slow = is_reference(*b);
  auto* bm = benchmark::RegisterBenchmark(name.c_str(), bm_anda, b, K, N, T, M, threads, slow);
  bm->Unit(benchmark::kMillisecond)->UseRealTime();
  if (slow) bm->Iterations(1);
}

void register_all(bool scalar_all) {
  register_peaks();
  for (const anda::kernels::backend* b : anda::kernels::backends()) {
    if (!b->supported())
      skipped_summary().push_back("anda/" + std::string(b->name) + "/* (skipped: this CPU lacks " +
                                  b->missing() + ")");
    else if (is_reference(*b) && !scalar_all)
      skipped_summary().push_back("anda/" + std::string(b->name) +
                                  "/*/T:{16,128,512}/* (skipped: the reference loop, tenths of a "
                                  "second per token; --anda_scalar_all runs them)");
  }
  for (const auto& l : layers) {
    const std::string shape = std::to_string(l.K) + "x" + std::to_string(l.N);
    for (std::size_t T : token_counts) {
      const std::string t = "/T:" + std::to_string(T);
      for (const anda::kernels::backend* b : anda::kernels::backends())
        for (int M : mantissas)
          register_anda(
              b, "anda/" + std::string(b->name) + "/" + shape + t + "/M:" + std::to_string(M), l.K,
              l.N, T, M, 1, scalar_all);
      benchmark::RegisterBenchmark(("gemm/eigen_f32/" + shape + t).c_str(), bm_eigen_f32, l.K, l.N,
                                   T)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      const std::string dq = "gemm/dequant_f16_panel/" + shape + t;
      if (const std::string lacks = lacking({cpu_feature::f16c}); lacks.empty())
        benchmark::RegisterBenchmark(dq.c_str(), bm_dequant_f16_panel, l.K, l.N, T)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      else
        register_skipped(dq, "skipped: this CPU lacks " + lacks);
      benchmark::RegisterBenchmark(("gemm/onednn_s8/" + shape + t).c_str(), bm_onednn_s8, l.K, l.N,
                                   T)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  if (const std::string lacks = lacking({cpu_feature::f16c}); !lacks.empty())
    skipped_summary().push_back("gemm/dequant_f16_panel/* (skipped: this CPU lacks " + lacks + ")");
  // Two threads (split over output channels) on one shape: compare with the 1-thread rows.
  for (const anda::kernels::backend* b : anda::kernels::backends())
    for (std::size_t T : {1, 512})
      register_anda(
          b,
          "anda/" + std::string(b->name) + "/4096x11008/T:" + std::to_string(T) + "/M:4/threads:2",
          4096, 11008, T, 4, 2, scalar_all);
}

void print_summary() {
  std::string built, runs;
  for (const anda::kernels::backend* b : anda::kernels::backends()) {
    built += (built.empty() ? "" : ", ");
    built += b->name;
    if (b->supported()) {
      runs += (runs.empty() ? "" : ", ");
      runs += b->name;
    }
  }
  std::cerr << "bench_gemm: backends compiled in: " << built << "; this CPU runs: " << runs << "\n";
  if (skipped_summary().empty()) return;
  std::cerr << "bench_gemm: skipped (reported as 'ERROR OCCURRED: skipped: ...'):\n";
  for (const auto& s : skipped_summary()) std::cerr << "  " << s << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  bool scalar_all = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--anda_scalar_all")
      scalar_all = true;
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all(scalar_all);
  print_summary();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
