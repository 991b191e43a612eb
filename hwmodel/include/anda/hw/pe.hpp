// Processing elements: the eight PE designs compared by the model, with their cost relative to the
// FP-FP PE (paper Fig. 15) and their speed in the array (paper Fig. 16).
// Why relative numbers: the paper reports PE cost only normalised to FP-FP; the absolute FP-FP PE
// is then derived from the Anda MXU row of Table III (fp_fp_pe_area_mm2 / energy, technology.hpp).
// pe_table holds the paper's rows; a technology carries its own copy, which a hardware file may
// change.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace anda::hw {

enum class design { fp_fp, fp_int, ifpu, figna, figna_m11, figna_m8, bfp4, anda };

inline constexpr std::array<design, 8> all_designs = {
    design::fp_fp,     design::fp_int,   design::ifpu, design::figna,
    design::figna_m11, design::figna_m8, design::bfp4, design::anda};

// How a design keeps activations in SRAM and DRAM.
enum class activation_storage {
  fp16,  // 16 bits per element (FP-FP, FP-INT, iFPU, FIGNA and FIGNA-Mx convert at compute time)
  bfp_fixed,   // sign + fixed M mantissa + shared exponent (bfp4, VS-Quant-like)
  anda_planes  // sign plane + M mantissa planes + shared exponent (Anda, variable M per module)
};

struct pe_model {
  design id;
  std::string_view name;  // the key used in reports and JSON
  std::string_view description;
  // PE area and energy per unit of work relative to the FP-FP PE at equal throughput.
  // Anda: per PE at its own throughput 16/(M+1); see anda_pe_* below.
  double area_ratio;
  double energy_ratio;
  activation_storage storage;
  int fixed_mantissa;     // mantissa bits of a fixed-precision BFP PE (0 when not BFP)
  int cycles_per_chunk;   // cycles per 64-element reduction chunk (FP-FP rate = 16); 0 = M + 1
  bool needs_compressor;  // owns a run-time FP16 -> grouped converter (BPC) at the array output

  bool operator==(const pe_model&) const = default;
};

// Paper Fig. 15 (decoded in docs/paper.md §5.3): Anda PE area efficiency 69.45/(M+1) and energy
// efficiency 80.33/(M+1) relative to FP-FP, fitted to all 20 points within 0.07 %. With the Anda
// throughput 16/(M+1) this is a PE of 16/69.45 = 0.2304 the FP-FP area and 16/80.33 = 0.1992 its
// power.
inline constexpr double anda_area_efficiency_coefficient = 69.45;
inline constexpr double anda_energy_efficiency_coefficient = 80.33;
inline constexpr double anda_pe_area_ratio = 16.0 / anda_area_efficiency_coefficient;
inline constexpr double anda_pe_power_ratio = 16.0 / anda_energy_efficiency_coefficient;

namespace detail {
// Least-squares line through the three FIGNA-family PEs (M = 13, 11, 8; Fig. 15 efficiencies
// 5.58/5.87, 6.55/8.03, 8.09/10.49) evaluated at M. [I] Used only for the bfp4 PE, which the paper
// does not synthesise: a bit-parallel BFP PE with a narrower mantissa, extrapolated from FIGNA's.
constexpr double figna_family_fit(double m, double r13, double r11, double r8) {
  const double xs[3] = {13.0, 11.0, 8.0};
  const double ys[3] = {r13, r11, r8};
  double mx = 0, my = 0;
  for (int i = 0; i < 3; ++i) mx += xs[i] / 3.0, my += ys[i] / 3.0;
  double sxy = 0, sxx = 0;
  for (int i = 0; i < 3; ++i)
    sxy += (xs[i] - mx) * (ys[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
  return my + sxy / sxx * (m - mx);
}
}  // namespace detail

// The PE table. Fixed-precision rows are the inverse of Fig. 15's area and energy efficiencies
// (equal throughput per cycle, identical dot-product workload), so the tabulated efficiencies come
// back exactly.
inline constexpr std::array<pe_model, 8> pe_table = {{
    // Fig. 15: FP-FP is the unit (FP16 x FP16 tensor-core-like PE, weights dequantised; FPnew).
    {design::fp_fp, "fp-fp", "FP16 x FP16 (INT4 weights dequantised)", 1.0, 1.0,
     activation_storage::fp16, 0, 16, false},
    // Fig. 15: FP-INT area eff. 1.59, energy eff. 1.93.
    {design::fp_int, "fp-int", "FP16 x INT4 tensor-core PE", 1.0 / 1.59, 1.0 / 1.93,
     activation_storage::fp16, 0, 16, false},
    // Fig. 15: iFPU 3.78 / 3.51 (bit-serial over INT weights, FP16 -> BFP at compute time).
    {design::ifpu, "ifpu", "iFPU (Kim et al., ICLR 2023)", 1.0 / 3.78, 1.0 / 3.51,
     activation_storage::fp16, 0, 16, false},
    // Fig. 15: FIGNA 5.58 / 5.87 (14-bit BFP mantissa, i.e. M = 13, converted at compute time).
    {design::figna, "figna", "FIGNA (Jang et al., HPCA 2024), M = 13", 1.0 / 5.58, 1.0 / 5.87,
     activation_storage::fp16, 13, 16, false},
    // Fig. 15: FIGNA-M11 6.55 / 8.03; Fig. 16: system speedup 1.45 = 16/11.
    {design::figna_m11, "figna-m11", "FIGNA with an 11-bit mantissa", 1.0 / 6.55, 1.0 / 8.03,
     activation_storage::fp16, 11, 11, false},
    // Fig. 15: FIGNA-M8 8.09 / 10.49; Fig. 16: system speedup 2.00 = 16/8.
    {design::figna_m8, "figna-m8", "FIGNA with an 8-bit mantissa", 1.0 / 8.09, 1.0 / 10.49,
     activation_storage::fp16, 8, 8, false},
    // [I] Not in the paper: a plain bit-parallel BFP PE with M = 4 (VS-Quant-like, Table II's
    // VS-Quant*), cost extrapolated from the FIGNA family, speed 16/M like FIGNA-Mx, activations
    // stored as BFP (1 + 4 + 5/64 bits) and produced by a compressor like Anda's BPC.
    {design::bfp4, "bfp4", "bit-parallel BFP PE, M = 4 (VS-Quant-like) [extrapolated]",
     detail::figna_family_fit(4, 1.0 / 5.58, 1.0 / 6.55, 1.0 / 8.09),
     detail::figna_family_fit(4, 1.0 / 5.87, 1.0 / 8.03, 1.0 / 10.49),
     activation_storage::bfp_fixed, 4, 4, true},
    // Fig. 15 law above; Fig. 11/12: bit-serial over M mantissa planes plus the sign plane.
    {design::anda, "anda", "Anda APU, bit-serial over M + 1 planes", anda_pe_area_ratio,
     anda_pe_power_ratio, activation_storage::anda_planes, 0, 0, true},
}};

constexpr const pe_model& pe(design d) {
  return pe_table[static_cast<std::size_t>(d)];
}

inline std::optional<design> design_from_name(std::string_view name) {
  for (const auto& p : pe_table)
    if (p.name == name) return p.id;
  return std::nullopt;
}

// Cycles one PE spends on a 64-element chunk of the reduction: 16 at the FP-FP rate, x for
// FIGNA-Mx and bfp4 (16/x speed, Fig. 16), M + 1 for the bit-serial Anda PE (sign plane + M
// planes, Fig. 15 law; its row says 0).
constexpr int cycles_per_chunk(const pe_model& p, int mantissa) {
  return p.cycles_per_chunk == 0 ? mantissa + 1 : p.cycles_per_chunk;
}
constexpr int cycles_per_chunk(design d, int mantissa) {
  return cycles_per_chunk(pe(d), mantissa);
}

// PE-level efficiencies relative to FP-FP (Fig. 15): throughput per area and work per energy at
// the PE's own throughput. Fixed-precision PEs are compared at equal throughput (as in Fig. 15);
// Anda's throughput is 16/(M+1).
constexpr double pe_throughput_ratio(design d, int mantissa) {
  return d == design::anda ? 16.0 / (mantissa + 1) : 1.0;
}
constexpr double pe_area_efficiency(design d, int mantissa = 0) {
  return pe_throughput_ratio(d, mantissa) / pe(d).area_ratio;
}
constexpr double pe_energy_efficiency(design d, int mantissa = 0) {
  return pe_throughput_ratio(d, mantissa) / pe(d).energy_ratio;
}
// Energy per MAC relative to an FP-FP MAC. The bit-serial Anda PE draws its power ratio (0.1992)
// for (M+1)/16 of the FP-FP time; a fixed PE's ratio is already per unit of work.
constexpr double energy_per_mac_ratio(const pe_model& p, double mantissa) {
  return p.cycles_per_chunk == 0 ? p.energy_ratio * (mantissa + 1) / 16.0 : p.energy_ratio;
}
constexpr double pe_energy_per_mac_ratio(design d, double mantissa = 0) {
  return energy_per_mac_ratio(pe(d), mantissa);
}

}  // namespace anda::hw
