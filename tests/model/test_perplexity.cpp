// Perplexity windows on synthetic weights: the convention, determinism across thread counts,
// progress and errors; token files.
#include <catch2/catch.hpp>

#include <anda/model/perplexity.hpp>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "model_helpers.hpp"

using namespace anda;
using namespace anda::model;
using anda::model::test::random_tokens;
using anda::model::test::random_weights;

namespace {

// The NLL of one window straight from its logits, in double.
double window_nll_ref(const Eigen::MatrixXf& logits, std::span<const std::int32_t> w) {
  double total = 0;
  for (Eigen::Index t = 0; t + 1 < logits.rows(); ++t) {
    double sum = 0;
    for (Eigen::Index v = 0; v < logits.cols(); ++v) sum += std::exp(double(logits(t, v)));
    total += std::log(sum) - logits(t, w[std::size_t(t + 1)]);
  }
  return total / double(logits.rows() - 1);
}

}  // namespace

TEST_CASE("windows are fed alone and predict their tokens 1..L-1", "[perplexity]") {
  const llama_model m{random_weights(32, 4, 2, 8, 64, 70, 2, false, 31)};
  const auto tokens = random_tokens(3 * 16 + 5, 70, 1);  // the 5 extra tokens are never used
  perplexity_options o;
  o.window_len = 16;
  const perplexity_result r = evaluate_perplexity(m, tokens, activation_precision::fp32(), o);
  REQUIRE(r.windows == 3);
  CHECK(r.tokens == 48);
  CHECK(r.predictions == 45);
  double sum = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto w = std::span(tokens).subspan(i * 16, 16);
    const double ref = window_nll_ref(m.logits(w), w);
    CHECK(r.window_nll[i] == Approx(ref).epsilon(1e-6));
    sum += ref;
  }
  CHECK(r.mean_nll == Approx(sum / 3).epsilon(1e-6));
  CHECK(r.perplexity == Approx(std::exp(r.mean_nll)).epsilon(1e-12));
  o.windows = 2;
  const perplexity_result two = evaluate_perplexity(m, tokens, activation_precision::fp32(), o);
  CHECK(two.windows == 2);
  CHECK(two.window_nll[1] == r.window_nll[1]);
}

TEST_CASE("a sliding window scores each later window's last `stride` tokens", "[perplexity]") {
  const llama_model m{random_weights(32, 4, 2, 8, 64, 70, 2, false, 31)};
  const std::size_t L = 16, S = 6;
  const auto tokens = random_tokens(L + 3 * S + 4, 70, 2);  // 4 windows; 4 tokens never used
  perplexity_options o;
  o.window_len = L;
  o.stride = S;
  const perplexity_result r = evaluate_perplexity(m, tokens, activation_precision::fp32(), o);
  REQUIRE(r.windows == 4);
  CHECK(r.tokens == 4 * L);
  CHECK(r.predictions == (L - 1) + 3 * S);
  // Straight from each window's full logits, in double: window i starts at i * S; the first
  // scores targets 1..L-1, later ones targets L-S..L-1 (predicted by rows L-S-1..L-2).
  double total = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto w = std::span(tokens).subspan(i * S, L);
    const Eigen::MatrixXf logits = m.logits(w);
    const std::size_t first = i == 0 ? 0 : L - S - 1;
    double sum = 0;
    for (std::size_t t = first; t + 1 < L; ++t) {
      double z = 0;
      for (Eigen::Index v = 0; v < logits.cols(); ++v)
        z += std::exp(double(logits(Eigen::Index(t), v)));
      sum += std::log(z) - logits(Eigen::Index(t), w[t + 1]);
    }
    CHECK(r.window_nll[i] == Approx(sum / double(L - 1 - first)).epsilon(1e-6));
    total += sum;
  }
  CHECK(r.mean_nll == Approx(total / double(r.predictions)).epsilon(1e-6));
  // stride = L is the non-overlapping convention, bit for bit.
  o.stride = L;
  const perplexity_result same = evaluate_perplexity(m, tokens, activation_precision::fp32(), o);
  o.stride = 0;
  const perplexity_result plain = evaluate_perplexity(m, tokens, activation_precision::fp32(), o);
  CHECK(same.mean_nll == plain.mean_nll);
  CHECK(same.window_nll == plain.window_nll);
  // Too few tokens for the windows asked, and a stride longer than the window.
  o.stride = S;
  o.windows = 5;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, activation_precision::fp32(), o),
                    Catch::Contains("5 window(s) of 16 tokens at stride 6 need 40 tokens"));
  o.windows = 0;
  o.stride = L + 1;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, activation_precision::fp32(), o),
                    Catch::Contains("stride must not exceed the window length"));
}

TEST_CASE("quantized perplexity is identical for any thread count", "[perplexity]") {
  const llama_model m{random_weights(64, 4, 2, 16, 128, 90, 2, false, 37), weight_precision::int4};
  const auto tokens = random_tokens(7 * 32, 90, 2);
  const auto act = activation_precision::anda({7, 6, 6, 6}, 32);
  perplexity_options o;
  o.window_len = 32;
  std::vector<std::size_t> seen;
  o.progress = [&](std::size_t done, std::size_t total) {
    CHECK(total == 7);
    seen.push_back(done);
  };
  const perplexity_result one = evaluate_perplexity(m, tokens, act, o);
  CHECK(seen == std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7});
  o.progress = nullptr;
  for (int threads : {2, 3, 8}) {
    o.threads = threads;
    const perplexity_result r = evaluate_perplexity(m, tokens, act, o);
    CHECK(r.window_nll == one.window_nll);
    CHECK(r.mean_nll == one.mean_nll);
  }
  // The FP16-activation reference of the same weights differs (the tuple matters).
  CHECK(evaluate_perplexity(m, tokens, activation_precision::fp16(), o).mean_nll != one.mean_nll);
}

TEST_CASE("perplexity errors: too few tokens, bad ids, bad options, errors inside windows",
          "[perplexity]") {
  const llama_model m{random_weights(16, 2, 2, 8, 32, 40, 1, false, 41), weight_precision::int4,
                      8};  // Gw = 8 < K: G = 256 is refused
  auto tokens = random_tokens(100, 40, 3);
  perplexity_options o;
  o.window_len = 32;
  o.windows = 4;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, {}, o), Catch::Contains("the stream has 100"));
  o.windows = 0;
  o.window_len = 101;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, {}, o), Catch::Contains("the stream has 100"));
  o.window_len = 1;
  CHECK_THROWS_AS(evaluate_perplexity(m, tokens, {}, o), anda::error);
  o.window_len = 32;
  o.threads = 0;
  CHECK_THROWS_AS(evaluate_perplexity(m, tokens, {}, o), anda::error);
  o.threads = 2;
  tokens[70] = 40;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, {}, o), Catch::Contains("token 70 has id 40"));
  tokens[70] = 1;
  tokens[99] = -5;  // outside the windows used: fine
  CHECK_NOTHROW(evaluate_perplexity(m, tokens, {}, o));
  CHECK_THROWS_WITH(
      evaluate_perplexity(m, tokens, activation_precision::anda({4, 4, 4, 4}, 256), o),
      Catch::Contains("input of qkv"));
}

TEST_CASE("token files: int32 little-endian, whole ids, clear errors", "[perplexity]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("anda_tokens_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return dir / name;
  };
  const std::string le = std::string("\x01\x00\x00\x00\xff\x1f\x00\x00", 8);
  CHECK(read_tokens(write("ok.i32", le)) == std::vector<std::int32_t>{1, 8191});
  CHECK_THROWS_WITH(read_tokens(write("odd.i32", le + "x")),
                    Catch::Contains("9 bytes is not a whole number"));
  CHECK_THROWS_WITH(read_tokens(write("empty.i32", "")), Catch::Contains("empty"));
  CHECK_THROWS_WITH(read_tokens(dir / "missing.i32"), Catch::Contains("no such token file"));
  // Only regular files, of bounded size, the path in every error (/dev/zero grew without end;
  // a directory said "no such token file").
  if (fs::exists("/dev/zero")) {
    CHECK_THROWS_WITH(read_tokens("/dev/zero"), "/dev/zero: not a regular file");
    fs::create_symlink("/dev/zero", dir / "zero.i32");
    CHECK_THROWS_WITH(read_tokens(dir / "zero.i32"),
                      (dir / "zero.i32").string() + ": not a regular file");
  }
  CHECK_THROWS_WITH(read_tokens(dir), dir.string() + ": not a regular file (a directory)");
  CHECK_THROWS_WITH(read_tokens(write("big.i32", le), 4),
                    Catch::Contains("big.i32: 8 bytes is too large for a token file (at most 4)"));
  CHECK_THROWS_WITH(check_tokens(std::vector<std::int32_t>{0, 5, 9}, 9, "f"),
                    Catch::Contains("token 2 has id 9"));
  fs::remove_all(dir);
}

TEST_CASE("perplexity: a window too long for memory is refused up front, saying how much",
          "[perplexity]") {
  // --window-len 65536 ended in a bare std::bad_alloc.
  auto w = random_weights(16, 2, 2, 8, 32, 40, 1, false, 43);
  w.config.max_positions = 0;  // no position limit: only memory bounds the window
  const llama_model m{std::move(w)};
  const std::size_t L = std::size_t{1} << 21;  // scores alone: 16 TiB
  const std::vector<std::int32_t> tokens(L, 1);
  perplexity_options o;
  o.window_len = L;
  CHECK_THROWS_WITH(evaluate_perplexity(m, tokens, {}, o),
                    Catch::StartsWith("perplexity: a window of 2097152 tokens needs about ") &&
                        Catch::Contains("(the attention scores alone 16384.0 GiB)") &&
                        Catch::Contains("use shorter windows"));
  CHECK_THROWS_WITH(m.logits(tokens), Catch::StartsWith("llama_model: a window of 2097152 tokens"));
  // An explicit budget, and the threads counted: 2 windows of 65536 tokens at once.
  o.window_len = 65536;
  o.threads = 2;
  o.max_memory_bytes = double(std::uint64_t{20} << 30);
  const std::vector<std::int32_t> two(2 * 65536, 1);
  CHECK_THROWS_WITH(evaluate_perplexity(m, two, {}, o),
                    Catch::Contains("tokens needs about 16.") &&
                        Catch::Contains("(the attention scores alone 16.0 GiB), 2 at once 3") &&
                        Catch::Contains("more than the 20.0 GiB available: use shorter windows or "
                                        "fewer threads"));
  CHECK(m.window_bytes(65536) > 16.0 * (1ull << 30));
  // A window past max_position_embeddings is refused before any window runs.
  const llama_model p{random_weights(16, 2, 2, 8, 32, 40, 1, false, 43)};  // 512 positions
  o.threads = 1;
  o.window_len = 1024;
  CHECK_THROWS_WITH(evaluate_perplexity(p, two, {}, o),
                    "perplexity: a window of 1024 tokens exceeds max_position_embeddings = 512");
}
