// Runs the built `anda` tool (ANDA_TOOL) as a user would, for the command-line tests.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <cstdio>
#include <string>

namespace anda::test {

struct tool_result {
  int status;          // exit code, -1 if the tool did not exit normally
  std::string output;  // stdout, and stderr too unless told otherwise
};

// `env` holds optional VAR=value assignments placed before the command.
inline tool_result run_tool(const std::string& args, const std::string& env = "",
                            bool with_stderr = true) {
  const std::string cmd =
      env + " \"" + std::string(ANDA_TOOL) + "\" " + args + (with_stderr ? " 2>&1" : "");
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace anda::test
