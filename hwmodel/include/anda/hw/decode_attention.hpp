// Decode with a KV cache: OUR EXTENSION, NOT IN THE PAPER. The paper costs the FP-INT GeMMs only
// (§V-A); a decode step also multiplies the new token's query by every cached key (Q·K^T) and the
// probabilities by every cached value (P·V), reading the whole KV cache from DRAM. Both products
// are FP16 x FP16 and grow with the context, so past some context they dominate the step; this
// header prices them so a user can see where. Off unless run_config::kv_cache is set.
// Assumptions ([A], docs/hwmodel.md §13):
// - Both products run on the MXU at the FP-FP PE rate, in every design (an FP16 x FP16 datapath
//   of FP-FP throughput beside each design's own; its area is not charged), mapped like the GeMMs:
//   output-stationary, the query heads that share one kv head on the rows (the cached keys and
//   values are the column operand, shared by those rows only), one instance per layer, kv head
//   and sequence.
// - The cache holds FP16 elements as the QKV GeMM writes them (operand_bits::out) and is read from
//   DRAM once per step; the new token's K/V write is the QKV GeMM's output traffic, counted there.
// - Scores stay on chip (an online softmax on the vector unit, whose time and energy are not
//   modelled, as in the paper); the query is read from and the output written to DRAM, as every
//   GeMM of the model reads its input and writes its output.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "checked.hpp"
#include "energy.hpp"
#include "memory.hpp"
#include "pe.hpp"
#include "technology.hpp"
#include "workload.hpp"

namespace anda::hw {

// One attention product of a decode step: t x k times k x n, FP16 x FP16, `count` instances.
// Not a `gemm`: it belongs to no activation module and has no INT4 weights.
struct attention_product {
  std::string_view what;  // "q.k^T" or "p.v"
  std::int64_t t, k, n;   // t: query heads per kv head (GQA group); k, n: head_dim or context
  std::int64_t count;     // layers x kv_heads x batch
  double bits_in = 0;     // DRAM bits read per instance (query, or cached keys; cached values)
  double bits_out = 0;    // DRAM bits written per instance (the attention output of p.v)

  double macs() const {
    return static_cast<double>(t) * static_cast<double>(k) * static_cast<double>(n) *
           static_cast<double>(count);
  }
};

// The two products of one decode step of `batch` sequences, each attending to `context` cached
// positions (the new token's own K/V counted among them).
inline std::array<attention_product, 2> decode_attention_products(const model_shape& s,
                                                                  std::int64_t batch,
                                                                  std::int64_t context) {
  using detail::mul;
  const char* what = "attention instance count";
  const double element_bits = operand_bits{}.out;  // FP16, as the QKV GeMM writes K and V
  const std::int64_t group =
      std::max<std::int64_t>(1, s.heads / std::max<std::int64_t>(1, s.kv_heads));
  const std::int64_t count = mul(mul(s.layers, s.kv_heads, what), batch, what);
  const double d = static_cast<double>(s.head_dim), ctx = static_cast<double>(context),
               g = static_cast<double>(group);
  const double cache_bits = ctx * d * element_bits;  // the keys (or the values) of one kv head
  return {{{"q.k^T", group, s.head_dim, context, count, g * d * element_bits + cache_bits, 0},
           {"p.v", group, context, s.head_dim, count, cache_bits, g * d * element_bits}}};
}

struct attention_product_cost {
  attention_product p;
  std::int64_t compute_cycles = 0, memory_cycles = 0, cycles = 0;  // per instance
  bool memory_bound = false;
  double sram_bits = 0;  // per instance
};

// The attention of a decode step, on both energy bases; all zero when not asked for.
struct attention_cost {
  double macs = 0;
  double kv_read_bits = 0;   // the cached keys and values read, all layers and sequences
  double kv_write_bits = 0;  // the new token's K/V (inside the QKV GeMM's output traffic)
  double dram_bits = 0;      // everything the products move: cache, queries, outputs
  std::int64_t cycles = 0;
  double latency_s = 0;
  int memory_bound_products = 0;
  energy_split first_principles, paper_calibrated;
  std::array<attention_product_cost, 2> products{};
};

// Cost of the attention of one decode step on technology `t` (see the assumptions above).
inline attention_cost decode_attention_cost(const model_shape& s, std::int64_t batch,
                                            std::int64_t context, const technology& t) {
  using detail::mul;
  const char* cyc = "attention cycle count";
  const pe_model& fp = t.pe_of(design::fp_fp);
  const double e_mac = fp_fp_mac_energy_pj(t) * 1e-12 * energy_per_mac_ratio(fp, 16);
  const double e_sram = sram_pj_per_bit(t) * 1e-12;
  const double e_dram = t.dram_pj_per_bit * 1e-12;
  const double element_bits = operand_bits{}.out;
  attention_cost r;
  std::size_t i = 0;
  for (const auto& p : decode_attention_products(s, batch, context)) {
    attention_product_cost pc;
    pc.p = p;
    const std::int64_t row_tiles = detail::ceil_div(p.t, t.array_rows);
    const std::int64_t col_tiles = detail::ceil_div(p.n, t.array_cols);
    pc.compute_cycles =
        mul(mul(mul(row_tiles, col_tiles, cyc), detail::ceil_div(p.k, t.pe_lanes), cyc),
            cycles_per_chunk(fp, 16), cyc);
    const double dram = p.bits_in + p.bits_out;
    pc.memory_cycles = detail::to_count(std::ceil(dram / t.dram_bits_per_cycle()), cyc);
    pc.cycles = std::max(pc.compute_cycles, pc.memory_cycles);
    pc.memory_bound = pc.memory_cycles > pc.compute_cycles;
    // SRAM as for a GeMM (memory.hpp): the row operand read once per column tile, the column
    // operand once per row tile, DRAM fills written, outputs written and read back.
    const double a_bits = static_cast<double>(p.t) * static_cast<double>(p.k) * element_bits;
    const double w_bits = static_cast<double>(p.k) * static_cast<double>(p.n) * element_bits;
    const double o_bits = static_cast<double>(p.t) * static_cast<double>(p.n) * element_bits;
    pc.sram_bits = a_bits * static_cast<double>(col_tiles) +
                   w_bits * static_cast<double>(row_tiles) + p.bits_in + 2 * o_bits;
    const double n = static_cast<double>(p.count);
    r.macs += p.macs();
    r.dram_bits += n * dram;
    r.cycles = detail::add(r.cycles, mul(pc.cycles, p.count, cyc), cyc);
    r.memory_bound_products += pc.memory_bound ? 1 : 0;
    r.first_principles.compute_j += p.macs() * e_mac;
    r.first_principles.sram_j += n * pc.sram_bits * e_sram;
    r.first_principles.dram_j += n * dram * e_dram;
    r.products[i++] = pc;
  }
  // Keys and values: context x kv_dim each, per layer and sequence; the write is one position.
  const double per_position = 2.0 * static_cast<double>(s.kv_dim()) * element_bits *
                              static_cast<double>(s.layers) * static_cast<double>(batch);
  r.kv_read_bits = per_position * static_cast<double>(context);
  r.kv_write_bits = per_position;
  r.latency_s = static_cast<double>(r.cycles) / t.clock_hz;
  return r;
}

}  // namespace anda::hw
