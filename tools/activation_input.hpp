// Activations from .npy files, for the commands that encode them (quantize, gemm): the Anda
// format options --group, --mantissa, --rounding, --nonfinite, and the accepted array shapes.
#pragma once

#include <anda/format/format.hpp>
#include <anda/io/npy.hpp>

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace anda::tools {

struct format_options {
  int group = 64;
  int mantissa = 0;
  std::string rounding_name = "truncate";
  std::string nonfinite_name = "reject";

  // The validated format (anda::format_error names a bad G or M).
  format make() const {
    const auto round = parse_rounding(rounding_name);
    const auto policy = parse_nonfinite(nonfinite_name);
    if (!round) throw std::invalid_argument("--rounding " + rounding_name + " is not known");
    if (!policy) throw std::invalid_argument("--nonfinite " + nonfinite_name + " is not known");
    return {group, mantissa, *round, *policy};
  }
};

// --mantissa is required; --group too where `group_required`, else it defaults to 64.
inline void add_format_options(CLI::App* app, format_options& o, bool group_required) {
  auto* group = app->add_option("--group,-g", o.group, "group size G (8, 16, 32, 64, 128, 256)");
  if (group_required)
    group->required();
  else
    group->capture_default_str();
  app->add_option("--mantissa,-m", o.mantissa, "mantissa bits M incl. hidden 1 (1..16)")
      ->required();
  app->add_option("--rounding", o.rounding_name, "truncate | nearest_even | nearest_away")
      ->check(CLI::IsMember({"truncate", "nearest_even", "nearest_away"}));
  app->add_option("--nonfinite", o.nonfinite_name, "reject | propagate")
      ->check(CLI::IsMember({"reject", "propagate"}));
}

// [rows, K] of an activation array: 1-D (one row) or 2-D; more dimensions are an npy_error.
inline std::pair<std::size_t, std::size_t> activation_shape(const io::npy_array& a,
                                                            const std::string& path) {
  if (a.shape.size() > 2)
    throw io::npy_error(path + ": expected a 1-D or 2-D array [rows, K], got " +
                        std::to_string(a.shape.size()) + " dimensions");
  return {a.shape.size() == 2 ? a.shape[0] : 1, a.shape.back()};
}

}  // namespace anda::tools
