// `anda eval`: placeholder until issue 6 lands.
#include <stdexcept>

#include "commands.hpp"

namespace anda::tools {

command add_eval(CLI::App& parent) {
  auto* app = parent.add_subcommand("eval", "(not built yet)");
  return {app, []() -> int { throw std::runtime_error("eval is not built yet"); }};
}

}  // namespace anda::tools
