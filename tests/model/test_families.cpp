// Every supported family against the logits transformers computed for it
// (tests/data/models/families/README.md): both sequences within 1e-4 x the logits' range, the
// perplexity within 1e-5 relative; the two ways of building a model agree; the quantized paths run
// on each family; features the model does not implement are refused by name.
#include <catch2/catch.hpp>

#include <anda/io/hf_config.hpp>
#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "model_helpers.hpp"

using namespace anda::model;
using Catch::Matchers::Contains;

namespace {

const std::filesystem::path families =
    std::filesystem::path(ANDA_TEST_DATA_DIR) / "models/families";

using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct reference {
  std::vector<std::int32_t> tokens;  // [sequences, T]
  std::vector<float> logits;         // [sequences, T, vocab]
  nlohmann::json meta;
  std::size_t sequences = 0, T = 0, vocab = 0;

  explicit reference(const std::filesystem::path& dir) {
    tokens = read_tokens(dir / "ref_tokens.i32");
    logits = test::read_f32((dir / "ref_logits.f32").string());
    std::ifstream f(dir / "ref.json");
    meta = nlohmann::json::parse(f);
    sequences = meta.at("logits_shape")[0];
    T = meta.at("logits_shape")[1];
    vocab = meta.at("logits_shape")[2];
    REQUIRE(tokens.size() == sequences * T);
    REQUIRE(logits.size() == sequences * T * vocab);
  }
  std::span<const std::int32_t> sequence(std::size_t s) const {
    return std::span(tokens).subspan(s * T, T);
  }
  Eigen::Map<const row_major> logits_of(std::size_t s) const {
    return {logits.data() + s * T * vocab, Eigen::Index(T), Eigen::Index(vocab)};
  }
};

const char* const all_families[] = {"opt", "opt350", "llama3", "qwen2", "qwen3", "mistral"};

}  // namespace

TEST_CASE("families: logits and perplexity match transformers", "[model][families]") {
  for (const char* name : all_families) {
    INFO("family " << name);
    const auto dir = families / name;
    const reference ref{dir};
    const llama_model m = load_model(dir);
    CHECK(to_string(m.config().family) == ref.meta.at("family").get<std::string>().substr(0, 3) +
                                              std::string(to_string(m.config().family)).substr(3));
    double nll_sum = 0;
    for (std::size_t s = 0; s < ref.sequences; ++s) {
      const Eigen::MatrixXf logits = m.logits(ref.sequence(s));
      const auto want = ref.logits_of(s);
      REQUIRE(logits.rows() == want.rows());
      REQUIRE(logits.cols() == want.cols());
      const double range = want.maxCoeff() - want.minCoeff();
      const double diff = (logits - want).cwiseAbs().maxCoeff();
      INFO("sequence " << s << ": max |diff| " << diff << ", range " << range);
      CHECK(diff <= 1e-4 * range);
      const double nll = window_mean_nll(logits.transpose(), ref.sequence(s));
      const double want_nll = ref.meta.at("mean_nll_per_sequence")[s].get<double>();
      CHECK(std::abs(nll - want_nll) <= 1e-5 * std::abs(want_nll));
      nll_sum += nll;
    }
    const double ppl = std::exp(nll_sum / double(ref.sequences));
    const double want_ppl = ref.meta.at("perplexity").get<double>();
    INFO("perplexity " << ppl << ", reference " << want_ppl);
    CHECK(std::abs(ppl - want_ppl) <= 1e-5 * want_ppl);
  }
}

TEST_CASE("families: load_model and llama_model{load_llama} build the same model",
          "[model][families]") {
  for (const char* name : all_families) {
    INFO("family " << name);
    const auto dir = families / name;
    const reference ref{dir};
    for (auto w : {weight_precision::fp32, weight_precision::int4}) {
      const llama_model streamed = load_model(dir, w);
      const llama_model whole{load_llama(dir), w};
      for (const auto& act :
           {activation_precision::fp32(), activation_precision::anda({7, 6, 6, 6})}) {
        CHECK(streamed.logits(ref.sequence(0), act) == whole.logits(ref.sequence(0), act));
      }
    }
  }
}

TEST_CASE("families: the quantized paths run and stay close to FP16 at M = 16",
          "[model][families]") {
  for (const char* name : all_families) {
    INFO("family " << name);
    const auto dir = families / name;
    const reference ref{dir};
    const llama_model int8 = load_model(dir, weight_precision::int8);
    const auto seq = ref.sequence(1);
    const Eigen::MatrixXf fp16 = int8.logits(seq, activation_precision::fp16());
    const Eigen::MatrixXf a16 = int8.logits(seq, activation_precision::anda({16, 16, 16, 16}));
    const Eigen::MatrixXf a4 = int8.logits(seq, activation_precision::anda({4, 4, 4, 4}));
    const double range = fp16.maxCoeff() - fp16.minCoeff();
    CHECK((a16 - fp16).cwiseAbs().maxCoeff() <= 1e-3 * range);
    CHECK((a4 - fp16).cwiseAbs().maxCoeff() > 1e-3 * range);  // and the check can fail
    CHECK(a4.allFinite());
  }
}

TEST_CASE("families: each quantized module's GeMM shape", "[model][families]") {
  // {K, N} of [qkv, o, u, d]: q/k/v stacked, gate/up stacked except OPT's fc1.
  const llama_model qwen3 = load_model(families / "qwen3", weight_precision::int4);
  const auto s = qwen3.module_shapes();
  CHECK(s[0] == std::pair<Eigen::Index, Eigen::Index>{128, (4 + 2 * 2) * 48});
  CHECK(s[1] == std::pair<Eigen::Index, Eigen::Index>{4 * 48, 128});
  CHECK(s[2] == std::pair<Eigen::Index, Eigen::Index>{128, 2 * 384});
  CHECK(s[3] == std::pair<Eigen::Index, Eigen::Index>{384, 128});
  const llama_model opt = load_model(families / "opt350");
  CHECK(opt.module_shapes()[2] == std::pair<Eigen::Index, Eigen::Index>{128, 512});
}

TEST_CASE("families: a Mistral sliding window shorter than the window is refused",
          "[model][families]") {
  // The same checkpoint with sliding_window 64: 64 tokens are plain causal attention, 96 are not.
  const auto dir = families / "mistral";
  auto config = anda::io::read_llama_config(dir);
  config.sliding_window = 64;
  const anda::io::safetensors_checkpoint ckpt{dir};
  const llama_model full = load_model(dir);
  const llama_model windowed{load_llama(ckpt, config)};
  const reference ref{dir};
  CHECK(windowed.logits(ref.sequence(0).first(64)) == full.logits(ref.sequence(0).first(64)));
  CHECK_THROWS_WITH(windowed.logits(ref.sequence(0)),
                    Contains("a window of 96 tokens is longer than sliding_window = 64") &&
                        Contains("sliding-window attention is not implemented"));
}
