// The memory hierarchy: activation buffer (+ exponent buffer), weight buffer and HBM2, and the
// traffic of one GeMM through them. Why a tiling model: with 1 MB buffers a prefill GeMM does not
// fit on chip, so how often activations or weights are re-fetched decides DRAM traffic; the model
// picks the cheaper of the two classic loop orders per GeMM (first principles, no calibration).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "checked.hpp"
#include "technology.hpp"
#include "workload.hpp"

namespace anda::hw {

// How one design stores a GeMM's operands, in bits per element.
struct operand_bits {
  double act = 16;        // activation bits in the activation buffer (FP16: 16; Anda: 1 + M)
  double act_exp = 0;     // shared-exponent bits per element in the exponent buffer (5/G)
  double weight = 4.125;  // INT4 + one FP16 scale per 128 weights
  double out = 16;        // outputs leave the FP32 accumulator as FP16 (paper §IV-B)
};

enum class loop_order {
  all_on_chip,       // activations or weights fit entirely: everything read once
  weights_resident,  // a K x N_t weight tile stays; all activations stream past it
  acts_resident      // a T_t x K activation tile stays; all weights stream past it
};

struct traffic {
  double dram_act_bits = 0, dram_weight_bits = 0, dram_out_bits = 0;
  double sram_bits = 0;         // array-side reads + DRAM fills + output write and read-back
  double sram_weight_bits = 0;  // the part of sram_bits that is weights (reads and fills)
  loop_order order = loop_order::all_on_chip;
  std::int64_t act_passes = 1, weight_passes = 1;

  double dram_bits() const { return dram_act_bits + dram_weight_bits + dram_out_bits; }
};

namespace detail {
// Lines (tokens or weight columns) of `bits_per_line` that fit `capacity_bits`: whole array tiles
// (`multiple`), and a power of two when `pow2` (address generators index tiles by bit fields).
inline std::int64_t tile_fit(double capacity_bits, double bits_per_line, int multiple, bool pow2) {
  if (bits_per_line <= 0) return std::int64_t{1} << 40;
  auto n = static_cast<std::int64_t>(std::floor(capacity_bits / bits_per_line));
  if (pow2) {
    std::int64_t p = 1;
    while (2 * p <= n) p *= 2;
    n = p;
  }
  n = n / multiple * multiple;
  return std::max<std::int64_t>(n, multiple);
}
}  // namespace detail

// Traffic of one GeMM instance (count = 1) on the output-stationary array.
inline traffic gemm_traffic(const gemm& g, const operand_bits& b, const technology& tech) {
  using detail::ceil_div;
  const double t = static_cast<double>(g.t), k = static_cast<double>(g.k),
               n = static_cast<double>(g.n);
  const double a_bits = t * k * (b.act + b.act_exp);
  const double w_bits = k * n * b.weight;
  const double o_bits = t * n * b.out;

  // Tokens whose K activations fit the activation buffer (and their exponents the exponent
  // buffer), weight columns whose K weights fit the weight buffer; whole array tiles only.
  const bool p2 = tech.power_of_two_tiles;
  std::int64_t t_tile = detail::tile_fit(tech.act_buffer_bytes * 8, k * b.act, tech.array_rows, p2);
  if (b.act_exp > 0)
    t_tile = std::min(
        t_tile, detail::tile_fit(tech.exp_buffer_bytes * 8, k * b.act_exp, tech.array_rows, p2));
  const std::int64_t n_tile =
      detail::tile_fit(tech.weight_buffer_bytes * 8, k * b.weight, tech.array_cols, p2);

  traffic r;
  r.dram_out_bits = o_bits;
  if (g.t <= t_tile || g.n <= n_tile) {
    r.order = loop_order::all_on_chip;
    r.dram_act_bits = a_bits;
    r.dram_weight_bits = w_bits;
  } else {
    const std::int64_t act_passes = ceil_div(g.n, n_tile);  // weights resident
    const std::int64_t w_passes = ceil_div(g.t, t_tile);    // activations resident
    if (a_bits * static_cast<double>(act_passes) + w_bits <=
        a_bits + w_bits * static_cast<double>(w_passes)) {
      r.order = loop_order::weights_resident;
      r.act_passes = act_passes;
    } else {
      r.order = loop_order::acts_resident;
      r.weight_passes = w_passes;
    }
    r.dram_act_bits = a_bits * static_cast<double>(r.act_passes);
    r.dram_weight_bits = w_bits * static_cast<double>(r.weight_passes);
  }

  // Array-side SRAM reads: every activation row is read once per column tile (it is broadcast
  // along the row), every weight once per row tile (broadcast along the column, paper §IV-D).
  const double col_tiles = static_cast<double>(ceil_div(g.n, tech.array_cols));
  const double row_tiles = static_cast<double>(ceil_div(g.t, tech.array_rows));
  // Fills from DRAM are SRAM writes; outputs are written to the activation buffer and read back
  // out to DRAM.
  r.sram_weight_bits = w_bits * row_tiles + r.dram_weight_bits;
  r.sram_bits = a_bits * col_tiles + r.dram_act_bits + 2 * o_bits + r.sram_weight_bits;
  return r;
}

}  // namespace anda::hw
