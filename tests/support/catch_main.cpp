// Catch2's main, plus the test seed: printed once, and std::rand (Eigen's Random) reseeded at the
// start of every test case so that a test replays on its own, whatever ran before it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdio>

#include "seed.hpp"

namespace {

struct seed_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;

  void testRunStarting(const Catch::TestRunInfo& info) override {
    std::printf("%s: test seed %u (ANDA_TEST_SEED=%u replays it)\n", info.name.c_str(),
                anda::test::test_seed(), anda::test::test_seed());
  }
  void testCaseStarting(const Catch::TestCaseInfo&) override {
    std::srand(anda::test::test_seed());
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(seed_listener)
