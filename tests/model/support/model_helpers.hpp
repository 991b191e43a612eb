// Synthetic LLaMA weights for the model tests, and the reference files of the model folders.
#pragma once

#include <anda/model/llama_weights.hpp>
#include <anda/model/tokens.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "seed.hpp"

namespace anda::model::test {

// Random weights with LLaMA-like scales: N(0, 1) embeddings, linear layers N(0, 1/in), norms near
// 1. tied: lm_head is a copy of the embeddings (what the loader produces).
inline llama_weights random_weights(int hidden, int heads, int kv_heads, int head_dim, int ffn,
                                    int vocab, int layers, bool tied, unsigned seed) {
  auto rng = anda::test::test_rng(seed);
  auto matrix = [&](int rows, int cols, float stddev) {
    std::normal_distribution<float> n{0, stddev};
    Eigen::MatrixXf m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = n(rng);
    return m;
  };
  auto norm = [&](int n) {
    std::uniform_real_distribution<float> u{0.5f, 1.5f};
    Eigen::VectorXf v(n);
    for (Eigen::Index i = 0; i < n; ++i) v(i) = u(rng);
    return v;
  };
  llama_weights w;
  llama_config& c = w.config;
  c.hidden_size = hidden;
  c.num_layers = layers;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.intermediate_size = ffn;
  c.vocab_size = vocab;
  c.max_positions = 512;
  c.rms_norm_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.tie_word_embeddings = tied;
  c.dtype = "float32";
  const float in_h = 1.0f / std::sqrt(float(hidden)),
              in_q = 1.0f / std::sqrt(float(heads * head_dim)), in_f = 1.0f / std::sqrt(float(ffn));
  w.embed_tokens = matrix(vocab, hidden, 1.0f);
  for (int l = 0; l < layers; ++l) {
    llama_layer L;
    L.q_proj = matrix(heads * head_dim, hidden, in_h);
    L.k_proj = matrix(kv_heads * head_dim, hidden, in_h);
    L.v_proj = matrix(kv_heads * head_dim, hidden, in_h);
    L.o_proj = matrix(hidden, heads * head_dim, in_q);
    L.gate_proj = matrix(ffn, hidden, in_h);
    L.up_proj = matrix(ffn, hidden, in_h);
    L.down_proj = matrix(hidden, ffn, in_f);
    L.input_layernorm = norm(hidden);
    L.post_attention_layernorm = norm(hidden);
    w.layers.push_back(std::move(L));
  }
  w.norm = norm(hidden);
  w.lm_head = tied ? w.embed_tokens : matrix(vocab, hidden, in_h);
  return w;
}

// A float32 little-endian file as floats (the ref_logits.f32 files; same layout as tokens).
// n token ids drawn uniformly from [0, vocab).
inline std::vector<std::int32_t> random_tokens(std::size_t n, int vocab, unsigned seed) {
  auto rng = anda::test::test_rng(seed);
  std::uniform_int_distribution<int> d{0, vocab - 1};
  std::vector<std::int32_t> t(n);
  for (auto& v : t) v = d(rng);
  return t;
}

inline std::vector<float> read_f32(const std::string& path) {
  const std::vector<std::int32_t> raw = read_tokens(path);
  std::vector<float> out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size() * 4);
  return out;
}

}  // namespace anda::model::test
