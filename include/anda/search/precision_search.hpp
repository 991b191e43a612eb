// The adaptive precision search (paper Algorithm 1, docs/search.md): the cheapest
// tuple [M_qkv, M_o, M_u, M_d] whose accuracy the caller accepts.
//
// Start queue: the uniform tuples [lo]*4 .. [hi]*4 in that order. Each iteration takes the queued
// tuple of lowest cost (the first queued wins a tie), marks it visited and evaluates it; if it is
// accepted and cheaper than the best so far it becomes the best, and its four neighbours (one
// coordinate lowered by 1, in the order qkv, o, u, d; none below lo) that were neither visited
// nor already queued are queued. The search stops after max_iterations evaluations or when the
// queue is empty. [ours] A tuple already waiting in the queue is not queued twice (the paper's
// pseudo-code may hold duplicates; the best tuple is the same, no evaluation is repeated).
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace anda::search {

// Mantissa lengths of the four activation types: inputs of q/k/v, o, gate/up, down.
using tuple = std::array<int, 4>;

inline std::string to_string(const tuple& t) {
  return "[" + std::to_string(t[0]) + "," + std::to_string(t[1]) + "," + std::to_string(t[2]) +
         "," + std::to_string(t[3]) + "]";
}

// MACs per module type (any common unit); BOPs = sum of MACs x M x 4 (the paper's definition,
// in which one FP16 x INT4 MAC is 64 BOPs).
struct mac_counts {
  double qkv = 0, o = 0, u = 0, d = 0;
};

inline double bops(const mac_counts& macs, const tuple& m) {
  return 4.0 * (macs.qkv * m[0] + macs.o * m[1] + macs.u * m[2] + macs.d * m[3]);
}

// What the caller's judge says of a tuple: accepted or not, and the metric it used (perplexity).
struct verdict {
  bool accepted = false;
  double metric = 0;
};

struct evaluation {
  int iteration = 0;  // 1-based
  tuple modules{};
  double cost = 0;
  verdict result;
  bool new_best = false;
};

struct options {
  int lowest = 4;           // smallest M tried
  int highest = 13;         // largest uniform M in the start queue
  int max_iterations = 32;  // the paper's N
};

struct result {
  std::optional<tuple> best;
  double best_cost = std::numeric_limits<double>::infinity();
  std::vector<evaluation> trace;
};

// cost(t): the price of a tuple (bops() or a hardware model's energy or cycles).
// judge(t): evaluates accuracy (the expensive step). on_evaluation: called after each step.
inline result precision_search(const std::function<double(const tuple&)>& cost,
                               const std::function<verdict(const tuple&)>& judge,
                               const options& opt = {},
                               const std::function<void(const evaluation&)>& on_evaluation = {}) {
  if (opt.lowest < 1 || opt.highest > 16 || opt.lowest > opt.highest || opt.max_iterations < 1)
    throw std::invalid_argument(
        "precision_search: need 1 <= lowest <= highest <= 16 and at least "
        "one iteration");
  std::vector<tuple> queue, visited;
  for (int m = opt.lowest; m <= opt.highest; ++m) queue.push_back({m, m, m, m});
  auto contains = [](const std::vector<tuple>& v, const tuple& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  result out;
  for (int iteration = 1; iteration <= opt.max_iterations && !queue.empty(); ++iteration) {
    auto cheapest = queue.begin();
    double cheapest_cost = cost(*cheapest);
    for (auto it = queue.begin() + 1; it != queue.end(); ++it) {
      const double c = cost(*it);
      if (c < cheapest_cost) cheapest = it, cheapest_cost = c;  // strict: first queued wins ties
    }
    const tuple current = *cheapest;
    queue.erase(cheapest);
    visited.push_back(current);
    evaluation e{iteration, current, cheapest_cost, judge(current), false};
    if (e.result.accepted && cheapest_cost < out.best_cost) {
      e.new_best = true;
      out.best = current;
      out.best_cost = cheapest_cost;
      for (int i = 0; i < 4; ++i) {
        tuple next = current;
        if (--next[i] < opt.lowest || contains(visited, next) || contains(queue, next)) continue;
        queue.push_back(next);
      }
    }
    out.trace.push_back(e);
    if (on_evaluation) on_evaluation(e);
  }
  return out;
}

// The default acceptance for perplexity [ours; the paper leaves the form open]: accuracy is
// 1 / PPL, so a tuple is accepted when PPL <= PPL_ref / (1 - tolerance).
inline bool perplexity_accepted(double ppl, double reference_ppl, double tolerance) {
  return ppl <= reference_ppl / (1.0 - tolerance);
}

}  // namespace anda::search
