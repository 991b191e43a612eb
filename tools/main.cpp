// `anda`: the command-line front end (quantize, gemm, whatif, eval, search, backends). Errors print
// one line and exit 1.
#include <cstdio>
#include <exception>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"anda: the Anda grouped bit-plane activation format"};
  app.require_subcommand(1);
  const std::vector<anda::tools::command> commands = {
      anda::tools::add_quantize(app), anda::tools::add_whatif(app), anda::tools::add_eval(app),
      anda::tools::add_search(app),   anda::tools::add_gemm(app),   anda::tools::add_backends(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // one line, as for every other error
    std::fprintf(stderr, "anda: error: %s (see --help)\n", e.what());
    return 1;  // every error exits 1, as the README says (not CLI11's own codes)
  }
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anda: error: %s\n", e.what());
    return 1;
  }
  return 1;
}
