// Integer weights: ranges checked on load, round-to-nearest quantization, memory cost.
#include <catch2/catch.hpp>

#include <anda/storage/int_weights.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include "seed.hpp"

using namespace anda;

TEST_CASE("bits_per_element matches the bytes held: one blocked copy", "[weights]") {
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    for (std::size_t Gw : {64, 128, 4096}) {
      const Eigen::MatrixXf w = Eigen::MatrixXf::Constant(64, 4096, 0.25f);
      const auto W = int_weights::quantize(w, type, Gw);
      const double weights = double(W.rows() * W.cols());
      const double expected = (type == weight_type::int8_sym ? 8 : 4) + 16.0 / double(Gw) +
                              (type == weight_type::int4_asym ? 8.0 / double(Gw) : 0.0);
      CHECK(W.bits_per_element() == expected);
      // N and K fill whole blocks of 16 x 256: exactly the bits per weight, held once (the
      // blocked layout the kernels read is the storage itself).
      CHECK(8.0 * double(W.storage_bytes()) / weights == Approx(expected).epsilon(1e-12));
      CHECK(W.storage_bytes() == W.packed().storage_bytes());
      const auto copy = W;
      CHECK(&copy.packed() != &W.packed());  // a copy is a value of its own
      CHECK(copy.storage_bytes() == W.storage_bytes());
    }
  }
}

TEST_CASE("storage_bytes is the padded shape's: N to 16, K to 256, params per padded channel",
          "[weights]") {
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    for (const auto& [N, K, Gw] : {std::array<std::size_t, 3>{1, 1, 1},
                                   {21, 300, 64},
                                   {33, 513, 128},
                                   {16, 256, 48},
                                   {5, 48, SIZE_MAX}}) {
      const auto W =
          int_weights::quantize(Eigen::MatrixXf::Ones(Eigen::Index(N), Eigen::Index(K)), type, Gw);
      const std::size_t Np = (N + 15) / 16 * 16, Kp = (K + 255) / 256 * 256;
      const std::size_t KG = K / Gw + (K % Gw != 0);
      const std::size_t code_bits = type == weight_type::int8_sym ? 8 : 4;
      const std::size_t param_bytes = type == weight_type::int4_asym ? 3 : 2;  // scale (+ zero)
      INFO(to_string(type) << " N " << N << " K " << K << " Gw " << Gw);
      CHECK(W.storage_bytes() == Np * Kp * code_bits / 8 + Np * KG * param_bytes);
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

namespace {

// The quantizer's definition, one weight at a time (docs/gemm.md): what int_weights::quantize
// must return, code for code. Returns the codes u[n * K + k], scales and zero points [n * KG + g].
struct plain_quantized {
  std::vector<unsigned> codes;
  std::vector<std::uint16_t> scales;
  std::vector<int> zeros;
};

plain_quantized quantize_by_definition(const Eigen::MatrixXf& W, weight_type type, std::size_t Gw) {
  const std::size_t N = std::size_t(W.rows()), K = std::size_t(W.cols());
  const std::size_t KG = K / Gw + (K % Gw != 0);
  const bool asym = type == weight_type::int4_asym;
  const float qmax = type == weight_type::int8_sym ? 127.0f : 7.0f;
  const int c = type == weight_type::int4_sym ? 8 : type == weight_type::int8_sym ? 128 : 0;
  plain_quantized out{std::vector<unsigned>(N * K), std::vector<std::uint16_t>(N * KG),
                      std::vector<int>(N * KG)};
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t g = 0; g < KG; ++g) {
      const std::size_t k0 = g * Gw, k1 = k0 + std::min(Gw, K - k0);
      float lo = 0, hi = 0;
      for (std::size_t k = k0; k < k1; ++k) {
        lo = std::min(lo, W(Eigen::Index(n), Eigen::Index(k)));
        hi = std::max(hi, W(Eigen::Index(n), Eigen::Index(k)));
      }
      const fp16 scale = fp16::from_float(asym ? (hi - lo) / 15.0f : std::max(hi, -lo) / qmax);
      const float s = scale.to_float();
      const int z = asym && s > 0 ? std::clamp(int(std::round(-lo / s)), 0, 15) : 0;
      out.scales[n * KG + g] = scale.bits();
      out.zeros[n * KG + g] = z;
      for (std::size_t k = k0; k < k1; ++k) {
        int q = s > 0 ? int(std::round(W(Eigen::Index(n), Eigen::Index(k)) / s)) : 0;
        q = asym ? std::clamp(q + z, 0, 15) : std::clamp(q, -int(qmax), int(qmax)) + c;
        out.codes[n * K + k] = unsigned(q);
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("quantize gives the definition's codes on any number of threads, ties included",
          "[weights]") {
  auto rng = anda::test::test_rng(5);
  std::normal_distribution<float> gauss;
  const std::size_t N = 37 + 2 * 128, K = 300;  // a partial block, blocks in 3 panels of 8
  Eigen::MatrixXf w = Eigen::MatrixXf::NullaryExpr(N, K, [&] { return gauss(rng); });
  // Rows on an exact grid, so that w / scale lands on ties k + 0.5 (absmax 7/8: scale 1/8 for
  // INT4 symmetric, and halves of steps for the others), zeros, an outlier, -0 and subnormals.
  for (Eigen::Index k = 0; k < Eigen::Index(K); ++k) {
    w(3, k) = float(int(k % 29) - 14) / 16.0f;
    w(4, k) = float(int(k % 15) - 7) / 16.0f + 1.0f / 32.0f;
    w(9, k) = k % 3 == 0 ? -0.0f : 0x1p-140f * float(k % 5);
  }
  w(3, 0) = 7.0f / 8.0f;
  w.row(11).setZero();
  w(20, 150) = 40.0f;
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    for (std::size_t Gw : {std::size_t{64}, std::size_t{100}, std::size_t{1}, K}) {
      const plain_quantized want = quantize_by_definition(w, type, Gw);
      const auto one = int_weights::quantize(w, type, Gw);
      const std::size_t KG = one.scale_groups();
      for (std::size_t n = 0; n < N; ++n) {
        for (std::size_t k = 0; k < K; ++k) {
          INFO(to_string(type) << " Gw " << Gw << " at " << n << "," << k);
          REQUIRE(one.code(n, k) == want.codes[n * K + k]);
        }
        for (std::size_t g = 0; g < KG; ++g) {
          REQUIRE(one.scale(n, g).bits() == want.scales[n * KG + g]);
          REQUIRE(one.zero(n, g) == want.zeros[n * KG + g]);
        }
      }
      // Every byte of the layout, padding included, whatever the thread count.
      for (int threads : {2, 3, 64}) {
        const auto many = int_weights::quantize(w, type, Gw, threads);
        const packed_weights &a = one.packed(), &b = many.packed();
        REQUIRE(std::memcmp(a.codes(), b.codes(), a.padded_rows() / 16 * a.block_bytes()) == 0);
        REQUIRE(std::memcmp(a.scales_fp16(), b.scales_fp16(), 2 * a.padded_rows() * KG) == 0);
        if (type == weight_type::int4_asym)
          REQUIRE(std::memcmp(a.offsets(), b.offsets(), a.padded_rows() * KG) == 0);
      }
    }
  }
}

TEST_CASE("quantize reports the first bad (channel, group) in row order on any thread count",
          "[weights]") {
  Eigen::MatrixXf w = Eigen::MatrixXf::Constant(70, 256, 0.5f);
  w(60, 3) = NAN;         // a later block
  w(40, 200) = 1e6f;      // group 1 of channel 40: beyond the FP16 scale range
  w(40, 130) = INFINITY;  // group 1 of channel 40 too: non-finite comes first there
  w(40, 5) = 1e6f;        // but group 0 of channel 40 comes before group 1
  for (int threads : {1, 2, 5}) {
    INFO(threads << " threads");
    CHECK_THROWS_WITH(int_weights::quantize(w, weight_type::int4_sym, 128, threads),
                      "int_weights::quantize: channel 40 needs a scale beyond the FP16 range");
    Eigen::MatrixXf v = w;
    v(40, 5) = 0.5f;
    CHECK_THROWS_WITH(int_weights::quantize(v, weight_type::int4_sym, 128, threads),
                      "int_weights::quantize: weight (40, 130) is not finite");
    v(40, 130) = v(40, 200) = 0.5f;
    CHECK_THROWS_WITH(int_weights::quantize(v, weight_type::int4_asym, 128, threads),
                      "int_weights::quantize: weight (60, 3) is not finite");
  }
  CHECK_THROWS_WITH(int_weights::quantize(w, weight_type::int4_sym, 128, 0),
                    Catch::Contains("threads must be at least 1"));
}

TEST_CASE("dequantize_rows reads the same values as dequantized", "[weights]") {
  auto rng = anda::test::test_rng(6);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const Eigen::MatrixXf w = Eigen::MatrixXf::NullaryExpr(21, 300, [&] { return uniform(rng); });
  for (auto type : {weight_type::int4_sym, weight_type::int4_asym, weight_type::int8_sym}) {
    const auto W = int_weights::quantize(w, type, 64);
    const Eigen::MatrixXf rows = W.dequantize_rows(5, 13);
    REQUIRE(rows.rows() == 13);
    for (Eigen::Index r = 0; r < rows.rows(); ++r)
      for (Eigen::Index k = 0; k < rows.cols(); ++k)
        REQUIRE(rows(r, k) == W.dequantized(std::size_t(r + 5), std::size_t(k)));
    CHECK(W.dequantize().middleRows(5, 13) == rows);
  }
}
