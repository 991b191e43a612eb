// `anda backends`: the kernel backends of this build, which this CPU runs, and which one is used.
#include <anda/kernels/registry.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"

namespace anda::tools {

command add_backends(CLI::App& parent) {
  auto* app = parent.add_subcommand(
      "backends", "List the kernel backends of this build and the one in use (ANDA_ISA chooses)");
  auto json = std::make_shared<bool>(false);
  app->add_flag("--json", *json, "Print a JSON object");
  return {app, [json] {
            const kernels::backend& used = kernels::selected_backend();
            nlohmann::json list = nlohmann::json::array();
            for (const kernels::backend* b : kernels::backends()) {
              nlohmann::json needs = nlohmann::json::array();
              for (const auto f : b->needs) needs.push_back(std::string(to_string(f)));
              list.push_back({{"name", std::string(b->name)},
                              {"supported", b->supported()},
                              {"needs", needs},
                              {"missing", b->missing()}});
              if (*json) continue;
              std::string line = std::string(b->name);
              line.resize(10, ' ');
              line.append(b->supported() ? "runs here" : "skipped: this CPU lacks ");
              if (!b->supported()) line.append(b->missing());
              if (b == &used) line.append("  <- in use");
              std::printf("%s\n", line.c_str());
            }
            if (*json)
              std::printf("%s\n",
                          nlohmann::json{{"backends", list}, {"selected", std::string(used.name)}}
                              .dump(2)
                              .c_str());
            return 0;
          }};
}

}  // namespace anda::tools
