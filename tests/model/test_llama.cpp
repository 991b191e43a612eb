// The forward pass on synthetic weights: each piece against a direct formula, and the whole model
// against an independent double-precision implementation written here from the HF definitions.
#include <catch2/catch.hpp>

#include <anda/model/llama.hpp>
#include <anda/model/perplexity.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "model_helpers.hpp"

using namespace anda;
using namespace anda::model;
using anda::model::test::random_weights;

using anda::model::test::random_tokens;

namespace {

using matd = Eigen::MatrixXd;

matd rms_norm_ref(const matd& x, const Eigen::VectorXf& w, double eps) {
  matd out = x;
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const double ms = x.row(t).squaredNorm() / double(x.cols());
    for (Eigen::Index c = 0; c < x.cols(); ++c) out(t, c) = x(t, c) / std::sqrt(ms + eps) * w(c);
  }
  return out;
}

// RoPE straight from the definition: pairs (i, i + d/2) rotated by position * theta^(-2i/d).
matd rope_ref(const matd& x, int heads, int hd, double theta) {
  matd out = x;
  for (Eigen::Index t = 0; t < x.rows(); ++t)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < hd / 2; ++i) {
        const double angle = double(t) * std::pow(theta, -2.0 * i / hd);
        const double a = x(t, h * hd + i), b = x(t, h * hd + hd / 2 + i);
        out(t, h * hd + i) = a * std::cos(angle) - b * std::sin(angle);
        out(t, h * hd + hd / 2 + i) = b * std::cos(angle) + a * std::sin(angle);
      }
  return out;
}

// The whole HF LLaMA forward pass in double, loops over heads and positions.
matd forward_ref(const llama_weights& w, const std::vector<std::int32_t>& tokens) {
  const auto& c = w.config;
  const Eigen::Index T = Eigen::Index(tokens.size());
  const int H = c.num_heads, KV = c.num_kv_heads, hd = c.head_dim;
  matd x(T, c.hidden_size);
  for (Eigen::Index t = 0; t < T; ++t) x.row(t) = w.embed_tokens.row(tokens[t]).cast<double>();
  for (const auto& l : w.layers) {
    matd h = rms_norm_ref(x, l.input_layernorm, c.rms_norm_eps);
    matd q = rope_ref(h * l.q_proj.cast<double>().transpose(), H, hd, c.rope_theta);
    matd k = rope_ref(h * l.k_proj.cast<double>().transpose(), KV, hd, c.rope_theta);
    matd v = h * l.v_proj.cast<double>().transpose();
    matd ctx = matd::Zero(T, H * hd);
    for (int head = 0; head < H; ++head) {
      const int g = head * KV / H;
      for (Eigen::Index i = 0; i < T; ++i) {
        std::vector<double> p(std::size_t(i + 1));
        double mx = -1e300, sum = 0;
        for (Eigen::Index j = 0; j <= i; ++j) {
          p[j] = q.row(i).segment(head * hd, hd).dot(k.row(j).segment(g * hd, hd)) / std::sqrt(hd);
          mx = std::max(mx, p[j]);
        }
        for (auto& e : p) sum += (e = std::exp(e - mx));
        for (Eigen::Index j = 0; j <= i; ++j)
          ctx.row(i).segment(head * hd, hd) += p[j] / sum * v.row(j).segment(g * hd, hd);
      }
    }
    x += ctx * l.o_proj.cast<double>().transpose();
    h = rms_norm_ref(x, l.post_attention_layernorm, c.rms_norm_eps);
    matd gate = h * l.gate_proj.cast<double>().transpose();
    const matd up = h * l.up_proj.cast<double>().transpose();
    for (Eigen::Index i = 0; i < gate.size(); ++i)
      gate(i) = gate(i) / (1 + std::exp(-gate(i))) * up(i);
    x += gate * l.down_proj.cast<double>().transpose();
  }
  return rms_norm_ref(x, w.norm, c.rms_norm_eps) * w.lm_head.cast<double>().transpose();
}

double max_abs_diff(const Eigen::MatrixXf& a, const matd& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a.cast<double>() - b).cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("RMSNorm matches x / sqrt(mean(x^2) + eps) * w", "[model]") {
  auto rng = anda::test::test_rng(1);
  std::normal_distribution<float> n{0, 3};
  for (Eigen::Index cols : {1, 7, 64, 65}) {
    Eigen::MatrixXf x(5, cols);
    Eigen::VectorXf w(cols);
    for (Eigen::Index i = 0; i < x.size(); ++i) x(i) = n(rng);
    for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = n(rng);
    x.row(2).setZero();  // eps keeps a zero row finite
    const Eigen::MatrixXf y = detail::rms_norm(x, w, 1e-5f);
    const matd r = rms_norm_ref(x.cast<double>(), w, 1e-5);
    CHECK(y.allFinite());
    CHECK(max_abs_diff(y, r) < 1e-5 * (1 + r.cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("RoPE rotates (i, i + d/2) by position * theta^(-2i/d)", "[model]") {
  for (float theta : {10000.0f, 500000.0f}) {
    const int heads = 3, hd = 16;
    const Eigen::Index T = 300;
    auto rng = anda::test::test_rng(2);
    std::normal_distribution<float> n{0, 1};
    Eigen::MatrixXf x(T, heads * hd);
    for (Eigen::Index i = 0; i < x.size(); ++i) x(i) = n(rng);
    const matd r = rope_ref(x.cast<double>(), heads, hd, theta);
    const rope_table rope{T, hd, theta};
    rope.apply(x, heads, hd);
    // float angles: position * inv_freq loses ~T * 2^-24 rad at the far end, as in HF.
    CHECK(max_abs_diff(x, r) < 1e-4);
    // Position 0 is the identity.
    CHECK(max_abs_diff(x.topRows(1), r.topRows(1)) < 1e-6);
  }
}

TEST_CASE("the forward pass matches an independent double implementation", "[model]") {
  // MHA, GQA (2 query heads per kv head) and MQA; untied and tied heads.
  for (auto [heads, kv, tied] : {std::tuple{4, 4, false}, {4, 2, true}, {6, 1, false}}) {
    const llama_weights w = random_weights(24, heads, kv, 8, 40, 50, 2, tied, 7);
    const auto tokens = random_tokens(19, 50, 3);
    const llama_model m{w};
    const Eigen::MatrixXf logits = m.logits(tokens);
    const matd ref = forward_ref(w, tokens);
    INFO("heads " << heads << " kv " << kv);
    CHECK(max_abs_diff(logits, ref) < 1e-4 * (1 + ref.cwiseAbs().maxCoeff()));
    // head() of the hidden states is logits(); head_by_token is its transpose (up to the
    // summation order of the two products).
    const Eigen::MatrixXf h = m.hidden_states(tokens);
    CHECK(m.head(h) == logits);
    CHECK((m.head_by_token(h) - logits.transpose()).cwiseAbs().maxCoeff() < 1e-5);
  }
}

TEST_CASE("attention is causal: later tokens never change earlier logits", "[model]") {
  const llama_model m{random_weights(32, 4, 2, 8, 48, 60, 2, false, 11)};
  auto a = random_tokens(20, 60, 5);
  auto b = a;
  b[12] = (b[12] + 1) % 60;
  b[19] = (b[19] + 7) % 60;
  const Eigen::MatrixXf la = m.logits(a), lb = m.logits(b);
  CHECK(la.topRows(12) == lb.topRows(12));
  CHECK((la.row(12) - lb.row(12)).cwiseAbs().maxCoeff() > 0);
  // Each prefix alone gives the same logits as inside the longer sequence.
  const Eigen::MatrixXf prefix = m.logits(std::span(a).first(9));
  CHECK((prefix - la.topRows(9)).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("GQA: query head h reads kv head h / (H / KV)", "[model]") {
  // The same model with k/v heads repeated to full MHA gives the same logits.
  const int H = 6, KV = 2, hd = 8;
  const llama_weights gqa = random_weights(24, H, KV, hd, 40, 30, 2, false, 13);
  llama_weights mha = gqa;
  mha.config.num_kv_heads = H;
  for (auto& l : mha.layers) {
    Eigen::MatrixXf k(H * hd, l.k_proj.cols()), v(H * hd, l.v_proj.cols());
    for (int h = 0; h < H; ++h) {
      k.middleRows(h * hd, hd) = l.k_proj.middleRows(h / (H / KV) * hd, hd);
      v.middleRows(h * hd, hd) = l.v_proj.middleRows(h / (H / KV) * hd, hd);
    }
    l.k_proj = k;
    l.v_proj = v;
  }
  const auto tokens = random_tokens(17, 30, 9);
  const Eigen::MatrixXf a = llama_model{gqa}.logits(tokens);
  const Eigen::MatrixXf b = llama_model{mha}.logits(tokens);
  CHECK((a - b).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("tied head: an empty lm_head uses the embeddings", "[model]") {
  llama_weights w = random_weights(16, 2, 2, 8, 32, 40, 1, true, 17);
  const llama_weights copy = w;
  w.lm_head.resize(0, 0);
  const auto tokens = random_tokens(10, 40, 1);
  CHECK(llama_model{w}.logits(tokens) == llama_model{copy}.logits(tokens));
  // Untied: lm_head is what the head multiplies.
  llama_weights untied = copy;
  untied.config.tie_word_embeddings = false;
  untied.lm_head *= 2;
  CHECK(llama_model{untied}.logits(tokens).isApprox(2 * llama_model{copy}.logits(tokens), 1e-5f));
}

TEST_CASE("quantized paths: fp16 and Anda M = 16 with INT8 weights stay close to FP32", "[model]") {
  const llama_weights w = random_weights(64, 4, 2, 16, 128, 80, 2, false, 19);
  const auto tokens = random_tokens(24, 80, 4);
  const Eigen::MatrixXf ref = llama_model{w}.logits(tokens);
  const double scale = ref.cwiseAbs().maxCoeff();
  const llama_model fp16{w, weight_precision::fp16};
  const Eigen::MatrixXf a16 = fp16.logits(tokens, activation_precision::fp16());
  CHECK((a16 - ref).cwiseAbs().maxCoeff() < 3e-3 * scale);
  // Anda M = 16 over FP16 weights: the decoded product, nearly FP16.
  const Eigen::MatrixXf anda16 = fp16.logits(tokens, activation_precision::anda({16, 16, 16, 16}));
  CHECK((anda16 - a16).cwiseAbs().maxCoeff() < 3e-3 * scale);
  // INT8 weights through anda::gemm: within INT8's weight error of the FP16 path.
  const llama_model int8{w, weight_precision::int8};
  const Eigen::MatrixXf i8 = int8.logits(tokens, activation_precision::anda({16, 16, 16, 16}));
  CHECK((i8 - a16).cwiseAbs().maxCoeff() < 3e-2 * scale);
  // ... and the GeMM path equals the decoded-times-dequantized product up to FP32 rounding.
  const Eigen::MatrixXf i8f = int8.logits(tokens, activation_precision::fp16());
  CHECK((i8 - i8f).cwiseAbs().maxCoeff() < 3e-3 * scale);
  // Fewer mantissa bits cost accuracy, monotonically on average.
  const llama_model int4{w, weight_precision::int4};
  const double e8 = (int4.logits(tokens, activation_precision::anda({8, 8, 8, 8})) - ref).norm();
  const double e3 = (int4.logits(tokens, activation_precision::anda({3, 3, 3, 3})) - ref).norm();
  CHECK(e3 > e8);
}

TEST_CASE("the tuple is per call: one model, many tuples, same answers as fresh models",
          "[model]") {
  const llama_weights w = random_weights(64, 4, 4, 16, 128, 60, 1, false, 23);
  const auto tokens = random_tokens(16, 60, 8);
  const llama_model m{w, weight_precision::int4_asym};
  for (auto t : {std::array{7, 6, 6, 6}, {4, 5, 6, 7}, {16, 1, 2, 3}}) {
    const auto act = activation_precision::anda(t, 32, rounding::nearest_even);
    CHECK(m.logits(tokens, act) == llama_model{w, weight_precision::int4_asym}.logits(tokens, act));
  }
}

TEST_CASE("one window on many threads: the same logits for any thread count", "[model][threads]") {
  const llama_weights w = random_weights(64, 4, 2, 16, 128, 90, 2, false, 43);
  const auto tokens = random_tokens(37, 90, 9);
  const auto anda = activation_precision::anda({7, 6, 6, 6}, 32);
  for (auto p : {weight_precision::int4, weight_precision::int8, weight_precision::fp16}) {
    // Quantizing on 3 threads gives the weights of 1.
    const llama_model m{w, p, 32}, m3{w, p, 32, 3};
    for (const auto& act : {anda, activation_precision::fp16(), activation_precision::fp32()}) {
      const Eigen::MatrixXf one = m.logits(tokens, act);
      INFO(to_string(p) << ", " << act.to_string());
      CHECK(m3.logits(tokens, act) == one);
      for (int threads : {2, 3, 4, 7}) {
        CHECK(m.logits(tokens, act, threads) == one);
        CHECK(m.head_by_token(m.hidden_states(tokens, act, threads), threads) ==
              m.head_by_token(m.hidden_states(tokens, act)));
      }
    }
  }
  // Perplexity of one window uses every thread on it: the same numbers.
  const llama_model m{w, weight_precision::int4, 32};
  perplexity_options o;
  o.window_len = 37;
  const perplexity_result one = evaluate_perplexity(m, tokens, anda, o);
  o.threads = 3;
  const perplexity_result three = evaluate_perplexity(m, tokens, anda, o);
  CHECK(three.threads_per_window == 3);
  CHECK(three.concurrent_windows == 1);
  CHECK(three.window_nll == one.window_nll);
  CHECK_THROWS_WITH(m.logits(tokens, anda, 0), Catch::Contains("threads must be at least 1"));
}

TEST_CASE("FP products split into fixed row blocks: the same bits on any thread count",
          "[model][threads]") {
  // Above detail::widen_block_elements, so that the rows are widened in several blocks.
  struct dense {
    Eigen::MatrixXf m;
    Eigen::MatrixXf rows_as_float(Eigen::Index r0, Eigen::Index n) const {
      return m.middleRows(r0, n);
    }
  };
  const Eigen::Index rows = 4200, cols = 4096;
  REQUIRE(detail::widen_block_rows(rows, cols) < rows);
  auto rng = anda::test::test_rng(12);
  std::normal_distribution<float> gauss;
  dense w{Eigen::MatrixXf::NullaryExpr(rows, cols, [&] { return gauss(rng); })};
  const Eigen::MatrixXf x = Eigen::MatrixXf::NullaryExpr(5, cols, [&] { return gauss(rng); });
  Eigen::MatrixXf one(5, rows), many(5, rows);
  detail::multiply_transposed(x, w, rows, cols, one);
  for (int threads : {2, 3}) {
    detail::multiply_transposed(x, w, rows, cols, many, threads);
    CHECK(many == one);
  }
}

TEST_CASE("errors: token ids, shapes, formats, non-finite inputs", "[model]") {
  llama_weights w = random_weights(16, 2, 2, 8, 32, 40, 1, false, 29);
  const llama_model m{w, weight_precision::int4, 8};  // Gw = 8 < K
  const std::vector<std::int32_t> bad = {1, 2, 40};
  CHECK_THROWS_WITH(m.logits(bad), Catch::Contains("token id 40 at position 2"));
  CHECK_THROWS_WITH(m.logits(std::vector<std::int32_t>{-1}), Catch::Contains("token id -1"));
  CHECK_THROWS_AS(m.logits(std::vector<std::int32_t>{}), anda::error);
  llama_weights short_context = w;
  short_context.config.max_positions = 3;
  const llama_model sm{short_context};
  CHECK_NOTHROW(sm.logits(std::vector<std::int32_t>{1, 2, 3}));
  CHECK_THROWS_WITH(sm.logits(std::vector<std::int32_t>{1, 2, 3, 4}),
                    Catch::Contains("4 tokens exceed max_position_embeddings = 3"));
  // G = 256 does not divide the INT weights' scale group of 8: named with layer and module.
  CHECK_THROWS_WITH(
      m.logits(std::vector<std::int32_t>{1, 2}, activation_precision::anda({4, 4, 4, 4}, 256)),
      Catch::Contains("layer 0, input of qkv"));
  CHECK_THROWS_AS(activation_precision::anda({0, 4, 4, 4}), anda::format_error);
  CHECK_THROWS_AS(activation_precision::anda({4, 4, 4, 4}, 48), anda::format_error);

  llama_weights wrong = w;
  wrong.layers[0].k_proj.resize(7, 16);
  CHECK_THROWS_WITH(llama_model{wrong}, Catch::Contains("layer 0 k_proj is [7, 16]"));
  llama_weights heads = w;
  heads.config.num_kv_heads = 3;
  CHECK_THROWS_WITH(llama_model{heads}, Catch::Contains("not a multiple of num_kv_heads"));

  // An activation beyond FP16 (a huge embedding) is rejected by name, or propagated as NaN.
  llama_weights huge = w;
  huge.embed_tokens.row(3).setConstant(1e6f);
  huge.layers[0].input_layernorm.setConstant(1e5f);
  const llama_model hm{huge, weight_precision::int8};
  const std::vector<std::int32_t> t = {3, 1};
  // A finite activation past FP16 is named as an overflow, not as an Inf or NaN input.
  CHECK_THROWS_WITH(hm.logits(t, activation_precision::anda({8, 8, 8, 8})),
                    Catch::Contains("layer 0, input of qkv: input ") &&
                        Catch::Contains("overflows FP16 (largest finite 65504; it rounds to Inf) "
                                        "at row 0, group 0 (column 0)"));
  llama_weights nan_embed = w;
  nan_embed.embed_tokens(3, 5) = std::numeric_limits<float>::quiet_NaN();
  const llama_model nm{nan_embed, weight_precision::int8};
  CHECK_THROWS_WITH(nm.logits(t, activation_precision::anda({8, 8, 8, 8})),
                    Catch::Contains("layer 0, input of qkv: non-finite input (Inf or NaN)"));
  const Eigen::MatrixXf nan = hm.logits(
      t, activation_precision::anda({8, 8, 8, 8}, 64, rounding::truncate, nonfinite::propagate));
  CHECK(nan.hasNaN());
}

TEST_CASE("parse_tuple accepts four lengths, with or without brackets", "[model]") {
  CHECK(parse_tuple("7,6,6,6") == std::array{7, 6, 6, 6});
  CHECK(parse_tuple("[16,1,2,3]") == std::array{16, 1, 2, 3});
  for (const char* bad : {"", "7,6,6", "7,6,6,6,6", "7,6,x,6", "7,,6,6", "7,6,6,17", "0,6,6,6",
                          "7.5,6,6,6", "7,6,6,6,"})
    CHECK_THROWS_AS(parse_tuple(bad), anda::format_error);
  CHECK(parse_weight_precision("int4-asym") == weight_precision::int4_asym);
  CHECK(!parse_weight_precision("int3"));
}
