// The bit-plane tensor: layout of docs/format.md section 4, memory cost, padding, Eigen inputs.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "backends.hpp"
#include "encode_helpers.hpp"
#include "generators.hpp"

using namespace anda;
using namespace anda::test;

TEST_CASE("bits_per_element matches the bytes allocated", "[storage]") {
  for (int G : {8, 16, 32, 64, 128, 256}) {
    for (int M : {1, 4, 7, 11, 16}) {
      for (std::size_t cols : {std::size_t(G), std::size_t(4 * G)}) {
        const activation_tensor t{format{G, M}, 3, cols};
        const double stored_elements = double(t.rows() * t.groups_per_row() * G);
        CHECK(8.0 * double(t.storage_bytes()) / stored_elements == t.bits_per_element());
        CHECK(t.bits_per_element() == 1 + M + 8.0 / G);
        CHECK(t.planes().size() == t.rows() * t.groups_per_row() * std::size_t((1 + M) * G / 8));
      }
    }
  }
}

TEST_CASE("plane layout: sign plane, then mantissa planes MSB first, element i in bit i",
          "[storage]") {
  // G = 128, M = 3, one group: element i gets magnitude i % 8 at E = 15 (1.0 <= max < 2),
  // i.e. value (i % 8) * 2^-2 with max 7 * 2^-2 = 1.75; odd elements negative.
  std::vector<std::uint16_t> bits(128);
  for (int i = 0; i < 128; ++i) {
    const float v = float(i % 8) * 0.25f;
    bits[i] = fp16::from_float(i % 2 ? -v : v).bits();
  }
  for (const auto* k : runnable_backends()) {
    const auto t = encode(format{128, 3}, bits.data(), 1, 128, 128, *k);
    const group_view g = t.group(0, 0);
    CHECK(g.exponent() == 15);
    for (int w = 0; w < 2; ++w) {
      std::uint64_t sign = 0, p0 = 0, p1 = 0, p2 = 0;
      for (int i = 0; i < 64; ++i) {
        const int e = 64 * w + i;
        sign |= std::uint64_t(e % 2) << i;
        p0 |= std::uint64_t(((e % 8) >> 2) & 1) << i;
        p1 |= std::uint64_t(((e % 8) >> 1) & 1) << i;
        p2 |= std::uint64_t((e % 8) & 1) << i;
      }
      CHECK(g.word(0, w) == sign);
      CHECK(g.word(1, w) == p0);
      CHECK(g.word(2, w) == p1);
      CHECK(g.word(3, w) == p2);
    }
    for (int i = 0; i < 128; ++i) {
      CHECK(g.sign(i) == unsigned(i % 2));
      CHECK(g.magnitude(i) == std::uint32_t(i % 8));
    }
    // Planes are contiguous per group: plane p starts p * G / 8 bytes into the group.
    CHECK(g.mantissa_plane(0).data() == t.planes().data() + 16);
    CHECK(g.mantissa_plane(2).data() == t.planes().data() + 48);
  }
}

TEST_CASE("awkward K: tails are zero-padded and never decoded into the caller's data",
          "[storage]") {
  const std::size_t rows = 3;
  for (std::size_t cols : {1, 2, 3, 7, 15, 17, 63, 65, 127, 129, 257, 300}) {
    const auto bits = llm_activations(rows, cols, std::uint32_t(cols));
    for (int G : {8, 16, 32, 64, 128, 256}) {
      for (int M : {2, 5, 8, 12}) {
        const format fmt{G, M, rounding::nearest_even};
        for (const auto* k : runnable_backends()) {
          const auto t = encode(fmt, bits.data(), rows, cols, cols, *k);
          REQUIRE(t.groups_per_row() == (cols + G - 1) / G);
          const std::size_t stride = cols + 5;
          std::vector<float> out(rows * stride, 12345.0f);
          t.decode_to(out.data(), stride);
          std::vector<float> packed(rows * cols);
          for (std::size_t r = 0; r < rows; ++r) {
            for (std::size_t c = 0; c < stride; ++c) {
              if (c >= cols)
                REQUIRE(out[r * stride + c] == 12345.0f);  // untouched
              else
                packed[r * cols + c] = out[r * stride + c];
            }
          }
          INFO("cols " << cols << " G " << G << " M " << M << " kernel " << k->name);
          REQUIRE(oracle_mismatches(fmt, bits, rows, cols, packed) == 0);
          // Padding elements are zero in every plane.
          const std::size_t tail = cols % G;
          if (tail) {
            const group_view last = t.group(rows - 1, t.groups_per_row() - 1);
            for (int i = int(tail); i < G; ++i) {
              REQUIRE(last.sign(i) == 0);
              REQUIRE(last.magnitude(i) == 0);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("Eigen inputs: half and float, any storage order or expression", "[storage]") {
  const Eigen::MatrixXf x = Eigen::MatrixXf::Random(5, 130) * 3.0f;
  const format fmt{32, 6, rounding::nearest_away};
  const auto from_float = encode(fmt, x);
  const Eigen::Matrix<Eigen::half, Eigen::Dynamic, Eigen::Dynamic> xh = x.cast<Eigen::half>();
  const auto from_half = encode(fmt, xh);
  const auto from_expr = encode(fmt, x.transpose().transpose() * 1.0f);
  CHECK(std::ranges::equal(from_float.planes(), from_half.planes()));
  CHECK(std::ranges::equal(from_float.planes(), from_expr.planes()));
  CHECK(std::ranges::equal(from_float.exponents(), from_half.exponents()));
  const Eigen::MatrixXf y = from_float.decode_float();
  CHECK(y.rows() == 5);
  CHECK(y.cols() == 130);
  CHECK(y == from_half.decode_fp16().cast<float>());
  CHECK(y == quantize(fmt, x));
  CHECK(y.row(2) == quantize(fmt, x.row(2)));  // rows are independent
}

TEST_CASE("floats of either storage order and blocks with an outer stride encode alike",
          "[storage]") {
  const Eigen::MatrixXf big = Eigen::MatrixXf::Random(70, 300) * 300.0f;
  const auto x = big.block(3, 5, 37, 261);  // outer stride 70; neither size a multiple of 16
  const format fmt{64, 7};
  std::vector<std::uint16_t> bits(37 * 261);  // the expected FP16, one value at a time
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      bits[std::size_t(r * 261 + c)] = fp16::from_float(x(r, c)).bits();
  const activation_tensor expected = encode(fmt, bits.data(), 37, 261, 261);
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> by_row = x;
  for (const kernels::backend* b : runnable_backends()) {  // each one's float conversions
    INFO(b->name);
    for (const activation_tensor& t : {encode(fmt, x, *b), encode(fmt, by_row, *b),
                                       encode_float_columns(fmt, x.data(), 37, 261, 70, *b),
                                       encode_float(fmt, by_row.data(), 37, 261, 261, *b)}) {
      CHECK(std::ranges::equal(t.planes(), expected.planes()));
      CHECK(std::ranges::equal(t.exponents(), expected.exponents()));
    }
  }
  CHECK_THROWS_AS(encode_float_columns(fmt, x.data(), 37, 261, 36), shape_error);
}

TEST_CASE("a row stride below the row length is refused", "[storage]") {
  const std::vector<std::uint16_t> bits(64, 0x3C00);
  CHECK_THROWS_AS(encode(format{8, 4}, bits.data(), 4, 16, 8), shape_error);
  CHECK_NOTHROW(encode(format{8, 4}, bits.data(), 1, 16, 8));  // one row
}

TEST_CASE("encode of floats: a finite value past FP16 is named as an overflow", "[storage]") {
  // 1e6 was reported as "non-finite input (Inf or NaN)": it is finite, and overflowed FP16.
  Eigen::MatrixXf x = Eigen::MatrixXf::Constant(2, 16, 1.0f);
  x(1, 9) = 1e6f;
  try {
    (void)encode(format{8, 4}, x);
    FAIL("no error");
  } catch (const nonfinite_error& e) {
    CHECK(e.fp16_overflow());
    CHECK(e.row() == 1);
    CHECK(e.group() == 1);
    CHECK(e.column() == 9);
    CHECK(std::string(e.what()) ==
          "input 1000000 overflows FP16 (largest finite 65504; it rounds to Inf) at row 1, group 1 "
          "(column 9) under nonfinite::reject");
  }
  x(1, 9) = 65519.0f;  // rounds to 65504: no overflow
  CHECK_NOTHROW(encode(format{8, 4}, x));
  x(1, 9) = -65520.0f;  // rounds to -Inf
  CHECK_THROWS_WITH(encode(format{8, 4}, x), Catch::StartsWith("input -65520 overflows FP16"));
  x(1, 9) = std::numeric_limits<float>::infinity();  // an Inf input stays an Inf input
  try {
    (void)encode(format{8, 4}, x);
    FAIL("no error");
  } catch (const nonfinite_error& e) {
    CHECK_FALSE(e.fp16_overflow());
    CHECK_THAT(e.what(), Catch::StartsWith("non-finite input (Inf or NaN) at row 1, group 1"));
  }
}
