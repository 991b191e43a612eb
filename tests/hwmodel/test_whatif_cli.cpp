// `anda whatif` end to end: the table, JSON and CSV outputs, errors, HF configs, and the SVG
// (checked for well-formed XML by a small checker below).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "run_tool.hpp"
#include "xml_checker.hpp"

namespace {

using anda::test::well_formed_svg;
using result = anda::test::tool_result;

// Runs the built tool with `args`; stdout is captured, stderr is folded into it when asked.
result run_tool(const std::string& args, bool with_stderr = false) {
  return anda::test::run_tool(args, "", with_stderr);
}

// meta-llama/Llama-2-70b-hf/config.json (the keys the strict reader wants).
const char* const llama2_70b_config =
    R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8192,
        "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64,
        "num_key_value_heads": 8, "vocab_size": 32000, "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-05, "hidden_act": "silu", "torch_dtype": "float16"})";

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("anda_whatif_test_" + name);
}

}  // namespace

TEST_CASE("the XML checker rejects broken documents", "[hwmodel][cli]") {
  CHECK(well_formed_svg("<svg a=\"1\"><g><rect/></g><text>a &amp; b</text></svg>"));
  CHECK_FALSE(well_formed_svg("<svg><g></svg>"));
  CHECK_FALSE(well_formed_svg("<svg a=1></svg>"));
  CHECK_FALSE(well_formed_svg("<svg><text>a & b</text></svg>"));
  CHECK_FALSE(well_formed_svg("<svg a=\"1\" a=\"2\"></svg>"));
  CHECK_FALSE(well_formed_svg("<svg></svg><svg></svg>"));
  CHECK_FALSE(well_formed_svg("<svg><text>x</text>"));
}

TEST_CASE("anda whatif: the default table", "[hwmodel][cli]") {
  const auto r = run_tool("whatif");
  REQUIRE(r.status == 0);
  CHECK(r.output.find("llama2-7b") != std::string::npos);
  CHECK(r.output.find("prefill of 2048 tokens") != std::string::npos);
  for (const char* row :
       {"fp-fp", "fp-int", "ifpu", "figna ", "figna-m11", "figna-m8", "bfp4", "anda 0.1% WT2",
        "anda 1% WT2", "[9,7,8,8]", "[7,6,6,6]", "anda M=4", "anda M=13"})
    CHECK(r.output.find(row) != std::string::npos);
}

TEST_CASE("anda whatif --json: one object with the documented keys", "[hwmodel][cli]") {
  const auto r = run_tool("whatif --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j.at("model") == "llama2-7b");
  CHECK(j.at("modules") == nlohmann::json::array({7, 6, 6, 6}));
  CHECK(j.at("tokens") == 2048);
  CHECK(j.at("group") == 64);
  CHECK(j.at("bops_reduction").get<double>() == Approx(2.56).margin(0.01));
  for (const char* d :
       {"fp-fp", "fp-int", "ifpu", "figna", "figna-m11", "figna-m8", "bfp4", "anda"}) {
    INFO(d);
    for (const char* k : {"speedup", "area_efficiency", "energy_efficiency"})
      CHECK(j.at("ratios").at(d).at(k).is_number());
    for (const char* k : {"compute", "sram", "dram"})
      CHECK(j.at("energy_breakdown").at(d).at(k).is_number());
    for (const char* k : {"cycles", "latency_s", "energy_j", "area_mm2"})
      CHECK(j.at("designs").at(d).at(k).is_number());
  }
  CHECK(j.at("ratios").at("fp-fp").at("speedup").get<double>() == 1.0);
  // The FP-FP breakdown sums to 1 (fractions of its own total).
  const auto& b = j.at("energy_breakdown").at("fp-fp");
  CHECK(b.at("compute").get<double>() + b.at("sram").get<double>() + b.at("dram").get<double>() ==
        Approx(1.0));
  CHECK(j.at("ratios").at("anda").at("speedup").get<double>() == Approx(16.0 / 7.25).epsilon(0.01));

  const auto t = nlohmann::json::parse(run_tool("whatif --json --modules 9,7,8,8").output);
  CHECK(t.at("bops_reduction").get<double>() == Approx(1.96).margin(0.01));
  const auto u =
      nlohmann::json::parse(run_tool("whatif --json --mantissa 4 --model opt-1.3b").output);
  CHECK(u.at("modules") == nlohmann::json::array({4, 4, 4, 4}));
  CHECK(u.at("ratios").at("anda").at("speedup").get<double>() == Approx(3.2).epsilon(1e-6));
}

TEST_CASE("anda whatif: errors are one line and a non-zero exit", "[hwmodel][cli]") {
  for (const char* args :
       {"whatif --model gpt-5", "whatif --modules 1,2,3", "whatif --modules 0,4,4,4",
        "whatif --modules 4,4,4,17", "whatif --modules a,b,c,d", "whatif --modules 4,4,4,4,4",
        "whatif --modules 4,,4,4", "whatif --config /nonexistent/config.json",
        "whatif --phase train", "whatif --mantissa 0", "whatif --tokens 0"}) {
    INFO(args);
    const auto r = run_tool(args, true);
    CHECK(r.status != 0);
    CHECK(r.output.find("error") != std::string::npos);
  }
  const auto r = run_tool("whatif --model gpt-5", true);
  CHECK(r.output.rfind("anda: error: unknown model", 0) == 0);
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

TEST_CASE("anda whatif --config: an HF config.json equals its preset", "[hwmodel][cli]") {
  const auto path = temp_path("config.json");
  {
    std::ofstream f(path);
    f << llama2_70b_config;
  }
  const auto a = nlohmann::json::parse(
      run_tool("whatif --json --modules 7,6,6,6 --config \"" + path.string() + "\"").output);
  const auto b =
      nlohmann::json::parse(run_tool("whatif --json --modules 7,6,6,6 --model llama2-70b").output);
  CHECK(a.at("designs").at("anda").at("cycles") == b.at("designs").at("anda").at("cycles"));
  CHECK(a.at("designs").at("fp-fp").at("energy_j") == b.at("designs").at("fp-fp").at("energy_j"));
  {
    std::ofstream f(path);
    f << "{ not json";
  }
  const auto bad = run_tool("whatif --config \"" + path.string() + "\"", true);
  CHECK(bad.status != 0);
  CHECK(bad.output.find("invalid JSON") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("anda whatif --csv and --phase decode", "[hwmodel][cli]") {
  const auto r = run_tool("whatif --csv --model opt-6.7b");
  REQUIRE(r.status == 0);
  // Header + 7 baselines + 2 paper tuples + 10 uniform M.
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1 + 7 + 2 + 10);
  CHECK(r.output.rfind("label,design,modules,bops_reduction", 0) == 0);
  const auto d =
      nlohmann::json::parse(run_tool("whatif --json --phase decode --tokens 4096").output);
  CHECK(d.at("phase") == "decode");
  CHECK(d.at("designs").at("anda").at("gemms").at(0).at("t") == 1);
}

TEST_CASE("anda whatif --plot writes a well-formed SVG", "[hwmodel][cli]") {
  const auto path = temp_path("plot.svg");
  std::filesystem::remove(path);
  const auto r = run_tool("whatif --plot \"" + path.string() + "\"");
  REQUIRE(r.status == 0);
  std::ifstream f(path);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string svg = ss.str();
  CHECK(well_formed_svg(svg));
  CHECK(svg.find("speedup") != std::string::npos);
  CHECK(svg.find("DRAM") != std::string::npos);
  std::filesystem::remove(path);
  CHECK(run_tool("whatif --plot /nonexistent/dir/x.svg", true).status != 0);
}

// Issue 15. One line and exit 1 for each; the failing inputs first.
namespace {
bool one_line_error(const result& r) {
  return r.status == 1 && r.output.rfind("anda: error: ", 0) == 0 &&
         std::count(r.output.begin(), r.output.end(), '\n') == 1;
}
}  // namespace

// Item 4: counts are range-checked (no silent clamping), and no figure wraps negative.
TEST_CASE("anda whatif --tokens: range-checked, no overflow", "[hwmodel][cli]") {
  for (const char* args :
       {"whatif --tokens 9223372036854775807", "whatif --tokens 99999999999999999999",
        "whatif --tokens 1000000000001", "whatif --tokens -5", "whatif --tokens 12abc",
        "whatif --mantissa 8 --tokens 1000000000000 "
        "--model llama2-70b"}) {
    const auto r = run_tool(args, true);
    INFO(args << "\n" << r.output);
    CHECK(one_line_error(r));
  }
  const auto j = nlohmann::json::parse(
      run_tool("whatif --json --mantissa 8 --tokens 1000000000000 --model llama2-7b").output);
  for (const auto& [name, d] : j.at("designs").items()) {
    INFO(name);
    CHECK(d.at("cycles").get<double>() > 0);
    CHECK(d.at("energy_j").get<double>() > 0);
    CHECK(d.at("energy_split_j").at("dram").get<double>() > 0);
  }
}

// Item 10: --group takes the format's group sizes only; --mantissa a whole number in 1..16.
TEST_CASE("anda whatif --group: the format's sizes only", "[hwmodel][cli]") {
  for (const char* g : {"1", "3", "48", "4096", "-64", "nan"}) {
    const auto r = run_tool(std::string("whatif --group ") + g, true);
    INFO(g << "\n" << r.output);
    CHECK(one_line_error(r));
  }
  CHECK(one_line_error(run_tool("whatif --mantissa 8.5", true)));
  for (const char* g : {"8", "256"})
    CHECK(run_tool(std::string("whatif --group ") + g).status == 0);
}

// Item 5: the strict reader of `anda eval`: non-integer sizes, heads not dividing hidden, 1e30,
// wrong types are refused with the key and the file named.
TEST_CASE("anda whatif --config: the strict config reader", "[hwmodel][cli]") {
  const auto path = temp_path("strict_config.json");
  const auto base = nlohmann::json::parse(llama2_70b_config);
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"hidden_size", 384.7}}, "'hidden_size' must be a positive integer"},
      {{{"hidden_size", 384}, {"num_attention_heads", 5}, {"num_key_value_heads", 5}},
       "hidden_size (384) is not a multiple of num_attention_heads"},
      {{{"hidden_size", 384}, {"num_attention_heads", 1000}, {"num_key_value_heads", 1000}},
       "hidden_size (384) is not a multiple of num_attention_heads"},
      {{{"hidden_size", 1e30}}, "'hidden_size' must be a positive integer"},
      {{{"hidden_size", "8192"}}, "'hidden_size' must be a positive integer"},
      {{{"num_key_value_heads", true}}, "'num_key_value_heads' must be a positive integer"},
      {{{"model_type", 7}}, "'model_type' must be a string"},
      {{{"vocab_size", nullptr}}, "missing required key 'vocab_size'"},
      {{{"rope_scaling", {{"type", "yarn"}, {"factor", 2}}}},
       "rope_scaling.rope_type \"yarn\" is not supported"}};
  for (const auto& [patch, what] : cases) {
    auto j = base;
    j.update(patch);
    {
      std::ofstream f(path);
      f << j.dump();
    }
    const auto r = run_tool("whatif --config \"" + path.string() + "\"", true);
    INFO(j.dump() << "\n" << r.output);
    CHECK(one_line_error(r));
    CHECK(r.output.find(path.string() + ": " + what) != std::string::npos);
    CHECK(r.output.find("json.exception") == std::string::npos);
  }
  // OPT configs: the same strict key checks.
  {
    std::ofstream f(path);
    f << R"({"model_type": "opt", "hidden_size": 2048, "ffn_dim": 8192.5,
             "num_hidden_layers": 24, "num_attention_heads": 32})";
  }
  const auto opt = run_tool("whatif --config \"" + path.string() + "\"", true);
  CHECK(one_line_error(opt));
  CHECK(opt.output.find("'ffn_dim' must be a positive integer") != std::string::npos);
  std::filesystem::remove(path);
}

// Item 7: the SVG goes through the same writer (a write error is an error, nothing partial is
// left); a failed write to stdout exits 1 with one line on stderr.
TEST_CASE("anda whatif: --plot and stdout write errors", "[hwmodel][cli]") {
  const auto svg = run_tool("whatif --plot /dev/full", true);
  CHECK(one_line_error(svg));
  CHECK(svg.output.find("/dev/full: write error") != std::string::npos);
  const auto dir = temp_path("plot_dir");
  std::filesystem::create_directories(dir);
  const auto d = run_tool("whatif --plot \"" + dir.string() + "\"", true);
  CHECK(one_line_error(d));
  CHECK(std::filesystem::is_empty(dir));
  std::filesystem::remove(dir);
  // stderr to the pipe, stdout to the full device.
  const auto full = anda::test::run_tool("whatif 2>&1 >/dev/full", "", false);
  CHECK(one_line_error(full));
  CHECK(full.output.find("standard output") != std::string::npos);
  const auto full_json = anda::test::run_tool("whatif --json 2>&1 >/dev/full", "", false);
  CHECK(one_line_error(full_json));
}

// Issue 17: the accelerator as a file. The built-in description, written by --print-hardware and
// read back by --hardware, gives today's output byte for byte (table, JSON, CSV, decode).
TEST_CASE("anda whatif --hardware: the default file reproduces the built-in output",
          "[hwmodel][cli][file]") {
  const auto printed = run_tool("whatif --print-hardware");
  REQUIRE(printed.status == 0);
  const auto j = nlohmann::json::parse(printed.output);
  CHECK(j.at("rows") == 16);
  CHECK(j.at("clock_mhz") == 285.0);
  CHECK(j.at("act_buffer_mb") == 1.0);
  const auto path = temp_path("hardware.json");
  {
    std::ofstream f(path);
    f << printed.output;
  }
  const std::string hw = " --hardware \"" + path.string() + "\"";
  for (const char* args : {"whatif", "whatif --json", "whatif --csv --model opt-6.7b",
                           "whatif --json --phase decode --tokens 4096 --model llama2-70b",
                           "whatif --model llama-13b --group 128 --dataset c4"}) {
    INFO(args);
    const auto built_in = run_tool(args);
    const auto from_file = run_tool(args + hw);
    REQUIRE(built_in.status == 0);
    CHECK(from_file.status == 0);
    CHECK(from_file.output == built_in.output);
  }
  // The file is what --print-hardware prints with it (a round trip).
  CHECK(run_tool("whatif --print-hardware" + hw).output == printed.output);

  // A changed field changes the result the way the model says: twice the rows and columns, a
  // quarter of the compute cycles of a compute-bound prefill (tile-aligned LLaMA-2-7B shapes).
  {
    std::ofstream f(path);
    f << R"({"rows": 32, "cols": 32, "clock_mhz": 500, "dram_gb_per_s": 4096})";
  }
  const auto big = nlohmann::json::parse(run_tool("whatif --json" + hw).output);
  const auto base = nlohmann::json::parse(run_tool("whatif --json").output);
  for (const char* d : {"fp-fp", "anda"}) {
    INFO(d);
    CHECK(big.at("designs").at(d).at("cycles").get<double>() * 4 ==
          base.at("designs").at(d).at("cycles").get<double>());
    CHECK(big.at("designs").at(d).at("latency_s").get<double>() ==
          Approx(base.at("designs").at(d).at("latency_s").get<double>() / 4 * 285 / 500)
              .epsilon(1e-12));
  }
  const auto table = run_tool("whatif" + hw).output;
  CHECK(table.find("hardware: 32x32 PEs at 500 MHz, 1 MB act + 0.125 MB exp + 1 MB weight "
                   "buffers, HBM2 4096 GB/s at 3.9 pJ/bit") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("anda whatif --hardware: a bad file is one line naming the field and the file",
          "[hwmodel][cli][file]") {
  const auto path = temp_path("bad_hardware.json");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"rowz": 16})", "field 'rowz': unknown field"},
      {R"({"rows": "16"})", "field 'rows': wants a number, got a string"},
      {R"({"rows": -16})", "field 'rows': wants a whole number in [1, 4096], got -16"},
      {R"({"weight_buffer_mb": 0})", "field 'weight_buffer_mb': wants a number in (0, "},
      {R"({"clock_mhz": [285, 500]})", "field 'clock_mhz': wants a number, got a list"},
      {R"({"rows": 16,)", "invalid JSON"}};
  for (const auto& [text, what] : cases) {
    {
      std::ofstream f(path);
      f << text;
    }
    const auto r = run_tool("whatif --hardware \"" + path.string() + "\"", true);
    INFO(text << "\n" << r.output);
    CHECK(one_line_error(r));
    CHECK(r.output.find("anda: error: " + path.string() + ": " + what) != std::string::npos);
  }
  std::filesystem::remove(path);
  const auto missing = run_tool("whatif --hardware /nonexistent/hw.json", true);
  CHECK(one_line_error(missing));
  CHECK(missing.output.find("/nonexistent/hw.json") != std::string::npos);
}

// Issue 17 part 4: decode with a KV cache, our extension. Off by default: without the option the
// output is what it was (the CSV header below is the one before the extension), and --batch 1
// is the default; with it, the GeMM figures stay and only the attention is added, labelled.
TEST_CASE("anda whatif --kv-cache: off by default, labelled, GeMMs unchanged",
          "[hwmodel][cli][kv]") {
  for (const char* args : {"whatif", "whatif --json", "whatif --phase decode --tokens 4096",
                           "whatif --json --phase decode --tokens 4096 --model llama3-8b",
                           "whatif --csv --phase decode"}) {
    INFO(args);
    const auto plain = run_tool(args);
    REQUIRE(plain.status == 0);
    CHECK(plain.output.find("attention") == std::string::npos);
    CHECK(plain.output.find("extension") == std::string::npos);
    CHECK(plain.output.find("\"batch\"") == std::string::npos);
    if (std::string(args).find("decode") != std::string::npos)
      CHECK(run_tool(std::string(args) + " --batch 1").output == plain.output);
  }
  CHECK(run_tool("whatif --csv")
            .output.rfind("label,design,modules,bops_reduction,cycles,latency_s,speedup,area_mm2,"
                          "area_efficiency,energy_j,energy_efficiency,energy_first_principles_j,"
                          "energy_efficiency_first_principles,compute_share,sram_share,dram_share,"
                          "memory_bound_gemms\n",
                          0) == 0);

  const std::string decode = "whatif --json --phase decode --tokens 4096 --mantissa 6";
  const auto off = nlohmann::json::parse(run_tool(decode).output);
  const auto on = nlohmann::json::parse(run_tool(decode + " --kv-cache").output);
  CHECK(on.at("kv_cache").at("label") == "our extension (not in the paper)");
  CHECK(on.at("kv_cache").at("context") == 4096);
  CHECK(on.at("batch") == 1);
  // LLaMA-2-7B, 4096 positions: 2 x 32 kv heads x 128 x 4096 x 2 bytes x 32 layers = 2 GiB.
  CHECK(on.at("kv_cache").at("kv_cache_read_bytes").get<double>() == 2.0 * 1024 * 1024 * 1024);
  for (const char* d : {"fp-fp", "anda"}) {
    INFO(d);
    const auto& a = on.at("designs").at(d);
    const auto& b = off.at("designs").at(d);
    CHECK(a.at("gemms") == b.at("gemms"));
    CHECK(a.at("area_mm2") == b.at("area_mm2"));
    CHECK(a.at("cycles").get<double>() ==
          b.at("cycles").get<double>() + a.at("attention").at("cycles").get<double>());
    const double share = a.at("attention").at("latency_share").get<double>();
    CHECK(share > 0);
    CHECK(share < 1);
    CHECK_FALSE(b.contains("attention"));
  }
  CHECK_FALSE(off.contains("kv_cache"));

  // The table gains two columns and a labelled note; the CSV four columns.
  const auto table = run_tool("whatif --phase decode --kv-cache --batch 8 --mantissa 6");
  REQUIRE(table.status == 0);
  CHECK(table.output.find("batch 8") != std::string::npos);
  CHECK(table.output.find("[our extension, not in the paper]") != std::string::npos);
  CHECK(table.output.find("attn.t attn.e") != std::string::npos);
  CHECK(table.output.find("Attention, our extension (not in the paper)") != std::string::npos);
  const auto csv = run_tool("whatif --csv --phase decode --kv-cache --mantissa 6").output;
  CHECK(csv.find("memory_bound_gemms,attention_latency_s,attention_energy_j,"
                 "attention_latency_share,attention_energy_share\n") != std::string::npos);

  // Decode only; batch in 1..10^6.
  for (const char* args :
       {"whatif --kv-cache", "whatif --batch 4", "whatif --phase decode --batch 0",
        "whatif --phase decode --batch 1000001", "whatif --phase decode --batch x"}) {
    const auto r = run_tool(args, true);
    INFO(args << "\n" << r.output);
    CHECK(one_line_error(r));
  }
  CHECK(run_tool("whatif --kv-cache", true).output.find("kv-cache wants phase decode") !=
        std::string::npos);
}
