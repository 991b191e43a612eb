// The .npy reader and writer: round trips, and one clear error for every way a file can be bad.
#include <catch2/catch.hpp>

#include <anda/io/npy.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
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

TEST_CASE("npy: an empty array or a shape past what size_t holds is refused up front", "[npy]") {
  // (2^60, 0) in a 128-byte file: 0 elements, but a consumer would loop over 2^60 empty rows.
  auto refuse = [](const std::string& shape, std::size_t data_bytes, const std::string& what) {
    INFO("shape " << shape);
    CHECK_THROWS_WITH(
        parse_npy(
            image("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", data_bytes),
            "e.npy"),
        Catch::Contains("e.npy: shape ") && Catch::Contains(what));
  };
  refuse("(1152921504606846976, 0)", 0, "holds no elements");
  refuse("(0, 4096)", 0, "holds no elements");
  refuse("(0,)", 0, "holds no elements");
  refuse("(3, 0, 5)", 0, "holds no elements");
  // Products that wrap around size_t (2^62 x 4 elements x 4 bytes = 2^66) and would look small.
  refuse("(4611686018427387904, 4)", 16, "overflows size_t");
  refuse("(4294967296, 4294967296, 16)", 16, "overflows size_t");
  refuse("(4611686018427387904,)", 16, "overflows size_t");  // x 4 bytes
  // A shape that fits size_t but not the file: the sizes are named.
  CHECK_THROWS_WITH(
      parse_npy(image("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 2), }", 8),
                "e.npy"),
      Catch::Contains("truncated data (8 of 8796093022208 bytes"));
}

TEST_CASE("npy: a NUL or control byte in a header string is printed escaped", "[npy]") {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  dict[12] = '\0';  // the descr: 'f', NUL, '4'
  dict[11] = 'f';
  CHECK_THROWS_WITH(parse_npy(image(dict, 8), "n.npy"),
                    Catch::Equals("n.npy: unsupported dtype 'f\\x004' (supported: '<f2' float16, "
                                  "'<f4' float32, little-endian)"));
  std::string key = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'a\nb': 1}";
  CHECK_THROWS_WITH(parse_npy(image(key, 8), "n.npy"), Catch::Contains("key 'a\\x0ab'"));
}

namespace {

struct temp_path {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("anda_test_npy_" + std::to_string(::getpid()));
  temp_path() { std::filesystem::create_directories(path); }
  ~temp_path() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

void write_file(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST_CASE("npy: read_npy reads only regular files of bounded size, naming the path", "[npy]") {
  temp_path dir;
  const auto good_file = dir.path / "good.npy";
  write_file(good_file, image(good, 12));
  const npy_array a = read_npy(good_file);
  CHECK(a.shape == std::vector<std::size_t>{2, 3});
  CHECK(a.data == std::vector<std::uint8_t>(12, 0x3C));
  write_file(dir.path / "v3.npy", image(good, 12, 3));
  CHECK(read_npy(dir.path / "v3.npy").size() == 6);
  // The errors of parse_npy, from the file: header too long for the file, truncated data.
  auto lying = image(good, 12);
  lying[9] = 0x7F;
  write_file(dir.path / "lying.npy", lying);
  CHECK_THROWS_WITH(read_npy(dir.path / "lying.npy"), Catch::Contains("exceeds the file"));
  write_file(dir.path / "short.npy", std::vector<std::uint8_t>(lying.begin(), lying.begin() + 5));
  CHECK_THROWS_WITH(read_npy(dir.path / "short.npy"), Catch::Contains("bad magic"));
  write_file(dir.path / "text.npy", std::vector<std::uint8_t>(100, 'x'));
  CHECK_THROWS_WITH(read_npy(dir.path / "text.npy"), Catch::Contains("text.npy: not a .npy file"));
  auto cut = image(good, 11);
  write_file(dir.path / "cut.npy", cut);
  CHECK_THROWS_WITH(read_npy(dir.path / "cut.npy"),
                    Catch::Contains("cut.npy: truncated data (11 of 12 bytes"));

  // /dev/zero grew to gigabytes; a directory gave "basic_filebuf::underflow ... Is a directory".
  auto refuse = [](const std::filesystem::path& p, const std::string& what) {
    INFO(p.string());
    CHECK_THROWS_AS(read_npy(p), npy_error);
    CHECK_THROWS_WITH(read_npy(p), Catch::StartsWith(p.string() + ": ") && Catch::Contains(what));
  };
  if (std::filesystem::exists("/dev/zero")) {
    refuse("/dev/zero", "not a regular file");
    std::filesystem::create_symlink("/dev/zero", dir.path / "zero.npy");
    refuse(dir.path / "zero.npy", "not a regular file");
  }
  refuse(dir.path, "not a regular file (a directory)");
  refuse(dir.path / "missing.npy", "cannot open");
  CHECK_THROWS_WITH(read_npy(good_file, 64),
                    Catch::Contains("good.npy: 140 bytes is too large for an .npy input"));
}
