// A what-if comparison: every design on one workload and tuple, with ratios against FP-FP
// (speedup, area efficiency = throughput per mm2, energy efficiency = work per joule) and energy
// shares as fractions of the FP-FP total (paper Fig. 16/17 conventions).
#pragma once

#include <cmath>
#include <vector>

#include "accelerator.hpp"
#include "workload.hpp"

namespace anda::hw {

struct design_ratios {
  design d;
  double speedup = 1, area_efficiency = 1;
  double energy_efficiency = 1;                   // paper-calibrated basis
  double energy_efficiency_first_principles = 1;  // first-principles basis
  energy_split share, share_first_principles;     // fractions of FP-FP's total on each basis
};

struct comparison {
  model_shape shape;
  mantissa_tuple tuple{};
  run_config config;
  double bops_reduction = 1;
  std::vector<design_cost> costs;     // in all_designs order
  std::vector<design_ratios> ratios;  // same order

  const design_cost& cost(design d) const { return costs[static_cast<std::size_t>(d)]; }
  const design_ratios& ratio(design d) const { return ratios[static_cast<std::size_t>(d)]; }
};

inline energy_split shares_of(const energy_split& e, double total) {
  return {e.compute_j / total, e.sram_j / total, e.dram_j / total};
}

inline comparison compare(const model_shape& s, const mantissa_tuple& m, const run_config& c) {
  comparison r;
  r.shape = s;
  r.tuple = m;
  r.config = c;
  r.bops_reduction = bops_reduction(s, m);
  for (design d : all_designs) r.costs.push_back(evaluate(d, s, m, c));
  const auto& base = r.costs.front();
  for (const auto& k : r.costs) {
    design_ratios q;
    q.d = k.d;
    q.speedup = static_cast<double>(base.cycles) / static_cast<double>(k.cycles);
    q.area_efficiency = q.speedup * base.area_mm2 / k.area_mm2;
    q.energy_efficiency = base.paper_calibrated.total_j() / k.paper_calibrated.total_j();
    q.energy_efficiency_first_principles =
        base.first_principles.total_j() / k.first_principles.total_j();
    q.share = shares_of(k.paper_calibrated, base.paper_calibrated.total_j());
    q.share_first_principles = shares_of(k.first_principles, base.first_principles.total_j());
    r.ratios.push_back(q);
  }
  return r;
}

inline double geometric_mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::log(x);
  return v.empty() ? 0.0 : std::exp(s / static_cast<double>(v.size()));
}

}  // namespace anda::hw
