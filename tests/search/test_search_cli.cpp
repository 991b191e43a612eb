// `anda search` end to end on tiny-llama-en (one window per evaluation to stay quick).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include "run_tool.hpp"

namespace {

anda::test::tool_result run(const std::string& args) {
  return anda::test::run_tool(args);
}

const std::string model = std::string(ANDA_TEST_DATA_DIR) + "/models/tiny-llama-en";

}  // namespace

TEST_CASE("anda search --json: trace, best tuple and held-out check", "[search][cli]") {
  const auto r = run("search --model " + model +
                     " --windows 1 --eval-windows 1 --iterations 5 --tolerance 0.05 --json");
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.output);
  const auto& trace = j.at("trace");
  REQUIRE(trace.size() == 5);
  CHECK(trace[0].at("modules") == std::vector<int>{4, 4, 4, 4});
  CHECK(j.at("weights") == "int4");  // the run's settings are echoed, so it can be replayed
  CHECK(j.at("group") == 64);
  CHECK(j.at("windows") == 1);
  CHECK(j.at("reference_perplexity").get<double>() > 1.0);
  // Every accepted evaluation is within the tolerance; the best is the cheapest accepted one.
  double cheapest = 1e300;
  for (const auto& e : trace) {
    if (!e.at("accepted").get<bool>()) continue;
    CHECK(e.at("perplexity").get<double>() <= j.at("reference_perplexity").get<double>() / 0.95);
    cheapest = std::min(cheapest, e.at("cost").get<double>());
  }
  REQUIRE(j.contains("best"));  // a 5 % tolerance accepts some tuple within 5 iterations
  CHECK(j.at("best_cost").get<double>() == cheapest);
  CHECK(j.at("bops_reduction").get<double>() > 1.0);
  CHECK(j.at("eval").at("perplexity").get<double>() > 1.0);
}

TEST_CASE("anda search: hwmodel energy cost and errors", "[search][cli]") {
  const auto e = run("search --model " + model +
                     " --windows 1 --eval-windows 1 --iterations 2 --cost energy --json");
  INFO(e.output);
  REQUIRE(e.status == 0);
  CHECK(nlohmann::json::parse(e.output).at("cost") == "energy");
  const auto missing = run("search --model /nonexistent/model --windows 1");
  CHECK(missing.status != 0);
  CHECK(missing.output.rfind("anda: error: ", 0) == 0);
  const auto short_stream = run("search --model " + model + " --windows 1 --eval-windows 100000");
  CHECK(short_stream.status != 0);
  CHECK_THAT(short_stream.output, Catch::Contains("100000 windows"));
  const auto int8_energy = run("search --model " + model + " --cost energy --weights int8");
  CHECK(int8_energy.status != 0);
  CHECK_THAT(int8_energy.output, Catch::Contains("INT4 weights"));
  const auto preset = run("search --model " + model + " --cost cycles --preset no-such-model");
  CHECK(preset.status != 0);
  CHECK_THAT(preset.output, Catch::Contains("no-such-model"));
}

// Issue 15, items 6 and 10: floating options must be finite and in range; --lowest above
// --highest is refused before the model loads (a missing model shows it is not loaded).
TEST_CASE("anda search: NaN tolerance and inverted M range are refused up front", "[search][cli]") {
  for (const char* tol : {"nan", "inf", "-0.1", "0.6", "1e400", "x"}) {
    const auto r = run("search --model " + model + " --tolerance " + tol + " --windows 1");
    INFO(tol << "\n" << r.output);
    CHECK(r.status == 1);
    CHECK(r.output.rfind("anda: error: --tolerance", 0) == 0);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  const auto inverted = run("search --model /nonexistent/model --lowest 13 --highest 4");
  CHECK(inverted.status == 1);
  CHECK_THAT(inverted.output, Catch::Contains("--lowest 13 is above --highest 4"));
  for (const char* bad : {"--windows -1", "--threads -4", "--iterations -1"}) {
    const auto r = run("search --model " + model + " " + bad);
    INFO(bad << "\n" << r.output);
    CHECK(r.status == 1);
  }
}
