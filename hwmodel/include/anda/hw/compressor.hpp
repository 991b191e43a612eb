// The bit-plane compressor (BPC, paper §IV-C, Fig. 12): FP16 -> Anda at run time on the array's
// output path. Why it is modelled: it costs area and power (Table III) and could, in principle,
// limit throughput; the model checks that it does not (its latency overlaps the APU computation,
// as the paper states). Its area and power are Table III's row in technology.hpp.
#pragma once

#include <cstdint>

#include "checked.hpp"

namespace anda::hw {

struct compressor_model {
  int lanes = 16;  // Table III: 16 lanes
  int group = 64;  // each lane converts one group of 64 FP16 values
  // Per group: one cycle for the max-exponent catcher, then one bit-plane per cycle (sign plane
  // and M mantissa planes, Fig. 12's parallel-to-serial aligner). [I] The paper gives no cycle
  // count.
  std::int64_t cycles_per_group_batch(int mantissa) const { return mantissa + 2; }

  // Cycles to convert `elements` FP16 values into Anda with M mantissa planes.
  bool operator==(const compressor_model&) const = default;

  std::int64_t cycles(std::int64_t elements, int mantissa) const {
    const std::int64_t per_batch = static_cast<std::int64_t>(lanes) * group;
    return detail::mul(detail::ceil_div(elements, per_batch), cycles_per_group_batch(mantissa),
                       "compressor cycle count");
  }
};

}  // namespace anda::hw
