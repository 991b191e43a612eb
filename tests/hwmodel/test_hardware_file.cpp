// The accelerator as a file (issue 17): the default file is the built-in technology and gives
// every figure the built-in one gives; each field reaches its place in `technology`; bad files are
// refused naming the field and the file; the sweep's Pareto flags agree with brute force.
#include <anda/hw/comparison.hpp>
#include <anda/hw/hardware_file.hpp>
#include <anda/hw/paper_tuples.hpp>
#include <anda/hw/sweep.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "seed.hpp"

using namespace anda::hw;

namespace {

const std::string file = "hw.json";

// Every figure of one evaluation, compared exactly.
void check_same(const design_cost& a, const design_cost& b) {
  CHECK(a.cycles == b.cycles);
  CHECK(a.latency_s == b.latency_s);
  CHECK(a.area_mm2 == b.area_mm2);
  CHECK(a.macs == b.macs);
  CHECK(a.memory_bound_gemms == b.memory_bound_gemms);
  CHECK(a.first_principles.compute_j == b.first_principles.compute_j);
  CHECK(a.first_principles.sram_j == b.first_principles.sram_j);
  CHECK(a.first_principles.dram_j == b.first_principles.dram_j);
  CHECK(a.paper_calibrated.sram_j == b.paper_calibrated.sram_j);
  CHECK(a.paper_calibrated.dram_j == b.paper_calibrated.dram_j);
}

// The message of the hardware_file_error that `text` raises ("" when it raises none).
std::string error_of(const std::string& text, bool sweep = false) {
  try {
    if (sweep)
      (void)parse_hardware_sweep(text, file);
    else
      (void)parse_hardware(text, file);
  } catch (const hardware_file_error& e) {
    return e.what();
  }
  return "";
}

// {"a": {"b": v}} for the field name "a.b".
nlohmann::json nested(const std::string& name, const nlohmann::json& v) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return {{name, v}};
  return {{name.substr(0, dot), nested(name.substr(dot + 1), v)}};
}

}  // namespace

TEST_CASE("hardware file: the default file is the built-in technology", "[hwmodel][file]") {
  const technology paper{};
  const auto text = hardware_json(paper).dump(2);
  const auto read = parse_hardware(text, file);
  CHECK(read == paper);
  // The paper's numbers as the file states them (units of the file: MHz, MB, GB/s).
  const auto j = nlohmann::json::parse(text);
  CHECK(j.at("clock_mhz") == 285.0);
  CHECK(j.at("rows") == 16);
  CHECK(j.at("act_buffer_mb") == 1.0);
  CHECK(j.at("exp_buffer_mb") == 0.125);
  CHECK(j.at("dram_gb_per_s") == 256.0);
  CHECK(j.at("dram_pj_per_bit") == 3.9);
  CHECK(j.at("components").at("mxu").at("area_mm2") == 0.41);
  CHECK(j.at("pe").at("fp-int").at("area_ratio") == 1.0 / 1.59);
  CHECK(j.at("pe").at("anda").at("area_ratio") == 16.0 / 69.45);
  CHECK(j.at("sources").at("clock_mhz").get<std::string>().find("§V-A") != std::string::npos);
  // An empty file is the paper's accelerator too (every field defaults).
  CHECK(parse_hardware("{}", file) == paper);

  // Every figure the hwmodel tests check (Fig. 16/17/18, Table III: the nine paper models, both
  // tolerances, every design; decode too) comes out the same on the file's technology.
  run_config built_in{}, from_file{};
  from_file.tech = read;
  for (const auto& r : paper_tuples)
    for (const auto& m : {r.wt2_01, r.wt2_1})
      for (auto ph : {phase::prefill, phase::decode}) {
        built_in.ph = from_file.ph = ph;
        const auto s = *find_preset(r.model);
        for (auto d : all_designs) {
          INFO(r.model << " " << pe(d).name);
          check_same(evaluate(d, s, m, built_in), evaluate(d, s, m, from_file));
        }
      }
}

TEST_CASE("hardware file: every field reaches its place", "[hwmodel][file]") {
  const technology paper{};
  for (const auto& f : hardware_fields()) {
    INFO(f.name);
    // A value other than the default, inside the field's range.
    const double old = f.get(paper);
    const double v = f.whole ? (old + 1 <= f.hi ? old + 1 : old - 1) : old * 0.75;
    REQUIRE(f.check(v).empty());
    const auto t = parse_hardware(nested(f.name, v).dump(), file);
    CHECK(f.get(t) == v);
    CHECK_FALSE(t == paper);
    // Only this field changed: setting it back gives the paper's technology.
    auto back = t;
    f.set(back, old);
    CHECK(back == paper);
    // And the writer writes it where the reader reads it.
    CHECK(parse_hardware(hardware_json(t).dump(), file) == t);
  }
  // Units: the file speaks MHz, MB (MiB) and GB/s.
  const auto t = parse_hardware(
      R"({"clock_mhz": 500, "act_buffer_mb": 2, "dram_gb_per_s": 512, "rows": 32,
          "power_of_two_tiles": false, "dram": "LPDDR5"})",
      file);
  CHECK(t.clock_hz == 500e6);
  CHECK(t.act_buffer_bytes == 2.0 * 1024 * 1024);
  CHECK(t.dram_bytes_per_s == 512e9);
  CHECK(t.array_rows == 32);
  CHECK_FALSE(t.power_of_two_tiles);
  CHECK(t.dram_name == "LPDDR5");
}

TEST_CASE("hardware file: bad files name the field and the file", "[hwmodel][file]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"rowz": 16})", "hw.json: field 'rowz': unknown field (fields: "},
      {R"({"pe": {"anda": {"cycles_per_chunk": 8}}})",
       "hw.json: field 'pe.anda.cycles_per_chunk': unknown field (fields here: area_ratio, "},
      {R"({"pe": {"gpu": {}}})", "hw.json: field 'pe.gpu': unknown field"},
      {R"({"rows": "16"})", "hw.json: field 'rows': wants a number, got a string"},
      {R"({"rows": true})", "hw.json: field 'rows': wants a number, got a boolean"},
      {R"({"rows": 0})", "hw.json: field 'rows': wants a whole number in [1, 4096], got 0"},
      {R"({"rows": 16.5})", "hw.json: field 'rows': wants a whole number in [1, 4096], got 16.5"},
      {R"({"act_buffer_mb": -1})", "hw.json: field 'act_buffer_mb': wants a number in (0, "},
      {R"({"act_buffer_mb": 0})", "hw.json: field 'act_buffer_mb': wants a number in (0, "},
      {R"({"clock_mhz": 1e300})", "hw.json: field 'clock_mhz': wants a number in (0, 100000]"},
      {R"({"components": {"mxu": {"power_mw": -5}}})",
       "hw.json: field 'components.mxu.power_mw': wants a number in (0, "},
      {R"({"pe": 3})", "hw.json: field 'pe': wants an object, got a number"},
      {R"({"rows": [8, 16]})",
       "hw.json: field 'rows': wants a number, got a list (lists of values are for `anda sweep`)"},
      {R"({"anda_hardware": 2})", "hw.json: field 'anda_hardware': wants 1"},
      {R"({"power_of_two_tiles": 1})", "hw.json: field 'power_of_two_tiles': wants true or false"},
      {R"({"sources": {"rows": 5}})", "hw.json: field 'sources.rows': wants a string"},
      {R"([1, 2])", "hw.json: wants a JSON object of hardware fields, got a list"},
      {R"({"rows": 16)", "hw.json: invalid JSON: parse error at line 1"}};
  for (const auto& [text, want] : cases) {
    const auto msg = error_of(text);
    INFO(text << "\n" << msg);
    CHECK(msg.rfind(want, 0) == 0);
    CHECK(msg.find('\n') == std::string::npos);
  }
  // Sweep files: lists, each value checked; an empty list is refused.
  CHECK(error_of(R"({"rows": []})", true).rfind("hw.json: field 'rows': an empty list", 0) == 0);
  CHECK(error_of(R"({"rows": [8, 0]})", true).rfind("hw.json: field 'rows': wants a whole", 0) ==
        0);
  CHECK(error_of(R"({"rows": [8, "x"]})", true).rfind("hw.json: field 'rows': wants a number", 0) ==
        0);
  const auto s = parse_hardware_sweep(R"({"rows": [8, 16, 32], "clock_mhz": 500})", file);
  REQUIRE(s.axes.size() == 1);
  CHECK(s.axes[0].field->name == "rows");
  CHECK(s.axes[0].values == std::vector<double>{8, 16, 32});
  CHECK(s.base.clock_hz == 500e6);
}

TEST_CASE("sweep: size, point order and the 10^8 limit", "[hwmodel][sweep]") {
  sweep_space s;
  s.hardware = parse_hardware_sweep(R"({"rows": [8, 16, 32], "act_buffer_mb": [0.5, 1]})", file);
  s.models = {*find_preset("llama2-7b"), *find_preset("opt-1.3b")};
  s.tuples = {{{7, 6, 6, 6}, {8, 8, 8, 8}}, {{7, 6, 6, 6}, {8, 8, 8, 8}}};
  s.groups = {32, 64};
  REQUIRE(s.size() == 2 * 2 * 2 * 3 * 2);
  // The last dimension varies fastest.
  const auto p = sweep_point_at(s, 1);
  CHECK((p.model == 0 && p.tuple == 0 && p.group == 0 && p.values[0] == 0 && p.values[1] == 1));
  const auto q = sweep_point_at(s, s.size() - 1);
  CHECK((q.model == 1 && q.tuple == 1 && q.group == 1 && q.values[0] == 2 && q.values[1] == 1));
  run_config c;
  configure(s, q, c);
  CHECK(c.tech.array_rows == 32);
  CHECK(c.tech.act_buffer_bytes == 1024.0 * 1024.0);
  CHECK(c.group == 64);

  // 4096 x 100 x 300 = 122,880,000 points: refused, saying how many.
  std::vector<double> a(4096), b(100), d(300);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(i + 1);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<double>(i + 100);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<double>(i + 1);
  const nlohmann::json big = {{"rows", a}, {"clock_mhz", b}, {"act_buffer_mb", d}};
  sweep_space huge;
  huge.hardware = parse_hardware_sweep(big.dump(), file);
  huge.models = {*find_preset("llama2-7b")};
  huge.tuples = {{{7, 6, 6, 6}}};
  try {
    (void)huge.size();
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).rfind("a sweep of 122880000 points is more than", 0) == 0);
  }
}

namespace {

// Brute force: i is on the front when no j is <= in all three and < in one.
std::vector<bool> pareto_brute_force(const std::vector<std::array<double, 3>>& v) {
  std::vector<bool> r(v.size(), true);
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = 0; j < v.size() && r[i]; ++j) {
      bool le = true, lt = false;
      for (int k = 0; k < 3; ++k) le = le && v[j][k] <= v[i][k], lt = lt || v[j][k] < v[i][k];
      if (le && lt) r[i] = false;
    }
  return r;
}

}  // namespace

TEST_CASE("sweep: Pareto flags equal a brute-force dominance check", "[hwmodel][sweep]") {
  auto rng = anda::test::test_rng(17);
  // Small integer coordinates: many ties and equal points, the cases a sort can get wrong.
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<int> n_of(1, 60), c(0, 6);
    std::vector<std::array<double, 3>> v(static_cast<std::size_t>(n_of(rng)));
    for (auto& p : v) p = {double(c(rng)), double(c(rng)), double(c(rng))};
    INFO("round " << round);
    CHECK(pareto_front(v) == pareto_brute_force(v));
  }
  // A random sweep of the model: random lists of three fields, costed like the tool does.
  std::uniform_real_distribution<double> clock(100, 1000), buf(0.1, 4), bw(32, 1024);
  std::vector<double> clocks(4), bufs(5), bws(4);
  for (auto& x : clocks) x = clock(rng);
  for (auto& x : bufs) x = buf(rng);
  for (auto& x : bws) x = bw(rng);
  const nlohmann::json j = {{"rows", {8, 16, 32}},
                            {"clock_mhz", clocks},
                            {"act_buffer_mb", bufs},
                            {"dram_gb_per_s", bws}};
  sweep_space s;
  s.hardware = parse_hardware_sweep(j.dump(), file);
  s.models = {*find_preset("llama2-7b")};
  s.tuples = {{{7, 6, 6, 6}, {5, 5, 5, 5}}};
  std::vector<std::array<double, 3>> pts;
  run_config c;
  for (std::uint64_t i = 0; i < s.size(); ++i) {
    const auto p = sweep_point_at(s, i);
    configure(s, p, c);
    const auto k = cost_point(s.models[p.model], p.tuple_of(s), c)[std::size_t(design::anda)];
    pts.push_back({k.latency_s, k.energy_j, k.area_mm2});
  }
  const auto front = pareto_front(pts);
  CHECK(front == pareto_brute_force(pts));
  CHECK(std::count(front.begin(), front.end(), true) > 1);
  CHECK(std::count(front.begin(), front.end(), false) > 0);
}
