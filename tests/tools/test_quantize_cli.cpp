// `anda quantize` end to end: the microxcaling cases through the command line, the report, and
// a one-line error with no output file for every kind of bad input.
#include <catch2/catch.hpp>

#include <anda/io/npy.hpp>
#include <anda/kernels/registry.hpp>
#include <anda/storage/activation_tensor.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "mx_cases.hpp"
#include "run_tool.hpp"

namespace fs = std::filesystem;
using namespace anda;

namespace {

using result = test::tool_result;
result run(const std::string& args, const std::string& env = "") {
  return test::run_tool(args, env);
}

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("anda_cli_" + std::to_string(getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// A float32 .npy of the given shape and values.
void write_f32(const std::string& path, const std::vector<float>& v,
               std::vector<std::size_t> shape) {
  write_bytes(path, io::format_npy(v, shape));
}

std::vector<float> read_f32(const std::string& path) {
  const auto a = io::read_npy(path);
  REQUIRE(a.dtype == io::npy_dtype::float32);
  std::vector<float> v(a.size());
  std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

bool one_line_error(const result& r) {
  return r.status == 1 && r.output.rfind("anda: error: ", 0) == 0 &&
         r.output.find('\n') == r.output.size() - 1;
}

}  // namespace

TEST_CASE("anda quantize reproduces every microxcaling case", "[cli][oracle]") {
  temp_dir dir;
  for (const auto& c : test::mx_cases()) {
    const std::string out = dir / (c.id + ".npy");
    const auto r = run("quantize --group " + std::to_string(c.G) + " --mantissa " +
                       std::to_string(c.M) + " --rounding " + std::string(to_string(c.round)) +
                       " " + c.input + " -o " + out + " --json");
    INFO(c.id << ": " << r.output);
    REQUIRE(r.status == 0);
    const auto report = nlohmann::json::parse(r.output);
    CHECK(report.at("bits_per_element") == Approx(1 + c.M + 8.0 / c.G));
    CHECK(report.at("elements") == 64 * 4 * c.G);
    CHECK(report.at("max_abs_error").get<double>() >= 0);
    const auto got = read_f32(out);
    const auto want = read_f32(c.expected);
    REQUIRE(got.size() == want.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < got.size(); ++i) mismatches += got[i] != want[i];
    CHECK(mismatches == 0);
  }
}

TEST_CASE("anda quantize: float32 1-D input, the report, and the ISA override", "[cli]") {
  temp_dir dir;
  std::vector<float> x(100);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(float(i)) * (i == 7 ? 50.0f : 1.0f);
  x[3] = 1e-4f;  // an FP16 subnormal, flushed to zero by Anda at M = 4 under the outlier 50
  write_f32(dir / "x.npy", x, {100});
  const auto r =
      run("quantize -g 32 -m 4 --rounding nearest_even " + dir / "x.npy" + " -o " + dir / "y.npy");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("bits per element   5.2500") && Catch::Contains("SQNR"));
  const Eigen::Map<const Eigen::RowVectorXf> xm(x.data(), 100);
  const Eigen::MatrixXf expected = quantize(format{32, 4, rounding::nearest_even}, xm);
  const auto y = read_f32(dir / "y.npy");
  for (int i = 0; i < 100; ++i) CHECK(y[i] == expected(0, i));

  const auto j = nlohmann::json::parse(
      run("quantize -g 32 -m 4 " + dir / "x.npy" + " -o " + dir / "z.npy --json").output);
  CHECK(j.at("flushed_to_zero_count").get<int>() >= 1);
  CHECK(j.at("saturations") == 0);  // truncation never saturates

  const auto scalar =
      run("quantize -g 32 -m 4 --rounding nearest_even " + dir / "x.npy" + " -o " + dir / "s.npy",
          "ANDA_ISA=scalar");
  REQUIRE(scalar.status == 0);
  CHECK(read_f32(dir / "s.npy") == y);
  CHECK(one_line_error(
      run("quantize -g 32 -m 4 " + dir / "x.npy" + " -o " + dir / "b.npy", "ANDA_ISA=sse9")));
  CHECK_FALSE(fs::exists(dir / "b.npy"));
}

TEST_CASE("anda quantize: saturation and non-finite policies", "[cli]") {
  temp_dir dir;
  std::vector<float> x = {1.9990234375f, 0.5f, -1.0f, 0.25f, 1.0f, 1.0f, 1.0f, 1.0f};
  write_f32(dir / "sat.npy", x, {1, 8});
  auto j = nlohmann::json::parse(run("quantize -g 8 -m 4 --rounding nearest_away " +
                                     dir / "sat.npy -o " + dir / "o.npy --json")
                                     .output);
  CHECK(j.at("saturations") == 1);

  x[5] = std::numeric_limits<float>::quiet_NaN();
  write_f32(dir / "nan.npy", x, {1, 8});
  const auto rejected = run("quantize -g 8 -m 4 " + dir / "nan.npy -o " + dir / "n.npy");
  CHECK(one_line_error(rejected));
  CHECK_THAT(rejected.output, Catch::Contains("row 0, group 0"));
  CHECK_FALSE(fs::exists(dir / "n.npy"));
  const auto kept =
      run("quantize -g 8 -m 4 --nonfinite propagate " + dir / "nan.npy -o " + dir / "n.npy --json");
  REQUIRE(kept.status == 0);
  CHECK(nlohmann::json::parse(kept.output).at("nonfinite_groups") == 1);
  for (float v : read_f32(dir / "n.npy")) CHECK(std::isnan(v));
}

TEST_CASE("anda quantize: bad input gives one line, a non-zero exit and no output", "[cli]") {
  temp_dir dir;
  write_f32(dir / "ok.npy", std::vector<float>(16, 1.0f), {2, 8});
  write_f32(dir / "cube.npy", std::vector<float>(8, 1.0f), {2, 2, 2});
  auto bytes = io::format_npy(std::vector<float>(16, 1.0f), {2, 8});
  bytes.resize(bytes.size() - 4);
  write_bytes(dir / "truncated.npy", bytes);
  bytes.resize(20);
  write_bytes(dir / "short_header.npy", bytes);
  write_bytes(dir / "text.npy", {'h', 'e', 'l', 'l', 'o', '\n', 0, 0, 0, 0, 0});
  const std::string out = " -o " + dir / "out.npy";
  const std::pair<std::string, std::string> bad[] = {
      {"quantize -g 48 -m 4 " + dir / "ok.npy" + out, "G = 48"},
      {"quantize -g 64 -m 0 " + dir / "ok.npy" + out, "M = 0"},
      {"quantize -g 64 -m 17 " + dir / "ok.npy" + out, "M = 17"},
      {"quantize -g 64 -m 4 --rounding nearest " + dir / "ok.npy" + out, "nearest"},
      {"quantize -g 64 -m 4 --nonfinite ignore " + dir / "ok.npy" + out, "ignore"},
      {"quantize -g 64 " + dir / "ok.npy" + out, "--mantissa"},
      {"quantize -g 64 -m 4 " + dir / "missing.npy" + out, "cannot open"},
      {"quantize -g 64 -m 4 " + dir / "truncated.npy" + out, "truncated data"},
      {"quantize -g 64 -m 4 " + dir / "short_header.npy" + out, "truncated .npy header"},
      {"quantize -g 64 -m 4 " + dir / "text.npy" + out, "bad magic"},
      {"quantize -g 64 -m 4 " + dir / "cube.npy" + out, "1-D or 2-D"},
      {"quantize -g 64 -m 4 " + dir / "ok.npy" + " -o " + dir / "no/such/dir/out.npy",
       "cannot open"},
  };
  for (const auto& [args, what] : bad) {
    const auto r = run(args);
    INFO(args << "\n" << r.output);
    CHECK(one_line_error(r));
    CHECK_THAT(r.output, Catch::Contains(what));
    CHECK_FALSE(fs::exists(dir / "out.npy"));
  }
}

TEST_CASE("anda backends: every backend of the build, which run here, and ANDA_ISA", "[cli]") {
  const auto listed = run("backends --json");
  REQUIRE(listed.status == 0);
  const auto j = nlohmann::json::parse(listed.output);
  const auto all = kernels::backends();
  REQUIRE(j["backends"].size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(j["backends"][i]["name"] == std::string(all[i]->name));
    CHECK(j["backends"][i]["supported"] == all[i]->supported());
    CHECK(j["backends"][i]["missing"] == all[i]->missing());
  }
  CHECK(j["selected"] == std::string(kernels::best_backend().name));
  for (const auto* b : all) {
    const auto chosen = run("backends --json", "ANDA_ISA=" + std::string(b->name));
    if (b->supported()) {
      REQUIRE(chosen.status == 0);
      CHECK(nlohmann::json::parse(chosen.output)["selected"] == std::string(b->name));
    } else {
      CHECK(one_line_error(chosen));
      CHECK(chosen.output.find("this CPU lacks " + b->missing()) != std::string::npos);
    }
  }
  const auto unknown = run("backends", "ANDA_ISA=sse9");
  CHECK(one_line_error(unknown));
  CHECK(unknown.output.find("ANDA_ISA=sse9 is not a known backend") != std::string::npos);
}
