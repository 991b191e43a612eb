// The tools on the families of tests/data/models/families: `anda whatif --config` prices the very
// GeMMs the model runs, `anda eval` evaluates each family and reports its peak memory, and
// `anda search` runs on an OPT model.
#include <catch2/catch.hpp>

#include <anda/hw/workload.hpp>
#include <anda/model/load.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "run_tool.hpp"

namespace {

const std::string families = std::string(ANDA_TEST_DATA_DIR) + "/models/families/";
const char* const all_families[] = {"opt", "opt350", "llama3", "qwen2", "qwen3", "mistral"};

}  // namespace

TEST_CASE("anda whatif --config: the GeMM shapes each family's model runs", "[families][cli]") {
  for (const char* name : all_families) {
    INFO("family " << name);
    const auto r = anda::test::run_tool(
        "whatif --config " + families + name + "/config.json --json", "", false);
    REQUIRE(r.status == 0);
    const auto shape = nlohmann::json::parse(r.output).at("shape");
    anda::hw::model_shape s;
    s.fam = shape.at("family") == "opt" ? anda::hw::family::opt : anda::hw::family::llama;
    s.d_model = shape.at("d_model");
    s.ffn = shape.at("ffn");
    s.layers = shape.at("layers");
    s.heads = shape.at("heads");
    s.kv_heads = shape.at("kv_heads");
    s.head_dim = shape.at("head_dim");
    const auto model = anda::model::load_model(families + name);
    const auto runs = model.module_shapes();
    const auto gemms = anda::hw::model_gemms(s, 1);
    REQUIRE(gemms.size() == 4);
    for (const auto& g : gemms) {
      const auto& [k, n] = runs[std::size_t(g.mod)];
      INFO(g.what);
      CHECK(g.k == k);
      CHECK(g.n == n);
      CHECK(g.count == model.config().num_layers);
    }
  }
}

TEST_CASE("anda eval: every family, Anda with INT4 weights, peak memory in the JSON",
          "[families][cli]") {
  for (const char* name : all_families) {
    INFO("family " << name);
    const std::string dir = families + name;
    const auto r = anda::test::run_tool("eval --model " + dir + " --tokens " + dir +
                                            "/ref_tokens.i32 --window-len 96 --weights int4 "
                                            "--modules 7,6,6,6 --json",
                                        "", false);
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j.at("windows") == 2);
    CHECK(j.at("perplexity").get<double>() > 1);
    CHECK(j.at("peak_rss_bytes").get<double>() > 1e6);
  }
  // Text output: the peak on stderr.
  const auto t = anda::test::run_tool("eval --model " + families + "opt --tokens " + families +
                                      "opt/ref_tokens.i32 --window-len 96");
  CHECK(t.status == 0);
  CHECK_THAT(t.output, Catch::Contains("peak resident memory"));
}

TEST_CASE("anda search: runs on an OPT model", "[families][cli]") {
  const std::string dir = families + "opt";
  const auto r = anda::test::run_tool("search --model " + dir + " --calib " + dir +
                                          "/ref_tokens.i32 --eval-tokens " + dir +
                                          "/ref_tokens.i32 --window-len 96 --windows 2 "
                                          "--eval-windows 2 --iterations 4 --tolerance 0.05 --json",
                                      "", false);
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j.at("trace").size() == 4);
  CHECK(j.at("reference_perplexity").get<double>() > 1);
  CHECK(j.at("eval").at("perplexity").get<double>() > 1);
}
