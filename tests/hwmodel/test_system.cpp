// System level, paper Fig. 16 (geometric means over the nine models, WikiText2 tuples, prefill of
// 2048 tokens) and Fig. 17 (energy breakdown, LLaMA-13B). The paper's numbers are in the tests;
// the model's are computed. Tolerances: 5 % (relative) for Fig. 16, 3 points for Fig. 17.
#include <anda/hw/comparison.hpp>
#include <anda/hw/paper_tuples.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

using namespace anda::hw;

namespace {

struct means {
  double speedup, area_eff, energy_eff, energy_eff_first_principles;
};

// Geometric means over the nine Fig. 16 models for every design; `tight` = the 0.1 % tuples.
std::map<design, means> fig16_means(bool tight) {
  std::map<design, std::vector<double>> sp, ae, ee, ef;
  for (const auto& r : paper_tuples) {
    const auto cmp = compare(*find_preset(r.model), tight ? r.wt2_01 : r.wt2_1, run_config{});
    for (auto d : all_designs) {
      sp[d].push_back(cmp.ratio(d).speedup);
      ae[d].push_back(cmp.ratio(d).area_efficiency);
      ee[d].push_back(cmp.ratio(d).energy_efficiency);
      ef[d].push_back(cmp.ratio(d).energy_efficiency_first_principles);
    }
  }
  std::map<design, means> m;
  for (auto d : all_designs)
    m[d] = {geometric_mean(sp[d]), geometric_mean(ae[d]), geometric_mean(ee[d]),
            geometric_mean(ef[d])};
  return m;
}

}  // namespace

TEST_CASE("Fig. 16: Anda speedup, area and energy efficiency (geomean of 9 models), within 5 %",
          "[hwmodel][system][paper]") {
  const auto tight = fig16_means(true), loose = fig16_means(false);
  const auto& a01 = tight.at(design::anda);
  const auto& a1 = loose.at(design::anda);
  INFO("0.1 %: " << a01.speedup << " " << a01.area_eff << " " << a01.energy_eff);
  INFO("1 %: " << a1.speedup << " " << a1.area_eff << " " << a1.energy_eff);
  // Paper Fig. 16: 2.14 / 2.49 speedup, 3.47 / 4.03 area eff., 3.07 / 3.16 energy eff.
  CHECK(a01.speedup == Approx(2.14).epsilon(0.05));
  CHECK(a1.speedup == Approx(2.49).epsilon(0.05));
  CHECK(a01.area_eff == Approx(3.47).epsilon(0.05));
  CHECK(a1.area_eff == Approx(4.03).epsilon(0.05));
  CHECK(a01.energy_eff == Approx(3.07).epsilon(0.05));
  CHECK(a1.energy_eff == Approx(3.16).epsilon(0.05));
  // The pure (M+1) cycle law sits ~2 % below the paper's speedups (docs/paper.md §5.5); it must not
  // be above them (no hidden stall model).
  CHECK(a01.speedup < 2.14);
  CHECK(a1.speedup < 2.49);
  // Paper §VI-B: Anda is 1.48x / 1.25x faster than FIGNA-M11 / FIGNA-M8 (within 5 %).
  CHECK(a01.speedup / tight.at(design::figna_m11).speedup == Approx(1.48).epsilon(0.05));
  CHECK(a1.speedup / loose.at(design::figna_m8).speedup == Approx(1.25).epsilon(0.05));
}

TEST_CASE("Fig. 16: baseline rows, within 5 %", "[hwmodel][system][paper]") {
  const auto m = fig16_means(false);
  struct row {
    design d;
    double speedup, area_eff, energy_eff;
  };
  // Paper Fig. 16 (normalised to FP-FP).
  const row paper[] = {{design::fp_int, 1.00, 1.23, 1.25},
                       {design::ifpu, 1.00, 1.60, 1.42},
                       {design::figna, 1.00, 1.72, 1.53},
                       {design::figna_m11, 1.45, 2.55, 1.69},
                       {design::figna_m8, 2.00, 3.60, 1.94}};
  for (const auto& r : paper) {
    const auto& q = m.at(r.d);
    INFO(pe(r.d).name << ": " << q.speedup << " " << q.area_eff << " " << q.energy_eff);
    CHECK(q.speedup == Approx(r.speedup).epsilon(0.05));
    CHECK(q.area_eff == Approx(r.area_eff).epsilon(0.05));
    if (r.d == design::figna_m11 || r.d == design::figna_m8) {
      // Known deviation (README): Fig. 16's 1.69 / 1.94 for FIGNA-M11 / -M8 cannot follow from
      // Fig. 17, where their memory energy equals FP-FP's (59 % of its total), which caps their
      // efficiency at 1/0.59 = 1.69 however cheap the PE. The model reproduces Fig. 17's
      // LLaMA-13B values (1.58, 1.61) within 5 % for every model and stays below Fig. 16's.
      CHECK(q.energy_eff == Approx(r.d == design::figna_m11 ? 1.58 : 1.61).epsilon(0.05));
      CHECK(q.energy_eff < r.energy_eff);
    } else {
      CHECK(q.energy_eff == Approx(r.energy_eff).epsilon(0.05));
    }
  }
}

TEST_CASE("Fig. 17: energy breakdown of LLaMA-13B, within 3 points", "[hwmodel][system][paper]") {
  const auto s = *find_preset("llama-13b");
  const auto c01 = compare(s, *paper_tuple("llama-13b", dataset::wikitext2, true), run_config{});
  const auto c1 = compare(s, *paper_tuple("llama-13b", dataset::wikitext2, false), run_config{});
  struct row {
    const comparison* cmp;
    design d;
    double compute, sram, dram, gain;
  };
  // Paper Fig. 17: compute / SRAM / DRAM as % of the FP-FP total, and energy-efficiency gain.
  const row paper[] = {
      {&c1, design::fp_fp, 42, 11, 48, 1.00},    {&c1, design::fp_int, 22, 11, 48, 1.25},
      {&c1, design::ifpu, 12, 11, 48, 1.43},     {&c1, design::figna, 7, 11, 48, 1.53},
      {&c1, design::figna_m11, 5, 11, 48, 1.58}, {&c1, design::figna_m8, 4, 11, 48, 1.61},
      {&c01, design::anda, 5, 5, 24, 2.96},      {&c1, design::anda, 4, 5, 24, 3.13}};
  for (const auto& r : paper) {
    const auto& q = r.cmp->ratio(r.d);
    INFO(pe(r.d).name << ": " << 100 * q.share.compute_j << " " << 100 * q.share.sram_j << " "
                      << 100 * q.share.dram_j << " gain " << q.energy_efficiency);
    CHECK(100 * q.share.compute_j == Approx(r.compute).margin(3));
    CHECK(100 * q.share.sram_j == Approx(r.sram).margin(3));
    CHECK(100 * q.share.dram_j == Approx(r.dram).margin(3));
    // The gain, within 5 %.
    CHECK(q.energy_efficiency == Approx(r.gain).epsilon(0.05));
  }
  // Paper: Anda saves 90 % of FP-FP's compute energy (within 3 points, both tolerances).
  CHECK(1 - c1.ratio(design::anda).share.compute_j / c1.ratio(design::fp_fp).share.compute_j ==
        Approx(0.90).margin(0.03));
  CHECK(1 - c01.ratio(design::anda).share.compute_j / c01.ratio(design::fp_fp).share.compute_j ==
        Approx(0.90).margin(0.03));
}

TEST_CASE("Fig. 17 memory: first principles vs paper-calibrated, both reported",
          "[hwmodel][system][paper]") {
  // Fig. 17 halves Anda's DRAM energy (24 % vs 48 % of FP-FP's total) for both tolerances and
  // cuts its SRAM energy to 5/11. First principles (bits moved, power-of-two buffer tiles) give
  // Anda/FP-FP ratios that are compared here in Fig. 17's points (ratio x 48 %, x 11 %), within
  // 3 points. The paper-calibrated basis uses Fig. 17's ratios themselves.
  const auto s = *find_preset("llama-13b");
  auto ratios = [&](bool tight, const run_config& c) {
    const auto m = *paper_tuple("llama-13b", dataset::wikitext2, tight);
    const auto a = evaluate(design::anda, s, m, c);
    const auto f = evaluate(design::fp_fp, s, m, c);
    return std::pair{a.first_principles.dram_j / f.first_principles.dram_j,
                     a.first_principles.sram_j / f.first_principles.sram_j};
  };
  const run_config c{};
  const auto [d1, s1] = ratios(false, c);
  const auto [d01, s01] = ratios(true, c);
  INFO("first-principles Anda/FP-FP DRAM: 1 % " << d1 << ", 0.1 % " << d01 << "; SRAM: 1 % " << s1
                                                << ", 0.1 % " << s01);
  CHECK(48 * d1 == Approx(24).margin(3));
  CHECK(48 * d01 == Approx(24).margin(3));
  CHECK(11 * s1 == Approx(5).margin(3));
  CHECK(11 * s01 == Approx(5).margin(3));
  // Why both halve: with power-of-two activation tiles, 7-11 bit Anda activations fit twice the
  // FP16 tokens, so the weights stream half as often. Without that tiling rule, the 0.1 % tuple's
  // ratio follows bits per element instead (about 0.6, i.e. 29 % rather than 24 %).
  run_config any_tile{};
  any_tile.tech.power_of_two_tiles = false;
  CHECK(48 * ratios(true, any_tile).first > 27);
  // The paper-calibrated figure is Fig. 17's ratio, applied to the calibrated FP-FP energy.
  const auto m = *paper_tuple("llama-13b", dataset::wikitext2, true);
  const auto a = evaluate(design::anda, s, m, c);
  const auto f = evaluate(design::fp_fp, s, m, c);
  CHECK(a.paper_calibrated.dram_j / f.paper_calibrated.dram_j == Approx(24.0 / 48).margin(1e-9));
  CHECK(a.paper_calibrated.sram_j / f.paper_calibrated.sram_j == Approx(5.0 / 11).margin(1e-9));
}

TEST_CASE("Fig. 18: LLaMA-13B at 0.1 % loss, within 5 %", "[hwmodel][system][paper]") {
  // Paper Fig. 18: 1.73x speedup and 2.95x energy efficiency at 0.1 %.
  const auto c = compare(*find_preset("llama-13b"),
                         *paper_tuple("llama-13b", dataset::wikitext2, true), run_config{});
  CHECK(c.ratio(design::anda).speedup == Approx(1.73).epsilon(0.05));
  CHECK(c.ratio(design::anda).energy_efficiency == Approx(2.95).epsilon(0.05));
}

TEST_CASE("system area: Table III total and the derived FP-FP chip", "[hwmodel][system]") {
  const technology t{};
  // Table III: Anda total 2.17 mm2 (its rows sum to 2.21; the model sums the rows): within 2 %.
  CHECK(chip_area_mm2(design::anda, t) == Approx(2.17).epsilon(0.02));
  // docs/paper.md §5.5: FP-FP system about 3.5 mm2 (MXU 0.41/0.2304 = 1.78 mm2 + the same SRAM).
  CHECK(chip_area_mm2(design::fp_fp, t) == Approx(3.5).epsilon(0.02));
}

// Issue 15, item 4: counts past 2^63 - 1 throw instead of wrapping into negative cycles and
// energies; below that, every figure is positive.
TEST_CASE("cost model: huge workloads overflow loudly, never wrap", "[hwmodel][system]") {
  const auto s = *find_preset("llama2-7b");
  const mantissa_tuple m{8, 8, 8, 8};
  run_config c{};
  c.tokens = std::int64_t{9223372036854775807};  // INT64_MAX: row tiles used to wrap
  for (auto d : all_designs) CHECK_THROWS_AS(evaluate(d, s, m, c), cost_overflow);
  c.tokens = std::int64_t{1} << 50;  // cycles past 2^63
  CHECK_THROWS_AS(evaluate(design::fp_fp, s, m, c), cost_overflow);
  c.tokens = 1'000'000'000'000;  // the largest `anda whatif --tokens`: fits on LLaMA-2-7B
  for (auto d : all_designs) {
    const auto k = evaluate(d, s, m, c);
    CHECK(k.cycles > 0);
    CHECK(k.paper_calibrated.compute_j > 0);
    CHECK(k.paper_calibrated.sram_j > 0);
    CHECK(k.paper_calibrated.dram_j > 0);
    CHECK(k.first_principles.total_j() > 0);
  }
  // A shape whose GeMM widths overflow (heads x head_dim past 2^63).
  auto wide = s;
  wide.heads = wide.head_dim = std::int64_t{1} << 32;
  CHECK_THROWS_AS(evaluate(design::anda, wide, m, run_config{}), cost_overflow);
}
