// Integer weights: ranges checked on load, round-to-nearest quantization, memory cost.
#include <catch2/catch.hpp>

#include <anda/storage/int_weights.hpp>

#include <cstdint>
#include <random>
#include "seed.hpp"

using namespace anda;

TEST_CASE("bits_per_element matches the bytes held, plain and packed", "[weights]") {
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    for (std::size_t Gw : {64, 128, 4096}) {
      const Eigen::MatrixXf w = Eigen::MatrixXf::Constant(64, 4096, 0.25f);
      const auto W = int_weights::quantize(w, type, Gw);
      const double weights = double(W.rows() * W.cols());
      const double expected = (type == weight_type::int8_sym ? 8 : 4) + 16.0 / double(Gw) +
                              (type == weight_type::int4_asym ? 8.0 / double(Gw) : 0.0);
      CHECK(W.bits_per_element() == expected);
      // The plain arrays alone until a SIMD kernel asks for the blocked layout ...
      REQUIRE_FALSE(W.is_packed());
      CHECK(8.0 * double(W.storage_bytes()) / weights == Approx(expected).epsilon(1e-12));
      // ... then the same cost again (here N and K are already multiples of 16 and 256).
      const packed_weights& P = W.packed();
      CHECK(&W.packed() == &P);  // built once
      CHECK(W.is_packed());
      CHECK(8.0 * double(P.storage_bytes()) / weights == Approx(expected).epsilon(1e-12));
      CHECK(W.storage_bytes() == 2 * P.storage_bytes());
      const auto copy = W;  // copies share the packed layout
      CHECK(&copy.packed() == &P);
    }
  }
}

TEST_CASE("the packed layout holds every code where the kernels read it, padding w = 0",
          "[weights]") {
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    const std::size_t N = 21, K = 300;
    const Eigen::MatrixXf w = Eigen::MatrixXf::Random(N, K);
    const auto W = int_weights::quantize(w, type, 64);
    const packed_weights& P = W.packed();
    REQUIRE(P.padded_rows() == 32);
    REQUIRE(P.padded_cols() == 512);
    for (std::size_t n = 0; n < P.padded_rows(); ++n) {
      for (std::size_t k = 0; k < P.padded_cols(); ++k) {
        const bool real = n < N && k < K;
        const int z = real && type == weight_type::int4_asym ? W.zero(n, k / 64) : 0;
        const int c = type == weight_type::int4_asym ? z : W.code_offset();
        INFO(to_string(type) << " n " << n << " k " << k);
        REQUIRE(int(P.code(n, k)) - c == (real ? W.w(n, k) : 0));
      }
    }
    for (std::size_t n = 0; n < N; ++n) {
      for (std::size_t g = 0; g < W.scale_groups(); ++g) {
        const std::size_t at = (n / 16 * W.scale_groups() + g) * 16 + n % 16;
        REQUIRE(P.scales_fp16()[at] == W.scale(n, g).bits());
        if (type == weight_type::int4_asym) REQUIRE(P.offsets()[at] == W.zero(n, g));
      }
    }
  }
}

TEST_CASE("a scale group of any size at or above K is per channel", "[weights]") {
  auto rng = anda::test::test_rng(3);
  std::normal_distribution<float> gauss;
  Eigen::MatrixXf w(5, 48);
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = gauss(rng);
  const auto per_channel = int_weights::quantize(w, weight_type::int4_sym, 48);
  for (std::size_t Gw : {std::size_t{49}, std::size_t{1} << 40, SIZE_MAX - 1, SIZE_MAX}) {
    const auto W = int_weights::quantize(w, weight_type::int4_sym, Gw);
    REQUIRE(W.scale_groups() == 1);  // ceil(K / Gw) must not wrap around
    CHECK(W.dequantize() == per_channel.dequantize());
  }
}

TEST_CASE("from_quantized keeps q, z and scales and refuses what is out of range", "[weights]") {
  const std::size_t N = 19, K = 300, Gw = 128, KG = 3;
  auto rng = anda::test::test_rng(1);
  std::vector<std::int8_t> q(N * K);
  for (auto& v : q) v = std::int8_t(int(rng() % 16));
  std::vector<std::uint8_t> z(N * KG);
  for (auto& v : z) v = std::uint8_t(rng() % 16);
  std::vector<std::uint16_t> s(N * KG);
  for (auto& v : s) v = fp16::from_float(float(rng() % 100 + 1) / 512.0f).bits();
  const auto W = int_weights::from_quantized(weight_type::int4_asym, N, K, Gw, q, z, s);
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t k = 0; k < K; ++k) {
      REQUIRE(W.q(n, k) == q[n * K + k]);
      REQUIRE(W.w(n, k) == q[n * K + k] - z[n * KG + k / Gw]);
      REQUIRE(W.dequantized(n, k) ==
              float(W.w(n, k)) * fp16::from_bits(s[n * KG + k / Gw]).to_float());
    }
    for (std::size_t g = 0; g < KG; ++g) REQUIRE(W.scale(n, g).bits() == s[n * KG + g]);
  }
  auto bad_q = q;
  bad_q[5] = 16;
  CHECK_THROWS_WITH(int_weights::from_quantized(weight_type::int4_asym, N, K, Gw, bad_q, z, s),
                    Catch::Contains("q = 16") && Catch::Contains("[0, 15]"));
  std::vector<std::int8_t> sym(N * K, 0);
  sym[K + 5] = -9;
  CHECK_THROWS_WITH(int_weights::from_quantized(weight_type::int4_sym, N, K, Gw, sym, {}, s),
                    Catch::Contains("q = -9 at (1, 5)"));
  CHECK(int_weights::from_quantized(weight_type::int8_sym, 1, 8, 8,
                                    std::vector<std::int8_t>(8, -128), {},
                                    std::vector<std::uint16_t>{0x3C00})
            .w(0, 3) == -128);
  auto bad_z = z;
  bad_z[2] = 16;
  CHECK_THROWS_WITH(int_weights::from_quantized(weight_type::int4_asym, N, K, Gw, q, bad_z, s),
                    Catch::Contains("zero point 16"));
  auto bad_s = s;
  bad_s[4] = 0x7C00;
  CHECK_THROWS_WITH(int_weights::from_quantized(weight_type::int4_asym, N, K, Gw, q, z, bad_s),
                    Catch::Contains("not finite"));
  CHECK_THROWS_AS(int_weights::from_quantized(weight_type::int4_asym, N, K, Gw, q, {}, s),
                  shape_error);
  CHECK_THROWS_AS(int_weights::from_quantized(weight_type::int4_sym, N, K, Gw, sym, z, s),
                  shape_error);
  CHECK_THROWS_AS(int_weights::from_quantized(weight_type::int4_sym, N, K - 1, Gw, sym, {}, s),
                  shape_error);
  CHECK_THROWS_AS(int_weights::from_quantized(weight_type::int4_sym, N, K, 0, sym, {}, s),
                  shape_error);
}

TEST_CASE("round-to-nearest quantization stays within half a step", "[weights]") {
  auto rng = anda::test::test_rng(4);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Eigen::MatrixXf w = Eigen::MatrixXf::NullaryExpr(33, 260, [&] { return uniform(rng); });
  w(4, 17) = 9.0f;  // an outlier channel group
  w.row(7).setZero();
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    const auto W = int_weights::quantize(w, type, 64);
    const Eigen::MatrixXf d = W.dequantize();
    for (Eigen::Index n = 0; n < w.rows(); ++n) {
      for (Eigen::Index k = 0; k < w.cols(); ++k) {
        const float step = W.scale(std::size_t(n), std::size_t(k) / 64).to_float();
        // Half a step, widened by the FP16 rounding of the scale; asymmetric: the rounding of
        // the zero point can clip one end by up to one step.
        const float bound = type == weight_type::int4_asym ? step * 1.001f : 0.5f * step * 1.002f;
        INFO(to_string(type) << " at " << n << "," << k);
        REQUIRE(std::abs(d(n, k) - w(n, k)) <= bound + 1e-7f);
      }
    }
    CHECK(d.row(7).isZero());
  }
  Eigen::MatrixXf inf = w;
  inf(0, 0) = INFINITY;
  CHECK_THROWS_WITH(int_weights::quantize(inf, weight_type::int4_sym),
                    Catch::Contains("not finite"));
  Eigen::MatrixXf huge = w * 1e6f;
  CHECK_THROWS_WITH(int_weights::quantize(huge, weight_type::int4_sym),
                    Catch::Contains("FP16 range"));
}
