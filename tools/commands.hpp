// The subcommands of the `anda` tool. Each registers itself on the CLI11 app and returns the
// flag that main() checks to run it; errors are reported by throwing std::exception.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace anda::tools {

// A registered subcommand: its CLI11 node and the action to run when it was chosen.
struct command {
  CLI::App* app;
  std::function<int()> run;
};

command add_quantize(CLI::App& parent);
command add_whatif(CLI::App& parent);
command add_sweep(CLI::App& parent);
command add_eval(CLI::App& parent);
command add_search(CLI::App& parent);
command add_gemm(CLI::App& parent);
command add_backends(CLI::App& parent);
command add_tokenize(CLI::App& parent);

}  // namespace anda::tools
