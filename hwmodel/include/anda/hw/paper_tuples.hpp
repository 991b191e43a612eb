// The precision tuples [M_qkv, M_o, M_u, M_d] found by the paper's adaptive search (Fig. 14,
// decoded and validated against Table II's BOPs in docs/paper.md §4.4), as data for what-if runs.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "workload.hpp"

namespace anda::hw {

enum class dataset { wikitext2, c4 };

struct paper_tuple_row {
  std::string_view model;                     // preset name
  mantissa_tuple wt2_01, wt2_1, c4_01, c4_1;  // 0.1 % and 1 % accuracy-loss tolerance
};

// Paper Fig. 14 (the nine models of Fig. 16, in the paper's order).
inline constexpr std::array<paper_tuple_row, 9> paper_tuples = {{
    {"opt-1.3b", {8, 6, 5, 5}, {8, 5, 5, 4}, {9, 8, 9, 8}, {7, 6, 7, 6}},
    {"opt-2.7b", {7, 5, 5, 5}, {6, 5, 5, 4}, {8, 7, 8, 7}, {6, 5, 6, 5}},
    {"opt-6.7b", {7, 5, 5, 4}, {6, 4, 5, 4}, {8, 6, 7, 7}, {6, 5, 6, 4}},
    {"llama-7b", {9, 8, 8, 7}, {7, 6, 6, 6}, {8, 6, 7, 8}, {6, 5, 6, 6}},
    {"llama2-7b", {9, 7, 8, 8}, {7, 6, 6, 6}, {8, 6, 8, 8}, {6, 6, 6, 6}},
    {"opt-13b", {7, 6, 5, 5}, {6, 6, 5, 4}, {8, 6, 7, 7}, {6, 5, 6, 5}},
    {"llama-13b", {10, 8, 8, 8}, {7, 5, 6, 6}, {8, 6, 7, 8}, {6, 5, 6, 6}},
    {"llama2-13b", {10, 10, 8, 9}, {7, 7, 6, 7}, {8, 7, 7, 8}, {6, 5, 6, 6}},
    {"opt-30b", {7, 5, 5, 4}, {6, 4, 5, 4}, {7, 6, 7, 7}, {6, 4, 6, 4}},
}};

// Paper Fig. 9: OPT-125M, WikiText2, 1 % (the search trace example).
inline constexpr mantissa_tuple opt125m_wt2_1 = {7, 7, 6, 5};

// The paper's tuple for a preset, dataset and tolerance (0.1 % -> tight = true), if it has one.
inline std::optional<mantissa_tuple> paper_tuple(std::string_view model, dataset ds, bool tight) {
  for (const auto& r : paper_tuples)
    if (r.model == model) {
      if (ds == dataset::wikitext2) return tight ? r.wt2_01 : r.wt2_1;
      return tight ? r.c4_01 : r.c4_1;
    }
  if (model == "opt-125m" && ds == dataset::wikitext2 && !tight) return opt125m_wt2_1;
  return std::nullopt;
}

}  // namespace anda::hw
