// The FP32 forward pass against the PyTorch references shipped with the test models
// (tests/data/models/*/README.md): tiny-llama-en (MHA, F16, untied) window 0 logits and per-window
// NLLs, tiny-gqa-random (GQA, BF16, tied) logits; and a quantized run close to the FP16 one.
#include <catch2/catch.hpp>

#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>

#include <nlohmann/json.hpp>

#include <fstream>

#include "model_helpers.hpp"

using namespace anda::model;

namespace {

const std::string models = std::string(ANDA_TEST_DATA_DIR) + "/models/";

// The sanitizer build runs every window ~20x slower: it checks fewer.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t nll_windows = 2;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::size_t nll_windows = 2;
#else
constexpr std::size_t nll_windows = 16;
#endif
#else
constexpr std::size_t nll_windows = 16;
#endif

using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double max_diff_to_file(const Eigen::MatrixXf& logits, const std::string& file) {
  const std::vector<float> ref = test::read_f32(file);
  REQUIRE(ref.size() == std::size_t(logits.size()));
  const Eigen::Map<const row_major> r(ref.data(), logits.rows(), logits.cols());
  return (logits - r).cwiseAbs().maxCoeff();
}

const llama_model& tiny_llama() {
  static const llama_model m{load_llama(models + "tiny-llama-en")};
  return m;
}

}  // namespace

TEST_CASE("tiny-llama-en: window 0 logits match ref_logits.f32", "[model][reference]") {
  const auto tokens = read_tokens(models + "tiny-llama-en/eval_tokens.i32");
  const Eigen::MatrixXf logits = tiny_llama().logits(std::span(tokens).first(256));
  REQUIRE(logits.rows() == 256);
  REQUIRE(logits.cols() == 8192);
  const double diff = max_diff_to_file(logits, models + "tiny-llama-en/ref_logits.f32");
  INFO("max |diff| " << diff);
  CHECK(diff <= 1e-3);
}

TEST_CASE("tiny-llama-en: per-window NLL matches ref.json", "[model][reference]") {
  std::ifstream f(models + "tiny-llama-en/ref.json");
  const auto ref = nlohmann::json::parse(f);
  const auto tokens = read_tokens(models + "tiny-llama-en/eval_tokens.i32");
  perplexity_options o;
  o.windows = nll_windows;
  o.window_len = ref.at("window_len").get<std::size_t>();
  o.threads = 2;
  const perplexity_result r = evaluate_perplexity(tiny_llama(), tokens, {}, o);
  REQUIRE(r.window_nll.size() == nll_windows);
  double worst = 0;
  for (std::size_t i = 0; i < nll_windows; ++i) {
    const double want = ref.at("window_mean_nll").at(i).get<double>();
    INFO("window " << i);
    CHECK(std::abs(r.window_nll[i] - want) <= 1e-4);
    worst = std::max(worst, std::abs(r.window_nll[i] - want));
  }
  INFO("worst |NLL diff| " << worst);
  SUCCEED();
}

TEST_CASE("tiny-gqa-random: GQA, BF16, tied head match ref_logits.f32", "[model][reference]") {
  const llama_model m{load_llama(models + "tiny-gqa-random")};
  REQUIRE(m.config().num_kv_heads < m.config().num_heads);
  REQUIRE(m.config().tie_word_embeddings);
  const auto tokens = read_tokens(models + "tiny-gqa-random/ref_tokens.i32");
  const double diff = max_diff_to_file(m.logits(tokens), models + "tiny-gqa-random/ref_logits.f32");
  INFO("max |diff| " << diff);
  CHECK(diff <= 1e-4);
}

TEST_CASE("tiny-llama-en: Anda M = 16 with INT8 weights is close to the FP16 path",
          "[model][reference]") {
  const auto tokens = read_tokens(models + "tiny-llama-en/eval_tokens.i32");
  perplexity_options o;
  o.windows = 1;
  const llama_model int8{load_llama(models + "tiny-llama-en"), weight_precision::int8};
  const double fp16 =
      evaluate_perplexity(tiny_llama(), tokens, activation_precision::fp16(), o).mean_nll;
  const double q =
      evaluate_perplexity(int8, tokens, activation_precision::anda({16, 16, 16, 16}), o).mean_nll;
  const double coarse =
      evaluate_perplexity(int8, tokens, activation_precision::anda({3, 3, 3, 3}), o).mean_nll;
  INFO("fp16 " << fp16 << " anda16+int8 " << q << " anda3+int8 " << coarse);
  CHECK(std::abs(q - fp16) < 0.01);
  CHECK(coarse > fp16 + 0.05);  // and the comparison can fail: 3 bits are visibly worse
}
