// The seed of every randomized test. Fixed by default, so that CI runs are repeatable; every test
// program prints it at start. ANDA_TEST_SEED=<n> replays (or changes) it, ANDA_TEST_SEED=random
// draws a fresh one. Each generator mixes it with its own salt, so streams stay independent.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

namespace anda::test {

inline constexpr std::uint32_t default_seed = 20261202;

inline std::uint32_t test_seed() {
  static const std::uint32_t seed = [] {
    const char* env = std::getenv("ANDA_TEST_SEED");
    if (env == nullptr || *env == '\0') return default_seed;
    const std::string s = env;
    if (s == "random") return std::uint32_t(std::random_device{}());
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(s, &used, 0);
    } catch (const std::exception&) {
      used = 0;  // not a number: reported below
    }
    if (used != s.size() || v > 0xFFFFFFFFull)
      throw std::invalid_argument(
          "ANDA_TEST_SEED: expected an integer below 2^32 or 'random', got '" + s + "'");
    return std::uint32_t(v);
  }();
  return seed;
}

// A generator for one stream of one test: the run's seed mixed with the caller's salt.
inline std::mt19937 test_rng(std::uint32_t salt) {
  std::seed_seq seq{test_seed(), salt};
  return std::mt19937(seq);
}

}  // namespace anda::test
