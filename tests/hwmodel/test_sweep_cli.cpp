// `anda sweep` end to end (issue 17): a three-field sweep as CSV, JSON and SVG; a point equal to
// `anda whatif` on the same hardware; Pareto flags against brute force; one-line errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "run_tool.hpp"
#include "xml_checker.hpp"

namespace {

using result = anda::test::tool_result;

result run_tool(const std::string& args, bool with_stderr = false) {
  return anda::test::run_tool(args, "", with_stderr);
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("anda_sweep_test_" + name);
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = temp_path(name);
  std::ofstream f(path);
  f << text;
  return path.string();
}

bool one_line_error(const result& r) {
  return r.status == 1 && r.output.rfind("anda: error: ", 0) == 0 &&
         std::count(r.output.begin(), r.output.end(), '\n') == 1;
}

const char* const three_fields =
    R"({"rows": [8, 16, 32], "clock_mhz": [285, 500], "act_buffer_mb": [0.5, 1, 2]})";

}  // namespace

TEST_CASE("anda sweep: a three-field sweep as CSV, JSON and SVG", "[hwmodel][cli][sweep]") {
  const auto hw = write_file("three.json", three_fields);
  const auto svg = temp_path("front.svg");
  std::filesystem::remove(svg);
  const auto csv =
      run_tool("sweep --hardware \"" + hw + "\" --csv --plot \"" + svg.string() + "\"");
  REQUIRE(csv.status == 0);
  // A header and one row per point (3 x 2 x 3) and design (8); the swept fields as columns, in
  // the file's order.
  CHECK(std::count(csv.output.begin(), csv.output.end(), '\n') == 1 + 18 * 8);
  CHECK(csv.output.rfind("point,model,modules,group,rows,clock_mhz,act_buffer_mb,design,latency_s,"
                         "energy_j,area_mm2,cycles,pareto\n",
                         0) == 0);
  std::ifstream f(svg);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK(anda::test::well_formed_svg(ss.str()));
  CHECK(ss.str().find("paper") != std::string::npos);
  CHECK(ss.str().find("Pareto front") != std::string::npos);

  const auto j = nlohmann::json::parse(run_tool("sweep --hardware \"" + hw + "\" --json").output);
  CHECK(j.at("swept") == nlohmann::json::array({"rows", "clock_mhz", "act_buffer_mb"}));
  const auto& points = j.at("points");
  REQUIRE(points.size() == 18);
  // Every combination once.
  std::vector<std::array<double, 3>> seen;
  for (const auto& p : points) {
    seen.push_back({p.at("rows").get<double>(), p.at("clock_mhz").get<double>(),
                    p.at("act_buffer_mb").get<double>()});
    for (const char* d :
         {"fp-fp", "fp-int", "ifpu", "figna", "figna-m11", "figna-m8", "bfp4", "anda"})
      for (const char* k : {"latency_s", "energy_j", "area_mm2"})
        CHECK(p.at("designs").at(d).at(k).get<double>() > 0);
    CHECK(p.at("pareto").is_boolean());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::unique(seen.begin(), seen.end()) == seen.end());
  // Area follows the array and the buffers: more rows or a bigger buffer costs area.
  auto area = [&points](double rows, double mb) {
    for (const auto& p : points)
      if (p.at("rows") == rows && p.at("act_buffer_mb") == mb && p.at("clock_mhz") == 285.0)
        return p.at("designs").at("anda").at("area_mm2").get<double>();
    return 0.0;
  };
  CHECK(area(8, 1) < area(16, 1));
  CHECK(area(16, 1) < area(32, 1));
  CHECK(area(16, 0.5) < area(16, 1));
  // The table: the front and the paper's design point.
  const auto table = run_tool("sweep --hardware \"" + hw + "\"");
  REQUIRE(table.status == 0);
  CHECK(table.output.find("anda sweep: 18 points (3 rows x 2 clock_mhz x 3 act_buffer_mb)") !=
        std::string::npos);
  CHECK(table.output.find("the paper's accelerator at (") != std::string::npos);
  std::filesystem::remove(hw);
  std::filesystem::remove(svg);
}

TEST_CASE("anda sweep: a point equals anda whatif on that hardware", "[hwmodel][cli][sweep]") {
  const auto hw = write_file("whatif.json", three_fields);
  const auto j = nlohmann::json::parse(
      run_tool("sweep --hardware \"" + hw + "\" --json --modules 7,6,6,6 --modules 9,7,8,8")
          .output);
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The paper's design point: the built-in accelerator, no file.
      {R"({"rows": 16, "clock_mhz": 285, "act_buffer_mb": 1})", ""},
      {R"({"rows": 8, "clock_mhz": 500, "act_buffer_mb": 0.5})", R"({"rows": 8,
          "clock_mhz": 500, "act_buffer_mb": 0.5})"},
      {R"({"rows": 32, "clock_mhz": 285, "act_buffer_mb": 2})", R"({"rows": 32,
          "act_buffer_mb": 2})"}};
  for (const auto& [where, file] : cases) {
    const auto want = nlohmann::json::parse(where);
    for (const char* modules : {"7,6,6,6", "9,7,8,8"}) {
      INFO(where << " " << modules);
      std::string args = "whatif --json --modules ";
      args += modules;
      if (!file.empty()) {
        args += " --hardware \"";
        args += write_file("point.json", file);
        args += '"';
      }
      const auto w = nlohmann::json::parse(run_tool(args).output);
      const auto tuple = nlohmann::json::parse(std::string("[") + modules + "]");
      int found = 0;
      for (const auto& p : j.at("points")) {
        if (p.at("rows") != want.at("rows") || p.at("clock_mhz") != want.at("clock_mhz") ||
            p.at("act_buffer_mb") != want.at("act_buffer_mb") || p.at("modules") != tuple)
          continue;
        ++found;
        for (const auto& [name, d] : w.at("designs").items()) {
          INFO(name);
          CHECK(p.at("designs").at(name).at("latency_s") == d.at("latency_s"));
          CHECK(p.at("designs").at(name).at("energy_j") == d.at("energy_j"));
          CHECK(p.at("designs").at(name).at("area_mm2") == d.at("area_mm2"));
          CHECK(p.at("designs").at(name).at("cycles") == d.at("cycles"));
        }
      }
      CHECK(found == 1);
    }
  }
  std::filesystem::remove(hw);
  std::filesystem::remove(temp_path("point.json"));
}

TEST_CASE("anda sweep: Pareto flags equal a brute-force dominance check", "[hwmodel][cli][sweep]") {
  // Lists that trade latency, energy and area against each other, with two models (the front is
  // per model), two tuples and two group sizes.
  const auto hw = write_file("pareto.json", R"({"rows": [8, 16, 24, 32], "cols": [16, 32],
      "clock_mhz": [200, 285, 700], "act_buffer_mb": [0.25, 1, 3], "dram_gb_per_s": [64, 512],
      "dram_pj_per_bit": [2.5, 3.9]})");
  const auto j = nlohmann::json::parse(run_tool("sweep --hardware \"" + hw +
                                                "\" --json --model llama2-7b,opt-1.3b "
                                                "--mantissa 5,7 --group 32,128")
                                           .output);
  const auto& points = j.at("points");
  REQUIRE(points.size() == 2 * 2 * 2 * 4 * 2 * 3 * 3 * 2 * 2);
  struct anda_point {
    std::string model;
    std::array<double, 3> cost;  // latency, energy, area
    bool pareto;
  };
  std::vector<anda_point> v;
  for (const auto& p : points) {
    const auto& a = p.at("designs").at("anda");
    v.push_back({p.at("model").get<std::string>(),
                 {a.at("latency_s").get<double>(), a.at("energy_j").get<double>(),
                  a.at("area_mm2").get<double>()},
                 p.at("pareto").get<bool>()});
  }
  std::size_t on_front = 0;
  for (const auto& p : v) {
    bool dominated = false;
    for (const auto& q : v) {
      if (q.model != p.model) continue;
      bool le = true, lt = false;
      for (int k = 0; k < 3; ++k)
        le = le && q.cost[k] <= p.cost[k], lt = lt || q.cost[k] < p.cost[k];
      dominated = dominated || (le && lt);
    }
    CHECK(p.pareto == !dominated);
    on_front += dominated ? 0 : 1;
  }
  CHECK(on_front > 2);
  CHECK(on_front < points.size());
  std::filesystem::remove(hw);
}

TEST_CASE("anda sweep: bad files and options are one line and exit 1", "[hwmodel][cli][sweep]") {
  const std::vector<std::pair<std::string, std::string>> files = {
      {R"({"rows": [8, 16], "colz": 4})", "field 'colz': unknown field"},
      {R"({"rows": [8, "16"]})", "field 'rows': wants a number, got a string"},
      {R"({"rows": [8, -16]})", "field 'rows': wants a whole number in [1, 4096], got -16"},
      {R"({"act_buffer_mb": [0, 1]})", "field 'act_buffer_mb': wants a number in (0, "},
      {R"({"clock_mhz": []})", "field 'clock_mhz': an empty list"},
      {R"({"pe": {"anda": {"area_ratio": [0.2, {}]}}})",
       "field 'pe.anda.area_ratio': wants a number, got an object"}};
  for (const auto& [text, what] : files) {
    const auto path = write_file("bad.json", text);
    const auto r = run_tool("sweep --hardware \"" + path + "\"", true);
    INFO(text << "\n" << r.output);
    CHECK(one_line_error(r));
    CHECK(r.output.find("anda: error: " + path + ": " + what) != std::string::npos);
  }
  // 4096 x 100 x 300 = 122,880,000 points: refused, saying how many.
  std::vector<int> rows(4096), clocks(100), mbs(300);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i + 1);
  for (std::size_t i = 0; i < clocks.size(); ++i) clocks[i] = static_cast<int>(i + 100);
  for (std::size_t i = 0; i < mbs.size(); ++i) mbs[i] = static_cast<int>(i + 1);
  const nlohmann::json big = {{"rows", rows}, {"clock_mhz", clocks}, {"act_buffer_mb", mbs}};
  const auto r = run_tool("sweep --hardware \"" + write_file("big.json", big.dump()) + "\"", true);
  CHECK(one_line_error(r));
  CHECK(r.output.find("a sweep of 122880000 points is more than the 100000000 (10^8) allowed") !=
        std::string::npos);
  for (const char* args :
       {"sweep --model gpt-5", "sweep --modules 1,2,3", "sweep --group 48", "sweep --mantissa 0",
        "sweep --phase train", "sweep --json --csv", "sweep --tokens 0"}) {
    const auto e = run_tool(args, true);
    INFO(args << "\n" << e.output);
    CHECK(one_line_error(e));
  }
  std::filesystem::remove(temp_path("bad.json"));
  std::filesystem::remove(temp_path("big.json"));
}

// Issue 17 part 4: decode with a KV cache (our extension). Off by default: the CSV header and rows
// are those without the option; --batch takes a list, one Pareto front per model and batch, and
// the attention columns appear only with --kv-cache.
TEST_CASE("anda sweep --kv-cache --batch: off by default, a list of batches",
          "[hwmodel][cli][sweep][kv]") {
  const auto hw = write_file("kv.json", R"({"rows": [8, 16]})");
  const std::string base = "sweep --hardware \"" + hw + "\" --phase decode --tokens 4096";
  const auto plain = run_tool(base + " --csv");
  REQUIRE(plain.status == 0);
  CHECK(plain.output.rfind("point,model,modules,group,rows,design,latency_s,energy_j,area_mm2,"
                           "cycles,pareto\n",
                           0) == 0);
  CHECK(run_tool(base + " --csv --batch 1").output == plain.output);
  CHECK(run_tool(base + " --json --batch 1").output == run_tool(base + " --json").output);
  CHECK(run_tool(base + " --batch 1").output == run_tool(base).output);

  const auto kv = run_tool(base + " --csv --kv-cache --batch 1,8,32");
  REQUIRE(kv.status == 0);
  CHECK(kv.output.rfind("point,model,batch,modules,group,rows,design,latency_s,energy_j,area_mm2,"
                        "cycles,pareto,attention_latency_s,attention_energy_j\n",
                        0) == 0);
  CHECK(std::count(kv.output.begin(), kv.output.end(), '\n') == 1 + 3 * 2 * 8);

  const auto j = nlohmann::json::parse(run_tool(base + " --json --kv-cache --batch 1,8").output);
  CHECK(j.at("kv_cache") == "our extension (not in the paper)");
  const auto& points = j.at("points");
  REQUIRE(points.size() == 4);
  // Batch outermost after the model: points 0-1 are batch 1, 2-3 batch 8; one front each, and on
  // one array size the larger array is at least as fast, so each batch has a point on its front.
  CHECK(points[0].at("batch") == 1);
  CHECK(points[2].at("batch") == 8);
  CHECK((points[0].at("pareto").get<bool>() || points[1].at("pareto").get<bool>()));
  CHECK((points[2].at("pareto").get<bool>() || points[3].at("pareto").get<bool>()));
  for (const auto& p : points) {
    const auto& a = p.at("designs").at("anda");
    CHECK(a.at("attention_latency_s").get<double>() > 0);
    CHECK(a.at("attention_latency_s").get<double>() < a.at("latency_s").get<double>());
  }
  // A point equals `anda whatif` on the same settings, attention included.
  const auto w = nlohmann::json::parse(
      run_tool("whatif --json --phase decode --tokens 4096 --kv-cache --batch 8 --modules 7,6,6,6")
          .output);
  CHECK(points[3].at("designs").at("anda").at("latency_s") ==
        w.at("designs").at("anda").at("latency_s"));
  // (to the last bit but one: the compiler may fuse the calibration's multiply-adds differently)
  CHECK(points[3].at("designs").at("anda").at("attention_energy_j").get<double>() ==
        Approx(w.at("designs").at("anda").at("attention").at("energy_j").get<double>())
            .epsilon(1e-14));

  const auto table = run_tool(base + " --kv-cache --batch 1,8");
  CHECK(table.output.find("per model and batch") != std::string::npos);
  CHECK(table.output.find("of which attention, our extension (not in the paper)") !=
        std::string::npos);
  CHECK(one_line_error(run_tool("sweep --kv-cache", true)));
  CHECK(one_line_error(run_tool("sweep --phase decode --batch 1,0", true)));
  std::filesystem::remove(hw);
}
