// The numeric fields of the hardware file, by name: each with its unit (the file speaks MHz, MB and
// GB/s; `technology` holds Hz and bytes), the values it accepts and its source. Why one table: the
// file reader, the writer and `anda sweep` (which sets fields by name, point after point) all read
// it, so no field can be known to one of them and missing from another. No JSON here: the reader
// and writer are in hardware_file.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "pe.hpp"
#include "technology.hpp"

namespace anda::hw {

struct hardware_field {
  std::string name;  // as in the file, nested objects joined by dots: "components.mxu.area_mm2"
  bool whole;        // a count: whole numbers only
  double lo, hi;     // accepted values; lo itself only when lo_included
  bool lo_included;
  std::string source;  // [P] paper, [D] derived, [A] assumption (docs/hwmodel.md)
  std::function<double(const technology&)> get;
  std::function<void(technology&, double)> set;

  // Empty when v is accepted, else what the field wants ("a whole number in 1..4096").
  std::string check(double v) const {
    const bool ok = v == v && v <= hi && (lo_included ? v >= lo : v > lo) &&
                    (!whole || static_cast<double>(static_cast<long long>(v)) == v);
    if (ok) return {};
    std::string want = whole ? "a whole number in " : "a number in ";
    want += lo_included ? "[" : "(";
    want += number_text(lo);
    want += ", ";
    want += number_text(hi);
    want += ']';
    return want;
  }

  static std::string number_text(double v) {
    std::string s = std::to_string(v);  // "4096.000000": drop the zeros
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
};

namespace detail {

// Bytes in the file's MB: the paper's "1 MB" buffers read as MiB (docs/hwmodel.md §6).
inline constexpr double bytes_per_mb = 1024.0 * 1024.0;

inline std::vector<hardware_field> make_hardware_fields() {
  std::vector<hardware_field> f;
  auto real = [&f](std::string name, double hi, std::string source, auto get, auto set) {
    f.push_back({std::move(name), false, 0.0, hi, false, std::move(source), get, set});
  };
  auto count = [&f](std::string name, double lo, double hi, std::string source, auto get,
                    auto set) {
    f.push_back({std::move(name), true, lo, hi, true, std::move(source), get, set});
  };
  using T = technology;
  real(
      "clock_mhz", 1e5, "[P] §V-A, Table III: 285 MHz (all designs)",
      [](const T& t) { return t.clock_hz / 1e6; }, [](T& t, double v) { t.clock_hz = v * 1e6; });
  count(
      "rows", 1, 4096, "[P] §IV-D: 16 x 16 APUs, output-stationary",
      [](const T& t) { return double(t.array_rows); },
      [](T& t, double v) { t.array_rows = static_cast<int>(v); });
  count(
      "cols", 1, 4096, "[P] §IV-D", [](const T& t) { return double(t.array_cols); },
      [](T& t, double v) { t.array_cols = static_cast<int>(v); });
  count(
      "pe_lanes", 1, 4096, "[P] §IV-B: 64 elements per bit-plane word",
      [](const T& t) { return double(t.pe_lanes); },
      [](T& t, double v) { t.pe_lanes = static_cast<int>(v); });
  real(
      "act_buffer_mb", 1e6, "[P] Table III: 1 MB sign + mantissa planes (MB read as MiB [A])",
      [](const T& t) { return t.act_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.act_buffer_bytes = v * bytes_per_mb; });
  real(
      "exp_buffer_mb", 1e6, "[P] Table III: 0.125 MB exponents",
      [](const T& t) { return t.exp_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.exp_buffer_bytes = v * bytes_per_mb; });
  real(
      "weight_buffer_mb", 1e6, "[P] Table III: 1 MB",
      [](const T& t) { return t.weight_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.weight_buffer_bytes = v * bytes_per_mb; });
  real(
      "dram_gb_per_s", 1e6, "[P] §V-A: HBM2 256 GB/s (GB = 1e9 bytes)",
      [](const T& t) { return t.dram_bytes_per_s / 1e9; },
      [](T& t, double v) { t.dram_bytes_per_s = v * 1e9; });
  real(
      "dram_pj_per_bit", 1e3, "[P] §V-A: HBM2 3.9 pJ/bit (from the TPUv4i paper)",
      [](const T& t) { return t.dram_pj_per_bit; }, [](T& t, double v) { t.dram_pj_per_bit = v; });
  count(
      "weight_bits", 1, 16, "[P] §V-A: OmniQuant W4A16g128",
      [](const T& t) { return double(t.weight_bits); },
      [](T& t, double v) { t.weight_bits = static_cast<int>(v); });
  count(
      "weight_group", 1, 1 << 20, "[P] §V-A: one scale per 128 weights",
      [](const T& t) { return double(t.weight_group); },
      [](T& t, double v) { t.weight_group = static_cast<int>(v); });
  count(
      "scale_bits", 0, 32, "[A] FP16 scales (the paper says only \"group-wise scale factor\")",
      [](const T& t) { return double(t.scale_bits); },
      [](T& t, double v) { t.scale_bits = static_cast<int>(v); });
  count(
      "shared_exponent_bits", 1, 16, "[P] §III-A, Fig. 4: 5 bits",
      [](const T& t) { return double(t.shared_exponent_bits); },
      [](T& t, double v) { t.shared_exponent_bits = static_cast<int>(v); });
  real(
      "table3_mean_mantissa", 16,
      "[D] Table III's workload: LLaMA-13B, WikiText2 1 % tuple [7,5,6,6] (Fig. 14), M_w = 6.165",
      [](const T& t) { return t.table3_mean_mantissa; },
      [](T& t, double v) { t.table3_mean_mantissa = v; });
  count(
      "compressor.lanes", 1, 4096, "[P] Table III: 16 lanes",
      [](const T& t) { return double(t.compressor.lanes); },
      [](T& t, double v) { t.compressor.lanes = static_cast<int>(v); });
  count(
      "compressor.group", 1, 4096, "[P] §IV-C: one group of 64 values per lane",
      [](const T& t) { return double(t.compressor.group); },
      [](T& t, double v) { t.compressor.group = static_cast<int>(v); });
  // The chip Table III measured, from which a what-if's areas and energies are scaled.
  const char* measured = "[P] Table III / §V-A: the paper's chip, on which the rows were taken";
  real(
      "table3.clock_mhz", 1e5, measured, [](const T& t) { return t.table3.clock_hz / 1e6; },
      [](T& t, double v) { t.table3.clock_hz = v * 1e6; });
  count(
      "table3.rows", 1, 4096, measured, [](const T& t) { return double(t.table3.array_rows); },
      [](T& t, double v) { t.table3.array_rows = static_cast<int>(v); });
  count(
      "table3.cols", 1, 4096, measured, [](const T& t) { return double(t.table3.array_cols); },
      [](T& t, double v) { t.table3.array_cols = static_cast<int>(v); });
  count(
      "table3.pe_lanes", 1, 4096, measured, [](const T& t) { return double(t.table3.pe_lanes); },
      [](T& t, double v) { t.table3.pe_lanes = static_cast<int>(v); });
  real(
      "table3.act_buffer_mb", 1e6, measured,
      [](const T& t) { return t.table3.act_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.table3.act_buffer_bytes = v * bytes_per_mb; });
  real(
      "table3.exp_buffer_mb", 1e6, measured,
      [](const T& t) { return t.table3.exp_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.table3.exp_buffer_bytes = v * bytes_per_mb; });
  real(
      "table3.weight_buffer_mb", 1e6, measured,
      [](const T& t) { return t.table3.weight_buffer_bytes / bytes_per_mb; },
      [](T& t, double v) { t.table3.weight_buffer_bytes = v * bytes_per_mb; });
  count(
      "table3.compressor_lanes", 1, 4096, measured,
      [](const T& t) { return double(t.table3.compressor_lanes); },
      [](T& t, double v) { t.table3.compressor_lanes = static_cast<int>(v); });
  // Table III rows: a pointer to member each, area then power.
  const std::pair<const char*, component_cost T::*> rows[] = {{"mxu", &T::mxu},
                                                              {"bpc", &T::bpc},
                                                              {"vector_unit", &T::vector_unit},
                                                              {"act_buffer", &T::act_buffer},
                                                              {"weight_buffer", &T::weight_buffer},
                                                              {"others", &T::others}};
  for (const auto& [name, member] : rows) {
    const std::string base = std::string("components.") + name;
    const std::string source = "[P] Table III (Anda chip, 16 nm)";
    real(
        base + ".area_mm2", 1e6, source, [m = member](const T& t) { return (t.*m).area_mm2; },
        [m = member](T& t, double v) { (t.*m).area_mm2 = v; });
    real(
        base + ".power_mw", 1e9, source, [m = member](const T& t) { return (t.*m).power_mw; },
        [m = member](T& t, double v) { (t.*m).power_mw = v; });
  }
  // The PEs: Fig. 15 costs relative to FP-FP; fixed PEs also their cycles and fixed mantissa.
  for (const auto& p : pe_table) {
    const auto i = static_cast<std::size_t>(p.id);
    std::string base = "pe.";
    base += p.name;
    const bool fixed = p.cycles_per_chunk != 0;
    const std::string cost_source =
        p.id == design::bfp4
            ? "[A] extrapolated from the FIGNA family (Fig. 15), not in the paper"
            : (fixed ? "[P] Fig. 15: 1 / efficiency" : "[D] Fig. 15 fit: 16/69.45 and 16/80.33");
    real(
        base + ".area_ratio", 100, cost_source, [i](const T& t) { return t.designs[i].area_ratio; },
        [i](T& t, double v) { t.designs[i].area_ratio = v; });
    real(
        base + ".energy_ratio", 100, cost_source,
        [i](const T& t) { return t.designs[i].energy_ratio; },
        [i](T& t, double v) { t.designs[i].energy_ratio = v; });
    if (!fixed) continue;  // Anda: M + 1 cycles and the tuple's mantissas, by construction
    count(
        base + ".cycles_per_chunk", 1, 1024, "[P] Fig. 16 speedups (16 = the FP-FP rate)",
        [i](const T& t) { return double(t.designs[i].cycles_per_chunk); },
        [i](T& t, double v) { t.designs[i].cycles_per_chunk = static_cast<int>(v); });
    count(
        base + ".fixed_mantissa", 0, 16, "[P] §V-A, Table II (0: FP16 activations at the PE)",
        [i](const T& t) { return double(t.designs[i].fixed_mantissa); },
        [i](T& t, double v) { t.designs[i].fixed_mantissa = static_cast<int>(v); });
  }
  return f;
}

}  // namespace detail

// Every numeric field of the hardware file, in the order the writer prints them.
inline const std::vector<hardware_field>& hardware_fields() {
  static const std::vector<hardware_field> fields = detail::make_hardware_fields();
  return fields;
}

inline const hardware_field* find_hardware_field(const std::string& name) {
  for (const auto& f : hardware_fields())
    if (f.name == name) return &f;
  return nullptr;
}

// A field given as a list in a sweep file: the values to sweep it over.
struct hardware_axis {
  const hardware_field* field;
  std::vector<double> values;
};

// A hardware file as read: the technology (lists' first values in place) and the listed fields.
struct hardware_spec {
  technology base;
  std::vector<hardware_axis> axes;  // in the file's order; empty for a plain hardware file
};

}  // namespace anda::hw
