// The what-if study behind `anda whatif`: which model and Anda tuples to cost, and the JSON object
// that `anda whatif --json` prints. Shared by the command-line tool and the Python module
// (anda.whatif returns this very object as a dict), so the two cannot drift apart.
#pragma once

#include <anda/hw/hwmodel.hpp>
#include <anda/io/hf_config.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace anda::tools {

namespace hw = anda::hw;

// What to cost. Neither `modules` nor `mantissa`: the paper's tuples for the model (preset only)
// and a sweep of uniform M = 4..13.
struct whatif_request {
  std::string model = "llama2-7b";  // a preset name, unless config_path is set
  std::string config_path;          // HF config.json
  std::optional<hw::mantissa_tuple> modules;
  std::optional<int> mantissa;
  int group = 64;
  std::int64_t tokens = 2048;
  std::string phase = "prefill";      // or "decode"
  std::string dataset = "wikitext2";  // or "c4": which paper tuples
  hw::technology hardware{};          // the paper's accelerator, or a hardware file's
  // Our extension (not in the paper), decode only: sequences per step, and the attention over
  // their KV caches of `tokens` positions (hw::run_config::batch, kv_cache).
  std::int64_t batch = 1;
  bool kv_cache = false;
};

// The largest --tokens: far beyond any context, small enough that the cost model's counts stay
// exact (the cost model also checks its own arithmetic: hw::cost_overflow).
inline constexpr std::int64_t whatif_max_tokens = 1'000'000'000'000;
// The largest --batch: far beyond any accelerator's, with the counts still exact.
inline constexpr std::int64_t whatif_max_batch = 1'000'000;

// The label every attention figure carries.
inline constexpr const char* kv_cache_label = "our extension (not in the paper)";

// One Anda configuration to compare: a label and a tuple.
struct scenario {
  std::string label;
  hw::mantissa_tuple tuple;
};

// printf's `f` applied to one number (the reports' tables, CSV and SVG).
inline std::string format_number(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// s with &, <, > and " escaped for XML text and attribute values (the SVG plots).
inline std::string xml_escape(const std::string& s) {
  std::string r;
  for (const char ch : s) {
    if (ch == '&')
      r += "&amp;";
    else if (ch == '<')
      r += "&lt;";
    else if (ch == '>')
      r += "&gt;";
    else if (ch == '"')
      r += "&quot;";
    else
      r += ch;
  }
  return r;
}

inline std::string tuple_text(const hw::mantissa_tuple& m) {
  std::string s = "[";  // appended piecewise: GCC 12 misreads "[" + std::string (-Wrestrict)
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(m[i]);
  }
  return s + "]";
}

// The workload, validated; throws std::invalid_argument naming the bad setting.
inline hw::run_config whatif_run_config(const whatif_request& r) {
  hw::run_config c;
  if (r.phase == "prefill")
    c.ph = hw::phase::prefill;
  else if (r.phase == "decode")
    c.ph = hw::phase::decode;
  else
    throw std::invalid_argument("phase wants prefill or decode, got \"" + r.phase + "\"");
  if (r.tokens < 1 || r.tokens > whatif_max_tokens)
    throw std::invalid_argument("tokens wants 1.." + std::to_string(whatif_max_tokens) + ", got " +
                                std::to_string(r.tokens));
  if (r.group != 8 && r.group != 16 && r.group != 32 && r.group != 64 && r.group != 128 &&
      r.group != 256)
    throw std::invalid_argument(
        "group wants 8, 16, 32, 64, 128 or 256 (the format's group sizes), "
        "got " +
        std::to_string(r.group));
  if (r.dataset != "wikitext2" && r.dataset != "c4")
    throw std::invalid_argument("dataset wants wikitext2 or c4, got \"" + r.dataset + "\"");
  if (r.modules && r.mantissa)
    throw std::invalid_argument("modules and mantissa exclude each other");
  if (r.modules)
    for (int m : *r.modules)
      if (m < 1 || m > 16)
        throw std::invalid_argument("modules wants four mantissa lengths in 1..16, got " +
                                    tuple_text(*r.modules));
  if (r.mantissa && (*r.mantissa < 1 || *r.mantissa > 16))
    throw std::invalid_argument("mantissa wants 1..16, got " + std::to_string(*r.mantissa));
  if (r.batch < 1 || r.batch > whatif_max_batch)
    throw std::invalid_argument("batch wants 1.." + std::to_string(whatif_max_batch) + ", got " +
                                std::to_string(r.batch));
  // A prefill reads no KV cache, and its batch is more tokens.
  if (c.ph != hw::phase::decode && r.kv_cache)
    throw std::invalid_argument("kv-cache wants phase decode (a prefill reads no KV cache)");
  if (c.ph != hw::phase::decode && r.batch != 1)
    throw std::invalid_argument(
        "batch wants phase decode (a prefill of B sequences of T tokens is tokens = B x T)");
  c.tokens = r.tokens;
  c.group = r.group;
  c.tech = r.hardware;
  c.batch = r.batch;
  c.kv_cache = r.kv_cache;
  return c;
}

// The library's strict config reader's result (the one `anda eval` uses) in hwmodel's terms;
// hwmodel itself reads no JSON and depends on nothing of the numeric library.
inline hw::model_shape shape_from_architecture(const io::hf_architecture& a, std::string name) {
  hw::model_shape s;
  s.name = std::move(name);
  s.fam = a.family == io::hf_architecture::kind::opt ? hw::family::opt : hw::family::llama;
  s.d_model = a.hidden_size;
  s.ffn = a.intermediate_size;
  s.layers = a.num_layers;
  s.heads = a.num_heads;
  s.kv_heads = a.num_kv_heads;
  s.head_dim = a.head_dim;
  return s;
}

// config.json (the file, or a directory holding one) as a model shape; an invalid_argument naming
// the file and the key otherwise.
inline hw::model_shape shape_from_config(const std::string& path, std::string name) {
  try {
    return shape_from_architecture(io::read_hf_architecture(path), std::move(name));
  } catch (const io::hf_config_error& e) {
    throw std::invalid_argument(e.what());
  }
}

inline hw::model_shape whatif_model(const whatif_request& r) {
  if (!r.config_path.empty()) return shape_from_config(r.config_path, r.config_path);
  if (auto s = hw::find_preset(r.model)) return *s;
  std::string names;
  for (const auto& p : hw::model_presets()) names += (names.empty() ? "" : ", ") + p.name;
  throw std::invalid_argument("unknown model \"" + r.model + "\" (presets: " + names +
                              "; or a Hugging Face config.json: --config PATH, config= in Python)");
}

// The Anda configurations to run: the one asked for, or the paper's tuples plus a uniform sweep.
inline std::vector<scenario> whatif_scenarios(const whatif_request& r, const hw::model_shape& s) {
  if (r.modules) return {{"anda " + tuple_text(*r.modules), *r.modules}};
  if (r.mantissa) {
    const int m = *r.mantissa;
    return {{"anda M=" + std::to_string(m), {m, m, m, m}}};
  }
  std::vector<scenario> out;
  const auto ds = r.dataset == "c4" ? hw::dataset::c4 : hw::dataset::wikitext2;
  const std::string dsn = r.dataset == "c4" ? "C4" : "WT2";
  if (r.config_path.empty()) {
    if (auto t = hw::paper_tuple(s.name, ds, true)) out.push_back({"anda 0.1% " + dsn, *t});
    if (auto t = hw::paper_tuple(s.name, ds, false)) out.push_back({"anda 1% " + dsn, *t});
  }
  for (int m = 4; m <= 13; ++m) out.push_back({"anda M=" + std::to_string(m), {m, m, m, m}});
  return out;
}

// The tuple the JSON object is about: the one asked for, else the paper's 1 % tuple, else M = 8.
inline std::size_t primary_index(const std::vector<scenario>& sc) {
  for (std::size_t i = 0; i < sc.size(); ++i)
    if (sc[i].label.find("1% ") != std::string::npos &&
        sc[i].label.find("0.1%") == std::string::npos)
      return i;
  for (std::size_t i = 0; i < sc.size(); ++i)
    if (sc[i].label == "anda M=8") return i;
  return 0;
}

inline nlohmann::ordered_json split_json(const hw::energy_split& e) {
  return {{"compute", e.compute_j}, {"sram", e.sram_j}, {"dram", e.dram_j}};
}

// A design's attention (our extension): its cost and its share of the whole decode step.
inline nlohmann::ordered_json attention_json(const hw::design_cost& k) {
  const auto& a = k.attention;
  return {{"cycles", a.cycles},
          {"latency_s", a.latency_s},
          {"energy_j", a.paper_calibrated.total_j()},
          {"energy_first_principles_j", a.first_principles.total_j()},
          {"energy_split_j", split_json(a.paper_calibrated)},
          {"latency_share", a.latency_s / k.latency_s},
          {"energy_share", a.paper_calibrated.total_j() / k.paper_calibrated.total_j()},
          {"memory_bound_products", a.memory_bound_products}};
}

// What the attention of the step is, the same for every design (our extension).
inline nlohmann::ordered_json kv_cache_json(const hw::comparison& c) {
  using nlohmann::ordered_json;
  const auto& a = c.costs.front().attention;
  ordered_json products = ordered_json::array();
  for (const auto& p : a.products)
    products.push_back({{"product", p.p.what},
                        {"t", p.p.t},
                        {"k", p.p.k},
                        {"n", p.p.n},
                        {"count", p.p.count},
                        {"macs", p.p.macs()},
                        {"cycles", p.cycles * p.p.count},
                        {"bound", p.memory_bound ? "memory" : "compute"}});
  return {{"label", kv_cache_label},
          {"batch", c.config.batch},
          {"context", c.config.tokens},
          {"macs", a.macs},
          {"kv_cache_read_bytes", a.kv_read_bits / 8},
          {"kv_cache_write_bytes", a.kv_write_bits / 8},
          {"kv_cache_write_counted_in", "the q/k/v_proj GeMM's output traffic"},
          {"dram_bytes", a.dram_bits / 8},
          {"runs_on", "the array at the fp-fp PE rate, FP16 x FP16, in every design"},
          {"products", products}};
}

inline nlohmann::ordered_json comparison_json(const whatif_request& r, const hw::comparison& c) {
  using nlohmann::ordered_json;
  const auto cal = hw::fig17_memory_calibration();
  ordered_json j;
  j["model"] = c.shape.name;
  j["shape"] = {{"family", c.shape.fam == hw::family::llama ? "llama" : "opt"},
                {"d_model", c.shape.d_model},
                {"ffn", c.shape.ffn},
                {"layers", c.shape.layers},
                {"heads", c.shape.heads},
                {"kv_heads", c.shape.kv_heads},
                {"head_dim", c.shape.head_dim}};
  j["modules"] = c.tuple;
  j["phase"] = r.phase;
  j["tokens"] = c.config.tokens;
  if (c.config.batch != 1 || c.config.kv_cache) j["batch"] = c.config.batch;
  j["group"] = c.config.group;
  j["bops_reduction"] = c.bops_reduction;
  j["mean_mantissa"] = hw::mean_mantissa(c.shape, c.tuple);
  ordered_json ratios, breakdown, breakdown_fp, designs;
  for (auto d : hw::all_designs) {
    const std::string name(hw::pe(d).name);
    const auto& q = c.ratio(d);
    const auto& k = c.cost(d);
    ratios[name] = {{"speedup", q.speedup},
                    {"area_efficiency", q.area_efficiency},
                    {"energy_efficiency", q.energy_efficiency},
                    {"energy_efficiency_first_principles", q.energy_efficiency_first_principles}};
    breakdown[name] = split_json(q.share);
    breakdown_fp[name] = split_json(q.share_first_principles);
    ordered_json mods = ordered_json::array();
    for (const auto& g : k.gemms)
      mods.push_back({{"module", hw::module_names[static_cast<std::size_t>(g.g.mod)]},
                      {"gemm", g.g.what},
                      {"t", g.g.t},
                      {"k", g.g.k},
                      {"n", g.g.n},
                      {"count", g.g.count},
                      {"mantissa", g.mantissa},
                      {"macs", g.g.macs()},
                      {"cycles", g.cycles * g.g.count},
                      {"bound", g.memory_bound ? "memory" : "compute"},
                      {"dram_bits", g.tr.dram_bits() * static_cast<double>(g.g.count)},
                      {"energy_first_principles_j", split_json(g.first_principles)}});
    designs[name] = {{"cycles", k.cycles},
                     {"latency_s", k.latency_s},
                     {"energy_j", k.paper_calibrated.total_j()},
                     {"energy_first_principles_j", k.first_principles.total_j()},
                     {"energy_split_j", split_json(k.paper_calibrated)},
                     {"energy_split_first_principles_j", split_json(k.first_principles)},
                     {"area_mm2", k.area_mm2},
                     {"macs", k.macs},
                     {"memory_bound_gemms", k.memory_bound_gemms},
                     {"gemms", mods}};
    if (c.config.with_attention()) designs[name]["attention"] = attention_json(k);
  }
  j["ratios"] = ratios;
  j["energy_breakdown"] = breakdown;
  j["energy_breakdown_first_principles"] = breakdown_fp;
  j["designs"] = designs;
  if (c.config.with_attention()) j["kv_cache"] = kv_cache_json(c);
  j["calibration"] = {
      {"name", "paper-calibrated memory energy (Fig. 17)"},
      {"sram_scale", cal.sram_scale},
      {"dram_scale", cal.dram_scale},
      {"anda_sram_ratio_fig17", c.config.fig17.anda_sram_ratio()},
      {"anda_dram_ratio_fig17", c.config.fig17.anda_dram_ratio()},
      {"anda_ratios_applied", hw::fig17_anda_ratios_apply(hw::design::anda, c.config)}};
  return j;
}

// The object `anda whatif --json` prints: the primary tuple's full comparison, plus the Anda rows
// of every scenario when there are several.
inline nlohmann::ordered_json whatif_json(const whatif_request& r, const std::vector<scenario>& sc,
                                          const std::vector<hw::comparison>& cmps) {
  auto j = comparison_json(r, cmps[primary_index(sc)]);
  if (sc.size() > 1) {
    auto sweep = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < sc.size(); ++i) {
      const auto& q = cmps[i].ratio(hw::design::anda);
      sweep.push_back(
          {{"label", sc[i].label},
           {"modules", sc[i].tuple},
           {"bops_reduction", cmps[i].bops_reduction},
           {"speedup", q.speedup},
           {"area_efficiency", q.area_efficiency},
           {"energy_efficiency", q.energy_efficiency},
           {"energy_efficiency_first_principles", q.energy_efficiency_first_principles}});
    }
    j["anda_sweep"] = sweep;
  }
  return j;
}

// Everything at once, for callers that only want the JSON object.
inline nlohmann::ordered_json whatif_json(const whatif_request& r) {
  const auto config = whatif_run_config(r);
  const auto shape = whatif_model(r);
  const auto sc = whatif_scenarios(r, shape);
  std::vector<hw::comparison> cmps;
  for (const auto& s : sc) cmps.push_back(hw::compare(shape, s.tuple, config));
  return whatif_json(r, sc, cmps);
}

}  // namespace anda::tools
