// Technology and system constants of the Anda accelerator and its baselines, as data.
// Why a struct of plain numbers: every what-if (clock, array size, buffers, DRAM) is a changed
// field, and every default carries its source. Paper = Fang et al., HPCA 2025 ("Anda").
#pragma once

namespace anda::hw {

// One row of the paper's Table III (area and power of the Anda chip, LLaMA-13B within 1 % loss).
struct component_cost {
  double area_mm2;
  double power_mw;
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

  // Paper Table III rows (Anda chip). The MXU row is used to derive the FP-FP MXU (pe.hpp).
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

  int pes() const { return array_rows * array_cols; }
  // Bits of weight storage per weight, scales included: 4 + 16/128.
  double weight_bits_per_element() const {
    return weight_bits + static_cast<double>(scale_bits) / weight_group;
  }
  double dram_bits_per_cycle() const { return dram_bytes_per_s * 8.0 / clock_hz; }
};

}  // namespace anda::hw
