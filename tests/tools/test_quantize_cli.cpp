// `anda quantize` end to end: the microxcaling cases through the command line, the report, and
// a one-line error with no output file for every kind of bad input.
#include <catch2/catch.hpp>

#include <anda/io/npy.hpp>
#include <anda/kernels/registry.hpp>
#include <anda/storage/activation_tensor.hpp>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
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

// Issue 15, items 2 and 7: every output file follows include/anda/io/output_file.hpp. The
// failing inputs first: a name that leaves no room for a ".partial" suffix, a symlink (its
// target must be written, the link kept), a FIFO (written directly, never replaced).
TEST_CASE("quantize -o: long names, symlinks, FIFOs, directories", "[cli][output]") {
  const temp_dir tmp;
  const std::string in = tmp / "x.npy";
  std::vector<float> v(128);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.37f * float(i);
  write_f32(in, v, {2, 64});
  const std::string q = "quantize --group 64 --mantissa 7 " + in + " -o ";

  // 250 characters + ".npy" = 254 <= NAME_MAX: fine, and no temporary file left beside it.
  const std::string long_name = tmp / (std::string(250, 'a') + ".npy");
  const auto r1 = run(q + "\"" + long_name + "\"");
  INFO(r1.output);
  CHECK(r1.status == 0);
  CHECK(fs::is_regular_file(long_name));
  CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator{}) == 2);

  // A symlink is written through: the target holds the result, the link stays a link.
  const std::string target = tmp / "target.npy", link = tmp / "link.npy";
  { std::ofstream(target) << "old"; }
  fs::create_symlink(target, link);
  const auto r2 = run(q + link);
  INFO(r2.output);
  CHECK(r2.status == 0);
  CHECK(fs::is_symlink(link));
  CHECK(read_f32(target).size() == 128);
  // A dangling symlink: its target is created.
  const std::string dangling = tmp / "dangling.npy", made = tmp / "made.npy";
  fs::create_symlink(made, dangling);
  CHECK(run(q + dangling).status == 0);
  CHECK(fs::is_symlink(dangling));
  CHECK(read_f32(made).size() == 128);

  // A FIFO is written directly (a reader drains it) and stays a FIFO.
  const std::string fifo = tmp / "pipe", drained = tmp / "drained.npy";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  const auto r3 =
      run(q + fifo, "timeout 10 cat '" + fifo + "' > '" + drained + "' 2>/dev/null </dev/null &");
  INFO(r3.output);
  CHECK(r3.status == 0);
  CHECK(fs::is_fifo(fifo));
  for (int i = 0; i < 100 && (!fs::exists(drained) || fs::file_size(drained) < 640); ++i)
    usleep(50000);
  CHECK(read_f32(drained).size() == 128);

  // A directory is an error naming it.
  const auto r4 = run(q + tmp.path.string());
  CHECK(one_line_error(r4));
  CHECK_THAT(r4.output, Catch::Contains(tmp.path.string() + ": is a directory"));
  CHECK(fs::is_directory(tmp.path));
}

// A device is written directly: /dev/full gives a write error (exit 1) and stays a device.
// (Before the fix, as root, the rename turned /dev/full into a regular file: not run against
// the old tool for that reason; the FIFO case above covers the same rule.)
TEST_CASE("quantize -o /dev/full: a write error, the device kept", "[cli][output]") {
  const temp_dir tmp;
  const std::string in = tmp / "x.npy";
  write_f32(in, std::vector<float>(64, 1.0f), {64});
  const auto r = run("quantize --group 64 --mantissa 7 " + in + " -o /dev/full");
  CHECK(one_line_error(r));
  CHECK_THAT(r.output, Catch::Contains("/dev/full: write error"));
  CHECK(fs::is_character_file("/dev/full"));
  CHECK(run("quantize --group 64 --mantissa 7 " + in + " -o /dev/null").status == 0);
  CHECK(fs::is_character_file("/dev/null"));
}

// Items 9 and 10: counts are whole numbers in range (no wrap of -1 to 2^64 - 1), and an unknown
// subcommand is named.
TEST_CASE("gemm: negative and oversized counts are refused", "[cli]") {
  const temp_dir tmp;
  const std::string x = tmp / "x.npy", w = tmp / "w.npy";
  write_f32(x, std::vector<float>(128, 0.5f), {1, 128});
  write_f32(w, std::vector<float>(256, 0.25f), {2, 128});
  const std::string g = "gemm " + x + " " + w + " -o " + (tmp / "y.npy") + " --mantissa 7";
  for (const char* bad : {" --weight-group -1", " --threads -4", " --threads 0",
                          " --weight-group 99999999999999999999", " --weight-group 1.5"}) {
    const auto r = run(g + bad);
    INFO(bad << "\n" << r.output);
    CHECK(one_line_error(r));
    CHECK(!fs::exists(tmp / "y.npy"));
  }
  CHECK(run(g + " --weight-group 128 --threads 2").status == 0);
}

TEST_CASE("anda bogus names the unknown command", "[cli]") {
  const auto r = run("bogus --json");
  CHECK(one_line_error(r));
  CHECK_THAT(r.output, Catch::Contains("unknown command 'bogus'"));
}
