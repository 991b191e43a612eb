// Every kernel table gives the same bytes as the scalar reference kernel.
#include <catch2/catch.hpp>

#include "encode_helpers.hpp"
#include "generators.hpp"

using namespace anda;
using namespace anda::test;

namespace {

const simd::kernel_table* avx512_or_skip() {
  if (!simd::avx512_kernels())
    WARN("SKIPPED: this CPU has no AVX-512 (F, BW, VL, F16C); only the scalar kernel is tested");
  return simd::avx512_kernels();
}

}  // namespace

TEST_CASE("AVX-512 encoder is bit-identical to the scalar reference", "[kernels]") {
  const auto* fast = avx512_or_skip();
  if (!fast) return;
  const std::size_t rows = 5;
  for (std::size_t cols : {1, 3, 8, 31, 33, 63, 64, 65, 200, 512, 1000}) {
    const std::size_t stride = cols + 3;  // rows not contiguous
    // Finite random bit patterns with a few Inf and NaN in row 3 only, so that most groups of
    // every size are finite (raw random bits would make nearly every wide group non-finite).
    auto data = random_fp16(rows * stride, std::uint32_t(cols), true);
    data[3 * stride + cols / 2] = 0x7C00;
    data[3 * stride + cols - 1] = 0xFE01;
    const auto llm = llm_activations(1, stride, 9);
    std::copy(llm.begin(), llm.end(), data.begin() + stride);            // one realistic row
    std::fill(data.begin() + 2 * stride, data.begin() + 3 * stride, 0);  // one all-zero row
    for (int G : {8, 16, 32, 64, 128, 256}) {
      for (int M = 1; M <= 16; ++M) {
        for (auto round : {rounding::truncate, rounding::nearest_even, rounding::nearest_away}) {
          const format fmt{G, M, round, nonfinite::propagate};
          const auto a = activation_tensor::encode(fmt, data.data(), rows, cols, stride,
                                                   simd::scalar_kernels());
          const auto b = activation_tensor::encode(fmt, data.data(), rows, cols, stride, *fast);
          INFO("cols " << cols << " G " << G << " M " << M << " " << to_string(round));
          REQUIRE(std::ranges::equal(a.planes(), b.planes()));
          REQUIRE(std::ranges::equal(a.exponents(), b.exponents()));
        }
      }
      // Under reject both kernels stop at the same group.
      const format strict{G, 4};
      std::size_t where_scalar = 0, where_fast = 0;  // 0: no error
      try {
        (void)activation_tensor::encode(strict, data.data(), rows, cols, stride,
                                        simd::scalar_kernels());
      } catch (const nonfinite_error& e) {
        where_scalar = 1 + e.row() * 100000 + e.group();
      }
      try {
        (void)activation_tensor::encode(strict, data.data(), rows, cols, stride, *fast);
      } catch (const nonfinite_error& e) {
        where_fast = 1 + e.row() * 100000 + e.group();
      }
      REQUIRE(where_scalar == where_fast);
    }
  }
}

TEST_CASE("AVX-512 float -> FP16 matches fp16::from_float", "[kernels]") {
  const auto* fast = avx512_or_skip();
  if (!fast) return;
  std::vector<float> x;
  for (std::uint32_t b = 0; b < 0x7C00; ++b) {  // every FP16 boundary and its neighbours
    const float lo = fp16::from_bits(std::uint16_t(b)).to_float();
    const float hi = fp16::from_bits(std::uint16_t(b + 1)).to_float();
    const float mid = float((double(lo) + double(hi)) / 2);
    for (float v : {lo, mid, std::nextafter(mid, lo), std::nextafter(mid, 1e9f)}) {
      x.push_back(v);
      x.push_back(-v);
    }
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 1'000'000; ++i) x.push_back(std::bit_cast<float>(std::uint32_t(rng())));
  x.push_back(65520.0f);
  x.push_back(INFINITY);
  x.push_back(std::bit_cast<float>(0xFFA00001u));  // signalling NaN
  x.push_back(std::bit_cast<float>(0x7FC12345u));
  for (std::size_t n : {x.size(), std::size_t(17), std::size_t(1)}) {
    std::vector<std::uint16_t> a(n), b(n);
    simd::scalar_kernels().float_to_fp16(x.data(), a.data(), n);
    fast->float_to_fp16(x.data(), b.data(), n);
    REQUIRE(a == b);
  }
}
