// The .npy reader and writer: round trips, and one clear error for every way a file can be bad.
#include <catch2/catch.hpp>

#include <anda/io/npy.hpp>

#include <string>

using namespace anda::io;

namespace {

std::vector<std::uint8_t> image(const std::string& header_dict, std::size_t data_bytes,
                                std::uint8_t major = 1) {
  std::string header = header_dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::vector<std::uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  for (std::size_t i = 0; i < prefix - 8; ++i)
    out.push_back(std::uint8_t(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0x3C);
  return out;
}

const std::string good = "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }";

}  // namespace

TEST_CASE("npy: float32 round trip and float16 reading", "[npy]") {
  const std::vector<float> v = {1.5f, -2.0f, 0.0f, 3.25f, 1e-3f, -0.0f};
  for (const auto& shape : {std::vector<std::size_t>{6}, std::vector<std::size_t>{2, 3}}) {
    const auto bytes = format_npy(v, shape);
    CHECK(bytes.size() % 64 == 24);  // header block padded to 64 bytes, then 24 data bytes
    const npy_array a = parse_npy(bytes, "x.npy");
    CHECK(a.dtype == npy_dtype::float32);
    CHECK(a.shape == shape);
    REQUIRE(a.data.size() == 24);
    CHECK(std::memcmp(a.data.data(), v.data(), 24) == 0);
  }
  const npy_array h = parse_npy(image(good, 12), "h.npy");
  CHECK(h.dtype == npy_dtype::float16);
  CHECK(h.size() == 6);
  CHECK(parse_npy(image(good, 12, 2), "v2.npy").shape == std::vector<std::size_t>{2, 3});
  CHECK(parse_npy(image("{\"shape\": (4,), \"fortran_order\": False, \"descr\": \"<f4\"}", 16),
                  "q.npy")
            .size() == 4);
}

TEST_CASE("npy: malformed, truncated and unsupported files are refused by name", "[npy]") {
  auto refuse = [](const std::vector<std::uint8_t>& bytes, const std::string& what) {
    INFO("expecting: " << what);
    CHECK_THROWS_WITH(parse_npy(bytes, "bad.npy"),
                      Catch::Contains("bad.npy") && Catch::Contains(what));
  };
  const auto ok = image(good, 12);
  refuse({}, "bad magic");
  refuse({0x93, 'N', 'U', 'M', 'P', 'X', 1, 0, 0, 0}, "bad magic");
  refuse(image(good, 12, 4), "version 4");
  refuse(std::vector<std::uint8_t>(ok.begin(), ok.begin() + 9), "bad magic");  // under 10 bytes
  refuse(std::vector<std::uint8_t>(ok.begin(), ok.begin() + 40), "truncated .npy header");
  refuse(std::vector<std::uint8_t>(ok.begin(), ok.end() - 1), "truncated data");
  auto extra = ok;
  extra.push_back(0);
  refuse(extra, "unexpected bytes");
  auto lying = ok;
  lying[8] = 0xFF;  // header length beyond the file
  lying[9] = 0x7F;
  refuse(lying, "exceeds the file");
  auto no_newline = ok;
  no_newline[10 + ok[8] + 256 * ok[9] - 1] = ' ';  // the header's last byte
  refuse(no_newline, "newline");
  refuse(image("{'descr': '>f2', 'fortran_order': False, 'shape': (2, 3), }", 12), "dtype '>f2'");
  refuse(image("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48), "dtype '<f8'");
  refuse(image("{'descr': '<f2', 'fortran_order': True, 'shape': (2, 3), }", 12), "fortran_order");
  refuse(image("{'descr': '<f2', 'shape': (2, 3), }", 12), "lacks");
  refuse(image("{'descr': '<f2', 'fortran_order': False, 'shape': (), }", 2), "0-dimensional");
  refuse(image("{'descr': '<f2', 'fortran_order': False, 'shape': (2, -3), }", 12), "integer");
  refuse(image("{'descr': '<f2', 'fortran_order': Maybe, 'shape': (2, 3), }", 12), "True or False");
  refuse(image("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 12), "'x'");
  refuse(image("{'descr': '<f2' 'fortran_order': False, 'shape': (2, 3)}", 12), "expected ','");
  refuse(
      image("{'descr': '<f2', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", 0),
      "too large");
  CHECK_THROWS_WITH(read_npy("/nonexistent/file.npy"), Catch::Contains("cannot open"));
}
