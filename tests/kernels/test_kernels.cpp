// Every backend gives the same bytes as the scalar reference backend; ANDA_ISA choices and errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>

#include "encode_helpers.hpp"
#include "generators.hpp"

using namespace anda;
using namespace anda::test;

TEST_CASE("every backend's encoder is bit-identical to the scalar reference", "[kernels]") {
  for (const auto* fast : runnable_simd_encoders()) {
    INFO("backend " << fast->name);
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
          for (auto round : all_roundings) {
            const format fmt{G, M, round, nonfinite::propagate};
            const auto a = encode(fmt, data.data(), rows, cols, stride, kernels::scalar::record);
            const auto b = encode(fmt, data.data(), rows, cols, stride, *fast);
            INFO("cols " << cols << " G " << G << " M " << M << " " << to_string(round));
            REQUIRE(std::ranges::equal(a.planes(), b.planes()));
            REQUIRE(std::ranges::equal(a.exponents(), b.exponents()));
          }
        }
        // Under reject both kernels stop at the same group.
        const format strict{G, 4};
        std::size_t where_scalar = 0, where_fast = 0;  // 0: no error
        try {
          (void)encode(strict, data.data(), rows, cols, stride, kernels::scalar::record);
        } catch (const nonfinite_error& e) {
          where_scalar = 1 + e.row() * 100000 + e.group();
        }
        try {
          (void)encode(strict, data.data(), rows, cols, stride, *fast);
        } catch (const nonfinite_error& e) {
          where_fast = 1 + e.row() * 100000 + e.group();
        }
        REQUIRE(where_scalar == where_fast);
      }
    }
  }
}

TEST_CASE("every backend's float -> FP16 matches fp16::from_float, rows and columns", "[kernels]") {
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
  auto rng = anda::test::test_rng(3);
  for (int i = 0; i < 1'000'000; ++i) x.push_back(std::bit_cast<float>(std::uint32_t(rng())));
  x.push_back(65520.0f);
  x.push_back(INFINITY);
  x.push_back(std::bit_cast<float>(0xFFA00001u));  // signalling NaN
  x.push_back(std::bit_cast<float>(0x7FC12345u));
  for (std::size_t i = 0; i < 40; ++i) x.push_back(float(i) * 3000.0f - 60000.0f);
  for (const auto* b : runnable_backends()) {
    INFO("backend " << b->name);
    for (std::size_t n = 0; n <= 40; ++n) {  // every tail length of 8- and 16-wide kernels
      std::vector<std::uint16_t> want(n), got(n + 1, 0xABCD);
      for (std::size_t i = 0; i < n; ++i) want[i] = fp16::from_float(x[x.size() - 1 - i]).bits();
      std::vector<float> src(x.end() - std::ptrdiff_t(n), x.end());
      std::reverse(src.begin(), src.end());
      b->float_to_fp16(src.data(), got.data(), n);
      REQUIRE(std::equal(want.begin(), want.end(), got.begin()));
      REQUIRE(got[n] == 0xABCD);  // nothing written past the end
    }
    std::vector<std::uint16_t> got(x.size());
    b->float_to_fp16(x.data(), got.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      INFO("float bits " << std::bit_cast<std::uint32_t>(x[i]));
      REQUIRE(got[i] == fp16::from_float(x[i]).bits());
    }
    if (!b->float_columns_to_fp16) continue;
    // The same values as columns (column stride rows + 3) to FP16 rows: every value once with
    // 37 rows, then the edges of 8 x 8 and 16 x 16 blocks.
    for (const auto& [rows, cols] : {std::pair<std::size_t, std::size_t>{37, x.size() / 40},
                                     {16, 16},
                                     {8, 24},
                                     {17, 33},
                                     {7, 9},
                                     {1, 1},
                                     {33, 1}}) {
      INFO(rows << " x " << cols);
      const std::size_t stride = rows + 3;
      std::vector<std::uint16_t> rows_out(rows * cols + 1, 0xABCD);
      b->float_columns_to_fp16(x.data(), rows, cols, stride, rows_out.data());
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)
          REQUIRE(rows_out[r * cols + c] == fp16::from_float(x[r + c * stride]).bits());
      REQUIRE(rows_out[rows * cols] == 0xABCD);
    }
  }
}

TEST_CASE("the registry: names, CPU features, the default and ANDA_ISA's errors", "[kernels]") {
  const auto all = kernels::backends();
  REQUIRE(all.front() == &kernels::scalar::record);  // the portable one is always there
  for (const auto* b : all) {
    CHECK(kernels::find_backend(b->name) == b);
    CHECK(b->supported() == b->missing().empty());
    for (const auto f : b->needs)
      CHECK((kernels::cpu_has(f) || b->missing().find(to_string(f)) != std::string::npos));
    if (b->supported())
      CHECK(&kernels::require_backend(b->name) == b);
    else
      CHECK_THROWS_WITH(kernels::require_backend(b->name),
                        "ANDA_ISA=" + std::string(b->name) + ": this CPU lacks " + b->missing());
  }
  // The default is the last (most specialised) supported backend.
  const kernels::backend* best = nullptr;
  for (const auto* b : all)
    if (b->supported()) best = b;
  CHECK(&kernels::best_backend() == best);
  CHECK_THROWS_WITH(
      kernels::require_backend("sse9"),
      Catch::StartsWith("ANDA_ISA=sse9 is not a known backend (this build has scalar"));
  for (const auto name : kernels::known_backends)
    if (!kernels::find_backend(name))
      CHECK_THROWS_WITH(kernels::require_backend(name),
                        Catch::Contains("this build of anda has no such backend"));
}
