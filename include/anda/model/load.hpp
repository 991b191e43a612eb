// Loading a Hugging Face LLaMA-family checkpoint directory (config.json + safetensors) into FP32
// llama_weights, every tensor's presence and shape checked against the config.
//
// Expected tensors (nn.Linear shapes [out, in]; H hidden, F intermediate, V vocab, D head_dim):
//   model.embed_tokens.weight                                   [V, H]
//   model.layers.L.input_layernorm.weight                       [H]
//   model.layers.L.post_attention_layernorm.weight              [H]
//   model.layers.L.self_attn.q_proj.weight                      [heads * D, H]
//   model.layers.L.self_attn.{k,v}_proj.weight                  [kv_heads * D, H]
//   model.layers.L.self_attn.o_proj.weight                      [H, heads * D]
//   model.layers.L.mlp.{gate,up}_proj.weight                    [F, H]
//   model.layers.L.mlp.down_proj.weight                         [H, F]
//   model.norm.weight                                           [H]
//   lm_head.weight                                              [V, H], absent when tied
// Any other tensor is an error (a bias or an extra layer the config does not describe must not be
// dropped silently), except model.layers.L.self_attn.rotary_emb.inv_freq, a buffer older
// checkpoints saved and that rope_theta determines. With tie_word_embeddings the head is a copy of
// embed_tokens; a checkpoint that is tied but still holds lm_head.weight is accepted only when
// that tensor is bitwise equal to embed_tokens (as transformers writes it), else it is an error.
// Tensors may be F16, BF16 or F32 (converted exactly) regardless of the config's dtype. Every
// value must be finite: an Inf or NaN is an error naming the tensor, its file and the element.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "anda/io/hf_config.hpp"
#include "anda/io/safetensors.hpp"
#include "anda/model/llama_weights.hpp"

namespace anda::model {

namespace detail {

class llama_loader {
 public:
  llama_loader(const io::safetensors_checkpoint& ckpt, const llama_config& c)
      : ckpt_{ckpt}, c_{c} {}

  llama_weights load() {
    const auto H = dim(c_.hidden_size), F = dim(c_.intermediate_size), V = dim(c_.vocab_size);
    const auto Q = dim(c_.num_heads) * dim(c_.head_dim),
               KV = dim(c_.num_kv_heads) * dim(c_.head_dim);
    llama_weights w;
    w.config = c_;
    w.embed_tokens = matrix("model.embed_tokens.weight", V, H);
    w.layers.resize(dim(c_.num_layers));
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      auto& L = w.layers[l];
      L.input_layernorm = vector(p + "input_layernorm.weight", H);
      L.post_attention_layernorm = vector(p + "post_attention_layernorm.weight", H);
      L.q_proj = matrix(p + "self_attn.q_proj.weight", Q, H);
      L.k_proj = matrix(p + "self_attn.k_proj.weight", KV, H);
      L.v_proj = matrix(p + "self_attn.v_proj.weight", KV, H);
      L.o_proj = matrix(p + "self_attn.o_proj.weight", H, Q);
      L.gate_proj = matrix(p + "mlp.gate_proj.weight", F, H);
      L.up_proj = matrix(p + "mlp.up_proj.weight", F, H);
      L.down_proj = matrix(p + "mlp.down_proj.weight", H, F);
      used_.insert(p + "self_attn.rotary_emb.inv_freq");
    }
    w.norm = vector("model.norm.weight", H);
    if (!c_.tie_word_embeddings) {
      w.lm_head = matrix("lm_head.weight", V, H);
    } else {
      if (ckpt_.contains("lm_head.weight")) {
        const Eigen::MatrixXf head = matrix("lm_head.weight", V, H);
        if (head.size() != w.embed_tokens.size() ||
            std::memcmp(head.data(), w.embed_tokens.data(),
                        static_cast<std::size_t>(head.size()) * sizeof(float)) != 0)
          throw io::safetensors_error(
              ckpt_.file_of("lm_head.weight").name() +
              ": tie_word_embeddings is true but lm_head.weight differs from "
              "model.embed_tokens.weight; which head to use is ambiguous");
      }
      w.lm_head = w.embed_tokens;
    }
    for (const auto& n : ckpt_.names())
      if (!used_.count(n))
        throw io::safetensors_error(ckpt_.file_of(n).name() + ": unexpected tensor '" + n +
                                    "' (not part of the LLaMA architecture config.json describes)");
    return w;
  }

 private:
  static std::size_t dim(int v) { return static_cast<std::size_t>(v); }

  void check(const std::string& name, std::span<const std::size_t> expected) {
    if (!ckpt_.contains(name))
      throw io::safetensors_error(ckpt_.dir().string() + ": missing tensor '" + name +
                                  "' (config.json expects shape " + io::shape_string(expected) +
                                  ")");
    const auto t = ckpt_.tensor(name);
    if (!std::ranges::equal(t.shape, expected))
      throw io::safetensors_error(ckpt_.file_of(name).name() + ": tensor '" + name +
                                  "' has shape " + io::shape_string(t.shape) +
                                  ", config.json expects " + io::shape_string(expected));
    used_.insert(name);
  }
  // An Inf or NaN weight is refused here, once, naming the tensor, its file and the element in
  // the file's indexing ((row, column) of [rows, cols]); found in place, without a copy.
  [[noreturn]] void nonfinite(const std::string& name, float v, const std::string& element) const {
    throw io::safetensors_error(ckpt_.file_of(name).name() + ": tensor '" + name + "' holds " +
                                (std::isnan(v) ? "NaN"
                                 : v > 0       ? "+Inf"
                                               : "-Inf") +
                                " at " + element + "; weights must be finite");
  }
  Eigen::MatrixXf matrix(const std::string& name, std::size_t rows, std::size_t cols) {
    const std::size_t shape[2] = {rows, cols};
    check(name, shape);
    Eigen::MatrixXf m = ckpt_.to_matrix(name, rows, cols);
    if (!m.allFinite())
      for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
          if (!std::isfinite(m(r, c)))
            nonfinite(name, m(r, c),
                      "(row " + std::to_string(r) + ", column " + std::to_string(c) + ")");
    return m;
  }
  Eigen::VectorXf vector(const std::string& name, std::size_t n) {
    const std::size_t shape[1] = {n};
    check(name, shape);
    Eigen::VectorXf v = ckpt_.to_vector(name, n);
    if (!v.allFinite())
      for (Eigen::Index i = 0; i < v.size(); ++i)
        if (!std::isfinite(v(i))) nonfinite(name, v(i), "element " + std::to_string(i));
    return v;
  }

  const io::safetensors_checkpoint& ckpt_;
  const llama_config& c_;
  std::set<std::string> used_;
};

}  // namespace detail

// Loads already-opened parts: the config decides which tensors and shapes are expected.
inline llama_weights load_llama(const io::safetensors_checkpoint& checkpoint,
                                const llama_config& config) {
  return detail::llama_loader{checkpoint, config}.load();
}

// Loads `dir`: config.json plus model.safetensors or a sharded model.safetensors.index.json.
inline llama_weights load_llama(const std::filesystem::path& dir) {
  const llama_config config = io::read_llama_config(dir / "config.json");
  const io::safetensors_checkpoint checkpoint{dir};
  return load_llama(checkpoint, config);
}

}  // namespace anda::model
