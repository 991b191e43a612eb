// The cases of tests/data/oracles/mx/manifest.json.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <anda/format/policies.hpp>

#include "encode_helpers.hpp"

namespace anda::test {

struct mx_case {
  std::string id, input, expected;
  int G, M;
  rounding round;
};

inline std::string mx_dir() {
  return std::string(ANDA_TEST_DATA_DIR) + "/oracles/mx/";
}

inline std::vector<mx_case> mx_cases() {
  std::ifstream in(mx_dir() + "manifest.json");
  if (!in) throw std::runtime_error("cannot read " + mx_dir() + "manifest.json");
  const auto manifest = nlohmann::json::parse(in);
  std::vector<mx_case> out;
  for (const auto& c : manifest.at("cases")) {
    const auto r = parse_rounding(c.at("rounding").get<std::string>());
    if (!r) throw std::runtime_error("unknown rounding in the manifest");
    out.push_back({c.at("id"), mx_dir() + c.at("input").get<std::string>(),
                   mx_dir() + c.at("expected").get<std::string>(), c.at("G"), c.at("M"), *r});
  }
  return out;
}

}  // namespace anda::test
