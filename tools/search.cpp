// `anda search`: placeholder until issue 6 lands.
#include <stdexcept>

#include "commands.hpp"

namespace anda::tools {

command add_search(CLI::App& parent) {
  auto* app = parent.add_subcommand("search", "(not built yet)");
  return {app, []() -> int { throw std::runtime_error("search is not built yet"); }};
}

}  // namespace anda::tools
