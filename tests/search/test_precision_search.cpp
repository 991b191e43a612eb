// Algorithm 1: the paper's Fig. 9 trace, and the rules of docs/search.md.
#include <catch2/catch.hpp>

#include <anda/search/precision_search.hpp>

#include <map>

using namespace anda::search;

TEST_CASE("Fig. 9: OPT-125M, WikiText2, 1 %: the trace and the best tuple", "[search]") {
  const mac_counts opt125m{3, 1, 4,
                           4};  // d = 768, ffn = 3072: q/k/v 3 d^2, o d^2, fc1 and fc2 4 d^2
  // The outcomes the figure shows, in the order it shows them.
  const std::vector<std::pair<tuple, bool>> figure = {
      {{4, 4, 4, 4}, false}, {{5, 5, 5, 5}, false}, {{6, 6, 6, 6}, false}, {{7, 7, 7, 7}, true},
      {{7, 7, 6, 7}, true},  {{7, 7, 5, 7}, false}, {{7, 7, 6, 6}, true},  {{7, 7, 5, 6}, false},
      {{7, 7, 6, 5}, true},  {{7, 7, 5, 5}, false}};
  std::size_t asked = 0;
  auto judge = [&](const tuple& t) {
    REQUIRE(asked < figure.size());
    CHECK(t == figure[asked].first);  // the search asks for exactly the figure's tuples
    return verdict{figure[asked++].second, 0.0};
  };
  const auto cost = [&](const tuple& t) { return bops(opt125m, t); };
  const result r = precision_search(cost, judge, {4, 13, 10});
  REQUIRE(r.trace.size() == 10);
  REQUIRE(r.best.has_value());
  CHECK(*r.best == tuple{7, 7, 6, 5});
  const double figna = bops(opt125m, {13, 13, 13, 13});
  CHECK(r.best_cost / figna == Approx(0.462).margin(0.0005));
  CHECK(r.trace[8].new_best);
  CHECK_FALSE(r.trace[9].new_best);
}

TEST_CASE("the search never evaluates a tuple twice and respects the bounds", "[search]") {
  const mac_counts macs{3, 1, 8, 4};
  std::map<tuple, int> seen;
  // Accept when the weighted mean M is at least 6.2: a smooth frontier with many neighbours.
  auto judge = [&](const tuple& t) {
    ++seen[t];
    const double mean = (3.0 * t[0] + t[1] + 8.0 * t[2] + 4.0 * t[3]) / 16.0;
    return verdict{mean >= 6.2, mean};
  };
  const result r =
      precision_search([&](const tuple& t) { return bops(macs, t); }, judge, {5, 9, 200});
  for (const auto& [t, n] : seen) {
    CHECK(n == 1);
    for (int m : t) CHECK(m >= 5);
  }
  REQUIRE(r.best.has_value());
  // The best is accepted and no accepted tuple evaluated is cheaper.
  for (const auto& e : r.trace)
    if (e.result.accepted) CHECK(e.cost >= r.best_cost);
  CHECK(r.trace.size() < 200);  // the queue emptied before the limit
}

TEST_CASE("nothing accepted: no best; bad options are refused", "[search]") {
  int calls = 0;
  const result r = precision_search([](const tuple& t) { return double(t[0]); },
                                    [&](const tuple&) {
                                      ++calls;
                                      return verdict{false, 0};
                                    },
                                    {4, 13, 32});
  CHECK_FALSE(r.best.has_value());
  CHECK(calls == 10);  // only the uniform start tuples
  CHECK_THROWS_AS(precision_search([](const tuple&) { return 0.0; },
                                   [](const tuple&) { return verdict{}; }, {5, 4, 3}),
                  std::invalid_argument);
  CHECK(perplexity_accepted(37.0, 37.0, 0.0));
  CHECK(perplexity_accepted(37.37, 37.0, 0.01));
  CHECK_FALSE(perplexity_accepted(37.38, 37.0, 0.01));
}
