// The bit-plane compressor (BPC, paper §IV-C, Fig. 12): FP16 -> Anda at run time on the array's
// output path. Why it is modelled: it costs area and power (Table III) and could, in principle,
// limit throughput; the model checks that it does not (its latency overlaps the APU computation,
// as the paper states).
#pragma once

#include <cstdint>

#include "checked.hpp"
#include "technology.hpp"

namespace anda::hw {

struct compressor_model {
  int lanes = 16;  // Table III: 16 lanes
  int group = 64;  // each lane converts one group of 64 FP16 values
  // Per group: one cycle for the max-exponent catcher, then one bit-plane per cycle (sign plane
  // and M mantissa planes, Fig. 12's parallel-to-serial aligner). [I] The paper gives no cycle
  // count.
  std::int64_t cycles_per_group_batch(int mantissa) const { return mantissa + 2; }

  // Cycles to convert `elements` FP16 values into Anda with M mantissa planes.
  std::int64_t cycles(std::int64_t elements, int mantissa) const {
    const std::int64_t per_batch = static_cast<std::int64_t>(lanes) * group;
    return detail::mul(detail::ceil_div(elements, per_batch), cycles_per_group_batch(mantissa),
                       "compressor cycle count");
  }
};

// Table III: 0.07 mm2 and 1.06 mW (average over LLaMA-13B at 1 % loss).
inline double compressor_area_mm2(const technology& t) {
  return t.bpc.area_mm2;
}
inline double compressor_energy_pj_per_cycle(const technology& t) {
  return t.bpc.power_mw * 1e-3 / t.clock_hz * 1e12;
}

}  // namespace anda::hw
