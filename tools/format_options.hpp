// The Anda format on the command line: --group, --mantissa, --rounding, --nonfinite, shared by
// the commands that encode activations from files (quantize, gemm).
#pragma once

#include <anda/format/format.hpp>

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

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

}  // namespace anda::tools
