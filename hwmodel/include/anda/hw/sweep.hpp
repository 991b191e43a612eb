// Design-space sweeps (`anda sweep`): the cross product of models, Anda tuples, group sizes and the
// hardware file's lists, every point costed in closed form like `anda whatif`, and the Pareto
// front of the Anda design over latency, energy and area. Why here and not in the tool: the
// benchmark (bench/bench_hwmodel.cpp) times this very code and the tests check its Pareto flags
// against a brute-force dominance check.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "accelerator.hpp"
#include "hardware_fields.hpp"
#include "workload.hpp"

namespace anda::hw {

// The most points one sweep may have (the tool refuses more, saying how many were asked for).
inline constexpr std::uint64_t max_sweep_points = 100'000'000;

struct sweep_space {
  hardware_spec hardware;
  std::vector<model_shape> models;
  std::vector<std::vector<mantissa_tuple>> tuples;  // per model, every model with as many
  std::vector<int> groups{64};
  phase ph = phase::prefill;
  std::int64_t tokens = 2048;
  // Our extension (decode only, run_config::batch and kv_cache): batch sizes, and whether each
  // step pays its attention over the KV cache.
  std::vector<std::int64_t> batches{1};
  bool kv_cache = false;

  // Sizes of the dimensions, outermost first: model, batch, tuple, group, then the hardware file's
  // lists in file order (the last list varies fastest). Model and batch outermost: the points of
  // one workload are contiguous, and a Pareto front compares only those.
  std::vector<std::uint64_t> dims() const {
    std::vector<std::uint64_t> d = {models.size(), batches.size(),
                                    tuples.empty() ? 0 : tuples.front().size(), groups.size()};
    for (const auto& a : hardware.axes) d.push_back(a.values.size());
    return d;
  }

  // The number of points; std::invalid_argument past max_sweep_points (or when a list is empty).
  std::uint64_t size() const {
    std::uint64_t n = 1;
    double approx = 1;  // for the message when n no longer fits
    bool overflow = false;
    for (auto k : dims()) {
      if (k == 0)
        throw std::invalid_argument("a sweep needs at least one model, batch, tuple and group");
      approx *= static_cast<double>(k);
      overflow = overflow || __builtin_mul_overflow(n, k, &n);
    }
    if (overflow || n > max_sweep_points) {
      char count[64];
      if (overflow)
        std::snprintf(count, sizeof count, "about %.3g", approx);
      else
        std::snprintf(count, sizeof count, "%llu", static_cast<unsigned long long>(n));
      std::string msg = "a sweep of ";
      msg += count;
      msg += " points is more than the 100000000 (10^8) allowed: give fewer values";
      throw std::invalid_argument(msg);
    }
    return n;
  }
};

// One point: an index into each dimension of its sweep_space.
struct sweep_point {
  std::size_t model = 0, batch = 0, tuple = 0, group = 0;
  std::vector<std::size_t> values;  // into each hardware list

  const mantissa_tuple& tuple_of(const sweep_space& s) const { return s.tuples[model][tuple]; }
};

inline sweep_point sweep_point_at(const sweep_space& s, std::uint64_t i) {
  const auto d = s.dims();
  std::vector<std::size_t> digit(d.size());
  for (std::size_t k = d.size(); k-- > 0;) {
    digit[k] = static_cast<std::size_t>(i % d[k]);
    i /= d[k];
  }
  sweep_point p;
  p.model = digit[0];
  p.batch = digit[1];
  p.tuple = digit[2];
  p.group = digit[3];
  p.values.assign(digit.begin() + 4, digit.end());
  return p;
}

// The run configuration of a point: the file's hardware with the point's values, its group size,
// the sweep's phase, tokens, the point's batch and the KV-cache switch. `c` is reused from point to
// point (no allocation).
inline void configure(const sweep_space& s, const sweep_point& p, run_config& c) {
  c.tech = s.hardware.base;
  for (std::size_t k = 0; k < s.hardware.axes.size(); ++k) {
    const auto& a = s.hardware.axes[k];
    a.field->set(c.tech, a.values[p.values[k]]);
  }
  c.group = s.groups[p.group];
  c.ph = s.ph;
  c.tokens = s.tokens;
  c.batch = s.batches[p.batch];
  c.kv_cache = s.kv_cache;
}

// Workloads (model x batch) of a sweep, and the points of each, contiguous.
inline std::uint64_t sweep_workloads(const sweep_space& s) {
  return static_cast<std::uint64_t>(s.models.size()) * s.batches.size();
}

// What a sweep reports per design: latency, paper-calibrated energy (as `anda whatif`'s
// energy_j), chip area, and cycles; with the KV cache on, the attention's part of the first two.
struct point_cost {
  double latency_s = 0, energy_j = 0, area_mm2 = 0;
  std::int64_t cycles = 0;
  double attention_latency_s = 0, attention_energy_j = 0;
};

inline point_cost summarize(const design_cost& k) {
  return {k.latency_s, k.paper_calibrated.total_j(), k.area_mm2,
          k.cycles,    k.attention.latency_s,        k.attention.paper_calibrated.total_j()};
}

using point_costs = std::array<point_cost, all_designs.size()>;

// Every design at one point, exactly as `anda whatif` costs it (hw::evaluate).
inline point_costs cost_point(const model_shape& s, const mantissa_tuple& m, const run_config& c) {
  point_costs r;
  for (auto d : all_designs) r[static_cast<std::size_t>(d)] = summarize(evaluate(d, s, m, c));
  return r;
}

// Pareto flags of points (latency, energy, area), all minimised: a point is on the front when no
// other point is at most as large in all three and smaller in one. Equal points are all on it.
// O(n log n): in lexicographic order only an earlier point can dominate a later one, so a sweep
// keeps the 2-D front of (energy, area) seen so far as a staircase (energy up, area down).
inline std::vector<bool> pareto_front(const std::vector<std::array<double, 3>>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&v](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<bool> front(v.size(), false);
  std::map<double, double> stair;  // energy -> least area among points with at most that energy
  auto dominated = [&stair](double energy, double area) {
    auto it = stair.upper_bound(energy);
    return it != stair.begin() && std::prev(it)->second <= area;
  };
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;  // [i, j): equal points, which do not dominate each other
    while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
    const auto& p = v[order[i]];
    const bool on_front = !dominated(p[1], p[2]);
    for (std::size_t k = i; k < j; ++k) front[order[k]] = on_front;
    if (on_front) {
      // Drop the steps this point covers (energy >= its energy, area >= its area), then add it.
      auto it = stair.lower_bound(p[1]);
      while (it != stair.end() && it->second >= p[2]) it = stair.erase(it);
      stair[p[1]] = p[2];
    }
    i = j;
  }
  return front;
}

}  // namespace anda::hw
