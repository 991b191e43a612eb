// Technology and system constants of the Anda accelerator and its baselines, as data.
// Why a struct of plain numbers: every what-if (clock, array size, buffers, DRAM, a PE's cost) is a
// changed field, and every default carries its source. Paper = Fang et al., HPCA 2025 ("Anda").
// The hardware file (hardware_file.hpp, `anda whatif --hardware`) reads and writes this struct.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "compressor.hpp"
#include "pe.hpp"

namespace anda::hw {

// One row of the paper's Table III (area and power of the Anda chip, LLaMA-13B within 1 % loss).
struct component_cost {
  double area_mm2;
  double power_mw;

  bool operator==(const component_cost&) const = default;
};

// The chip Table III measured (the paper's own configuration): the component rows are its area
// and power. A what-if scales them from here, so that a bigger array or buffer costs area and a
// faster clock does not make a MAC cheaper: PE area per PE and lane, energy per MAC and per SRAM
// bit at this chip's clock, buffer area per MB, BPC area and power per lane [A: linear scaling].
struct table3_chip {
  double clock_hz = 285e6;
  int array_rows = 16, array_cols = 16, pe_lanes = 64;
  double act_buffer_bytes = 1024.0 * 1024.0, exp_buffer_bytes = 128.0 * 1024.0;
  double weight_buffer_bytes = 1024.0 * 1024.0;
  int compressor_lanes = 16;

  bool operator==(const table3_chip&) const = default;
  int pes() const { return array_rows * array_cols; }
};

struct technology {
  // Paper §V-A / Table III: 16 nm, 0.8 V, 285 MHz for Anda and every baseline.
  double clock_hz = 285e6;
  // Paper §IV-D: the MXU is a 16 x 16 array, output-stationary.
  int array_rows = 16;
  int array_cols = 16;
  // Paper §IV-B: an APU reduces 64 elements per bit-plane (one 64-bit word).
  int pe_lanes = 64;
  // Paper §V-A: HBM2 at 3.9 pJ/bit and 256 GB/s (from the TPUv4i paper).
  std::string dram_name = "HBM2";  // for reports only
  double dram_pj_per_bit = 3.9;
  double dram_bytes_per_s = 256e9;
  // Paper Table III: activation buffer 1 MB (sign + mantissa planes) + 0.125 MB (exponents),
  // weight buffer 1 MB.
  double act_buffer_bytes = 1024.0 * 1024.0;
  double exp_buffer_bytes = 128.0 * 1024.0;
  double weight_buffer_bytes = 1024.0 * 1024.0;
  // Paper §V-A: OmniQuant W4A16g128 weights: 4-bit integers, one FP16 scale per 128 weights.
  int weight_bits = 4;
  int weight_group = 128;
  int scale_bits = 16;
  // [I] Buffer tiles hold a power-of-two number of tokens / weight columns (the paper does not
  // describe its address generator; false: any multiple of the array size).
  bool power_of_two_tiles = true;
  // Paper §III-A / Fig. 4: the shared exponent is 5 bits.
  int shared_exponent_bits = 5;

  // Paper Table III rows (Anda chip). The MXU row is used to derive the FP-FP MXU (below).
  component_cost mxu{0.41, 54.34};
  component_cost bpc{0.07, 1.06};
  component_cost vector_unit{0.05, 0.87};
  component_cost act_buffer{0.87, 16.94};
  component_cost weight_buffer{0.80, 7.96};
  component_cost others{0.01, 0.01};
  // Paper Table III footnote: the power figures were taken on LLaMA-13B at 1 % loss, i.e. the
  // WikiText2 tuple [7,5,6,6] (Fig. 14), whose MAC-weighted mean mantissa is 6.165 (docs/paper.md
  // §5.4).
  double table3_mean_mantissa = 6.1652;
  table3_chip table3{};

  // The PE of each design, in all_designs order: Fig. 15 costs and Fig. 16 speeds (pe.hpp).
  std::array<pe_model, all_designs.size()> designs = pe_table;
  // The BPC's lanes and group (Table III, §IV-C); its area and power are the `bpc` row above.
  compressor_model compressor{};

  bool operator==(const technology&) const = default;
  int pes() const { return array_rows * array_cols; }
  const pe_model& pe_of(design d) const { return designs[static_cast<std::size_t>(d)]; }
  // Bits of weight storage per weight, scales included: 4 + 16/128.
  double weight_bits_per_element() const {
    return weight_bits + static_cast<double>(scale_bits) / weight_group;
  }
  double dram_bits_per_cycle() const { return dram_bytes_per_s * 8.0 / clock_hz; }
};

// Absolute FP-FP PE, derived from Table III's Anda MXU: area 0.41 mm2 / 256 APUs / 0.2304 (per
// 64 lanes; a PE of more lanes is proportionally larger).
inline double fp_fp_pe_area_mm2(const technology& t) {
  return t.mxu.area_mm2 / t.table3.pes() / t.pe_of(design::anda).area_ratio *
         (static_cast<double>(t.pe_lanes) / t.table3.pe_lanes);
}
// Energy of one FP-FP MAC (FP16 x dequantised INT4) in pJ, derived from Table III: the Anda MXU
// draws 54.34 mW at 285 MHz while doing 256 x 64 / (M+1) MACs per cycle at the Table III workload's
// mean M (6.165), and an Anda MAC costs 0.1992 (M+1)/16 of an FP-FP MAC. Gives about 0.935 pJ.
inline double fp_fp_mac_energy_pj(const technology& t) {
  const double m = t.table3_mean_mantissa;
  const double pj_per_cycle = t.mxu.power_mw * 1e-3 / t.table3.clock_hz * 1e12;
  const double macs_per_cycle = static_cast<double>(t.table3.pes()) * t.table3.pe_lanes / (m + 1.0);
  return pj_per_cycle / macs_per_cycle / energy_per_mac_ratio(t.pe_of(design::anda), m);
}

// Table III: the BPC's 0.07 mm2 and 1.06 mW for 16 lanes (average over LLaMA-13B at 1 % loss).
inline double compressor_area_mm2(const technology& t) {
  return t.bpc.area_mm2 * (static_cast<double>(t.compressor.lanes) / t.table3.compressor_lanes);
}
inline double compressor_energy_pj_per_cycle(const technology& t) {
  return t.bpc.power_mw * 1e-3 / t.table3.clock_hz * 1e12 *
         (static_cast<double>(t.compressor.lanes) / t.table3.compressor_lanes);
}

// Table III's buffer areas for this technology's capacities (1 MB + 0.125 MB, 1 MB).
inline double act_buffer_area_mm2(const technology& t) {
  return t.act_buffer.area_mm2 * ((t.act_buffer_bytes + t.exp_buffer_bytes) /
                                  (t.table3.act_buffer_bytes + t.table3.exp_buffer_bytes));
}
inline double weight_buffer_area_mm2(const technology& t) {
  return t.weight_buffer.area_mm2 * (t.weight_buffer_bytes / t.table3.weight_buffer_bytes);
}

}  // namespace anda::hw
