// Every case of tests/data/oracles/mx (microxcaling) reproduced exactly through the library.
#include <catch2/catch.hpp>

#include <anda/io/npy.hpp>
#include <anda/kernels/encode.hpp>
#include <anda/storage/activation_tensor.hpp>

#include <nlohmann/json.hpp>

#include <fstream>

#include "mx_cases.hpp"

using namespace anda;

TEST_CASE("microxcaling oracle vectors match exactly", "[oracle]") {
  const auto cases = test::mx_cases();
  REQUIRE(cases.size() == 20);
  for (const auto& c : cases) {
    const io::npy_array in = io::read_npy(c.input);
    const io::npy_array expected = io::read_npy(c.expected);
    REQUIRE(in.dtype == io::npy_dtype::float16);
    REQUIRE(expected.dtype == io::npy_dtype::float32);
    REQUIRE(in.shape == expected.shape);
    const std::size_t rows = in.shape[0], cols = in.shape[1];
    const auto* bits = reinterpret_cast<const std::uint16_t*>(in.data.data());
    const auto* want = reinterpret_cast<const float*>(expected.data.data());
    for (const auto* k : test::runnable_backends()) {
      const auto t = encode(format{c.G, c.M, c.round}, bits, rows, cols, cols, *k);
      std::vector<float> got(rows * cols);
      t.decode_to(got.data(), cols);
      std::size_t mismatches = 0;
      for (std::size_t i = 0; i < got.size(); ++i) mismatches += got[i] != want[i];  // -0 == +0
      INFO(c.id << " with the " << k->name << " kernel");
      CHECK(mismatches == 0);
    }
  }
}
