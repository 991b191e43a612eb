// Workloads: preset shapes, MAC counts, BOPs reduction for every Fig. 14 tuple (Table II). (The
// HF config.json reader is the library's: tests/io_model/test_hf_config.cpp, whatif CLI tests.)
#include <anda/hw/paper_tuples.hpp>
#include <anda/hw/technology.hpp>
#include <anda/hw/workload.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

using namespace anda::hw;

namespace {
double per_token_macs(const model_shape& s) {
  double r = 0;
  for (double m : module_macs_per_token(s)) r += m;
  return r;
}
}  // namespace

TEST_CASE("presets: MACs per token of the paper's models (docs/paper.md §7)",
          "[hwmodel][workload]") {
  // Derived table in docs/paper.md §7 (standard HF shapes), within 0.1 %.
  const std::pair<const char*, double> paper[] = {
      {"opt-1.3b", 1.208e9},  {"opt-2.7b", 2.517e9},   {"opt-6.7b", 6.442e9},
      {"opt-13b", 12.583e9},  {"opt-30b", 29.595e9},   {"llama-7b", 6.476e9},
      {"llama2-7b", 6.476e9}, {"llama-13b", 12.688e9}, {"llama2-13b", 12.688e9}};
  for (const auto& [name, macs] : paper) {
    INFO(name);
    const auto s = find_preset(name);
    REQUIRE(s.has_value());
    CHECK(per_token_macs(*s) == Approx(macs).epsilon(0.001));
  }
  // Module shares of LLaMA-2-7B: 0.2487, 0.0829, 0.4456, 0.2228 (docs/paper.md §7).
  const auto m = module_macs_per_token(*find_preset("llama2-7b"));
  const double total = m[0] + m[1] + m[2] + m[3];
  CHECK(m[0] / total == Approx(0.2487).margin(5e-4));
  CHECK(m[1] / total == Approx(0.0829).margin(5e-4));
  CHECK(m[2] / total == Approx(0.4456).margin(5e-4));
  CHECK(m[3] / total == Approx(0.2228).margin(5e-4));
  CHECK_FALSE(find_preset("gpt-2").has_value());
}

TEST_CASE("presets: grouped-query attention narrows k/v", "[hwmodel][workload]") {
  const auto s70 = *find_preset("llama2-70b");
  CHECK(s70.kv_dim() == 1024);
  const auto g = model_gemms(s70, 1);
  CHECK(g[0].n == 8192 + 2 * 1024);
  CHECK(g[2].n == 2 * 28672);
  CHECK(g[3].k == 28672);
  const auto s3 = *find_preset("llama3-8b");
  CHECK(model_gemms(s3, 1)[0].n == 4096 + 2 * 1024);
  // LLaMA-3-8B: 32 layers x (4096 x 6144 + 4096^2 + 3 x 4096 x 14336) = 6.98 G MACs per token.
  CHECK(per_token_macs(s3) == Approx(6.979e9).epsilon(0.001));
}

TEST_CASE("Table II: BOPs reduction 16/M_w for every Fig. 14 tuple, within 0.01",
          "[hwmodel][workload][paper]") {
  // Paper Table II BOPs reductions (WikiText2 0.1 %, 1 %; C4 0.1 %, 1 %), models in Fig. 14 order.
  const double paper[9][4] = {
      {2.74, 2.95, 1.86, 2.43}, {2.91, 3.25, 2.11, 2.86}, {3.10, 3.31, 2.23, 3.05},
      {1.99, 2.56, 2.16, 2.70}, {1.96, 2.56, 2.04, 2.67}, {2.86, 3.20, 2.23, 2.86},
      {1.88, 2.59, 2.16, 2.70}, {1.80, 2.44, 2.14, 2.70}, {3.10, 3.31, 2.31, 3.09}};
  for (std::size_t i = 0; i < paper_tuples.size(); ++i) {
    const auto& r = paper_tuples[i];
    const auto s = *find_preset(r.model);
    const mantissa_tuple tuples[4] = {r.wt2_01, r.wt2_1, r.c4_01, r.c4_1};
    for (int c = 0; c < 4; ++c) {
      INFO(r.model << " column " << c << ": model " << bops_reduction(s, tuples[c]));
      CHECK(bops_reduction(s, tuples[c]) == Approx(paper[i][c]).margin(0.01));
    }
  }
  // FIGNA (M = 13) 1.23x and VS-Quant* (M = 4) 4.00x in every column.
  const auto s = *find_preset("opt-6.7b");
  CHECK(bops_reduction(s, {13, 13, 13, 13}) == Approx(1.23).margin(0.01));
  CHECK(bops_reduction(s, {4, 4, 4, 4}) == Approx(4.00).margin(0.01));
  // Fig. 9: OPT-125M [7,7,6,5] is 0.462 of FIGNA's BOPs.
  CHECK(mean_mantissa(*find_preset("opt-125m"), opt125m_wt2_1) / 13 == Approx(0.462).margin(0.001));
}

TEST_CASE("Table III's mean mantissa is LLaMA-13B's 1 % tuple", "[hwmodel][workload]") {
  const double m = mean_mantissa(*find_preset("llama-13b"),
                                 *paper_tuple("llama-13b", dataset::wikitext2, false));
  CHECK(technology{}.table3_mean_mantissa == Approx(m).margin(1e-3));
}
