// The accelerator: a 16 x 16 output-stationary array of one PE design, its buffers, HBM2 and
// (for grouped formats) the BPC, evaluated on a model's FP-INT GeMMs. Per GeMM a roofline decides
// whether compute, DRAM or the compressor bounds it (double buffering overlaps the three). Behind
// run_config::kv_cache, a decode step's attention is added (our extension, decode_attention.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "checked.hpp"
#include "compressor.hpp"
#include "decode_attention.hpp"
#include "energy.hpp"
#include "memory.hpp"
#include "pe.hpp"
#include "technology.hpp"
#include "workload.hpp"

namespace anda::hw {

struct run_config {
  technology tech{};  // the hardware: array, buffers, DRAM, PEs, compressor (hardware_file.hpp)
  int group = 64;     // activation group size G (paper: 64)
  phase ph = phase::prefill;
  std::int64_t tokens = 2048;  // prefill: tokens processed; decode: context length (see below)
  fig17_figures fig17{};
  // Our extension (not in the paper), decode only: `batch` sequences share the weights, so a step
  // runs the FP-INT GeMMs on T = batch rows; with `kv_cache` the step also pays each sequence's
  // attention over its KV cache of `tokens` positions (decode_attention.hpp). The defaults are the
  // paper's workload: batch 1, GeMMs only.
  std::int64_t batch = 1;
  bool kv_cache = false;

  // Tokens per FP-INT GeMM: decode runs one token per sequence and step; its FP-INT GeMMs do not
  // depend on the context length (attention over the KV cache is FP16 and out of the paper's
  // scope; see kv_cache).
  std::int64_t gemm_tokens() const { return ph == phase::prefill ? tokens : batch; }
  bool with_attention() const { return kv_cache && ph == phase::decode; }
};

struct gemm_cost {
  gemm g;
  int mantissa = 16;  // activation mantissa bits seen by the PE (16 = FP16)
  std::int64_t compute_cycles = 0, memory_cycles = 0, compressor_cycles = 0, cycles = 0;
  bool memory_bound = false;
  traffic tr;
  energy_split first_principles;  // of all `count` instances
};

struct design_cost {
  design d = design::fp_fp;
  mantissa_tuple m{16, 16, 16, 16};
  double macs = 0;
  std::int64_t cycles = 0;
  double latency_s = 0;
  double area_mm2 = 0;
  int memory_bound_gemms = 0;
  energy_split first_principles, paper_calibrated;  // GeMMs, plus attention when it is on
  std::vector<gemm_cost> gemms;
  attention_cost attention;  // our extension: zero unless run_config::with_attention()

  const energy_split& energy(energy_basis b) const {
    return b == energy_basis::first_principles ? first_principles : paper_calibrated;
  }
};

// Chip area: MXU of 256 PEs (FP-FP PE derived from Table III, pe.hpp), the same 1 MB + 0.125 MB
// activation and 1 MB weight buffers, vector unit and controller for every design ("equivalent
// on-chip memory resources", paper §V-A), plus the BPC where the design has one. Table III rows.
inline double chip_area_mm2(design d, const technology& t) {
  double a = fp_fp_pe_area_mm2(t) * t.pes() * t.pe_of(d).area_ratio + act_buffer_area_mm2(t) +
             weight_buffer_area_mm2(t) + t.vector_unit.area_mm2 + t.others.area_mm2;
  if (t.pe_of(d).needs_compressor) a += compressor_area_mm2(t);
  return a;
}

// The mantissa the design's PE and memory see for a module.
inline int design_mantissa(const technology& t, design d, const mantissa_tuple& m, module mod) {
  if (d == design::anda) return m[static_cast<std::size_t>(mod)];
  if (t.pe_of(d).fixed_mantissa > 0) return t.pe_of(d).fixed_mantissa;
  return 16;
}

inline operand_bits design_operands(design d, int mantissa, const run_config& c) {
  operand_bits b;
  b.weight = c.tech.weight_bits_per_element();
  if (c.tech.pe_of(d).storage != activation_storage::fp16) {
    b.act = 1.0 + mantissa;  // sign plane + M mantissa planes (paper Fig. 10: M + 1 rows)
    b.act_exp = static_cast<double>(c.tech.shared_exponent_bits) / c.group;
  }
  return b;
}

namespace detail {
inline design_cost evaluate_first_principles(design d, const model_shape& s,
                                             const mantissa_tuple& m, const run_config& c) {
  const technology& t = c.tech;
  const pe_model& p = t.pe_of(d);
  design_cost r;
  r.d = d;
  r.m = m;
  r.area_mm2 = chip_area_mm2(d, t);
  const double e_mac = fp_fp_mac_energy_pj(t) * 1e-12;
  const double e_sram = sram_pj_per_bit(t) * 1e-12;
  const double e_dram = t.dram_pj_per_bit * 1e-12;
  for (const auto& g : model_gemms(s, c.gemm_tokens())) {
    gemm_cost gc;
    gc.g = g;
    gc.mantissa = design_mantissa(t, d, m, g.mod);
    const auto ops = design_operands(d, gc.mantissa, c);
    gc.tr = gemm_traffic(g, ops, t);
    // Counts are checked (checked.hpp): past 2^63 - 1 they throw cost_overflow, never wrap.
    using detail::mul;
    const char* cyc = "cycle count";
    const std::int64_t row_tiles = detail::ceil_div(g.t, t.array_rows);
    const std::int64_t col_tiles = detail::ceil_div(g.n, t.array_cols);
    const std::int64_t chunks = detail::ceil_div(g.k, t.pe_lanes);
    gc.compute_cycles = mul(mul(mul(row_tiles, col_tiles, cyc), chunks, cyc),
                            cycles_per_chunk(p, gc.mantissa), cyc);
    gc.memory_cycles =
        detail::to_count(std::ceil(gc.tr.dram_bits() / t.dram_bits_per_cycle()), cyc);
    // The BPC re-encodes this GeMM's outputs for the next module (upper bound: all of them).
    gc.compressor_cycles =
        p.needs_compressor ? t.compressor.cycles(mul(g.t, g.n, "output element count"), gc.mantissa)
                           : 0;
    gc.cycles = std::max({gc.compute_cycles, gc.memory_cycles, gc.compressor_cycles});
    gc.memory_bound = gc.memory_cycles > gc.compute_cycles;
    const double n = static_cast<double>(g.count);
    const double mac_ratio = energy_per_mac_ratio(p, gc.mantissa);
    gc.first_principles.compute_j = g.macs() * e_mac * mac_ratio;
    if (p.needs_compressor)
      gc.first_principles.compute_j +=
          n * static_cast<double>(gc.cycles) * compressor_energy_pj_per_cycle(t) * 1e-12;
    gc.first_principles.sram_j = n * gc.tr.sram_bits * e_sram;
    gc.first_principles.dram_j = n * gc.tr.dram_bits() * e_dram;
    r.macs += g.macs();
    r.cycles = detail::add(r.cycles, mul(gc.cycles, g.count, cyc), cyc);
    r.memory_bound_gemms += gc.memory_bound ? 1 : 0;
    r.first_principles += gc.first_principles;
    r.gemms.push_back(gc);
  }
  if (c.with_attention()) {  // after the GeMMs, on the same array: the latencies add up
    r.attention = decode_attention_cost(s, c.batch, c.tokens, t);
    r.cycles = detail::add(r.cycles, r.attention.cycles, "cycle count");
    r.first_principles += r.attention.first_principles;
  }
  r.latency_s = static_cast<double>(r.cycles) / t.clock_hz;
  return r;
}
}  // namespace detail

// The paper-calibrated memory energy scales: factors on the first-principles SRAM and DRAM energy
// that give the FP-FP design on LLaMA-13B (prefill 2048, default technology) Fig. 17's shares
// (SRAM 11/42 and DRAM 48/42 of its compute energy). Named, computed here, reported next to the
// first-principles figures, and the same for every design and workload.
struct memory_calibration {
  double sram_scale = 1, dram_scale = 1;
};

inline memory_calibration fig17_memory_calibration() {
  static const memory_calibration cal = [] {
    const run_config c{};
    const model_shape s = *find_preset("llama-13b");
    const auto r = detail::evaluate_first_principles(design::fp_fp, s, {16, 16, 16, 16}, c);
    const auto& e = r.first_principles;
    return memory_calibration{c.fig17.fp_fp_sram / c.fig17.fp_fp_compute * e.compute_j / e.sram_j,
                              c.fig17.fp_fp_dram / c.fig17.fp_fp_compute * e.compute_j / e.dram_j};
  }();
  return cal;
}

// Whether the paper-calibrated basis prices Anda's memory by Fig. 17's ratios: Fig. 17 measures
// a prefill; a decode step (weights dominate its traffic) keeps the first-principles ratios.
inline bool fig17_anda_ratios_apply(design d, const run_config& c) {
  return d == design::anda && c.ph == phase::prefill;
}

// Evaluates one design. Paper-calibrated energy: compute as first principles; SRAM and DRAM
// scaled by fig17_memory_calibration(); for Anda in prefill, SRAM and DRAM are instead Fig. 17's
// 5/11 and 24/48 of the FP-FP design's calibrated SRAM and DRAM energy on the same workload.
inline design_cost evaluate(design d, const model_shape& s, const mantissa_tuple& m,
                            const run_config& c) {
  auto r = detail::evaluate_first_principles(d, s, m, c);
  const auto cal = fig17_memory_calibration();
  r.paper_calibrated.compute_j = r.first_principles.compute_j;
  if (fig17_anda_ratios_apply(d, c)) {
    const auto fp = detail::evaluate_first_principles(design::fp_fp, s, m, c);
    r.paper_calibrated.sram_j =
        fp.first_principles.sram_j * cal.sram_scale * c.fig17.anda_sram_ratio();
    r.paper_calibrated.dram_j =
        fp.first_principles.dram_j * cal.dram_scale * c.fig17.anda_dram_ratio();
  } else {
    r.paper_calibrated.sram_j = r.first_principles.sram_j * cal.sram_scale;
    r.paper_calibrated.dram_j = r.first_principles.dram_j * cal.dram_scale;
  }
  // Attention (decode only, so never under Fig. 17's Anda ratios): the same scales as the GeMMs.
  const auto& a = r.attention.first_principles;
  r.attention.paper_calibrated = {a.compute_j, a.sram_j * cal.sram_scale,
                                  a.dram_j * cal.dram_scale};
  return r;
}

}  // namespace anda::hw
