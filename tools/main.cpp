// `anda`: the command-line front end (quantize, gemm, whatif, sweep, eval, search, tokenize,
// backends).
// Errors print one line and exit 1.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"anda: the Anda grouped bit-plane activation format"};
  app.require_subcommand(1);
  const std::vector<anda::tools::command> commands = {
      anda::tools::add_quantize(app), anda::tools::add_whatif(app),  anda::tools::add_sweep(app),
      anda::tools::add_eval(app),     anda::tools::add_search(app),  anda::tools::add_gemm(app),
      anda::tools::add_tokenize(app), anda::tools::add_backends(app)};
  // CLI11 would only say "A subcommand is required" for `anda bogus`: name the word instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const auto& c : commands) {
      known |= c.app->get_name() == argv[1];
      if (!names.empty()) names += ", ";
      names += c.app->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "anda: error: unknown command '%s' (commands: %s; see --help)\n",
                   argv[1], names.c_str());
      return 1;
    }
  }
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
  int status = 1;
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) {
        status = c.run();
        break;
      }
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "anda: error: out of memory (a smaller input, --window-len or model)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anda: error: %s\n", e.what());
    return 1;
  }
  // What was printed must have reached stdout (`anda whatif > /dev/full` is an error, exit 1).
  std::cout.flush();
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
    const int err = errno;
    std::fprintf(stderr, "anda: error: cannot write to standard output (%s)\n",
                 err ? std::strerror(err) : "write error");
    return 1;
  }
  return status;
}
