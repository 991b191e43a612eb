// `anda whatif`: placeholder until hwmodel lands (issue 5).
#include <stdexcept>

#include "commands.hpp"

namespace anda::tools {

command add_whatif(CLI::App& parent) {
  auto* app = parent.add_subcommand("whatif", "accuracy/cost what-if study (hwmodel)");
  return {app, [] () -> int { throw std::runtime_error("whatif is not built yet"); }};
}

}  // namespace anda::tools
