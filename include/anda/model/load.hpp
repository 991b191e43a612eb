// Loading a Hugging Face checkpoint directory (config.json + safetensors) of a supported family
// (hf_config.hpp): every tensor's presence and shape checked against the config before any is
// converted.
//
// Expected tensors (nn.Linear shapes [out, in]; H hidden, F intermediate, V vocab, D head_dim):
//   LLaMA, Mistral, Qwen2, Qwen3:
//     model.embed_tokens.weight                                 [V, H]
//     model.layers.L.input_layernorm.weight                     [H]
//     model.layers.L.post_attention_layernorm.weight            [H]
//     model.layers.L.self_attn.q_proj.weight                    [heads * D, H]
//     model.layers.L.self_attn.{k,v}_proj.weight                [kv_heads * D, H]
//     model.layers.L.self_attn.{q,k,v}_proj.bias                Qwen2 only
//     model.layers.L.self_attn.{q,k}_norm.weight                [D], Qwen3 only
//     model.layers.L.self_attn.o_proj.weight                    [H, heads * D]
//     model.layers.L.mlp.{gate,up}_proj.weight                  [F, H]
//     model.layers.L.mlp.down_proj.weight                       [H, F]
//     model.norm.weight                                         [H]
//     lm_head.weight                                            [V, H], absent when tied
//   OPT (E = word_embed_proj_dim; P = max_position_embeddings):
//     model.decoder.embed_tokens.weight                         [V, E]
//     model.decoder.embed_positions.weight                      [P + 2, H]
//     model.decoder.project_in.weight, project_out.weight       [H, E], [E, H], only if E != H
//     model.decoder.layers.L.self_attn.{q,k,v,out}_proj.{weight,bias}
//     model.decoder.layers.L.{self_attn_layer_norm,final_layer_norm}.{weight,bias}
//     model.decoder.layers.L.fc1.{weight,bias}, fc2.{weight,bias}   [F, H], [H, F]
//     model.decoder.final_layer_norm.{weight,bias}              pre-LN only
//     lm_head.weight                                            [V, E], absent when tied
// Any other tensor is an error (a bias or an extra layer the config does not describe must not be
// dropped silently), except model.layers.L.self_attn.rotary_emb.inv_freq, a buffer older
// checkpoints saved and that rope_theta determines. With tie_word_embeddings the head is a copy of
// embed_tokens; a checkpoint that is tied but still holds lm_head.weight is accepted only when
// that tensor is bitwise equal to embed_tokens (as transformers writes it), else it is an error.
// Tensors may be F16, BF16 or F32 (converted exactly) regardless of the config's dtype. Every
// value must be finite: an Inf or NaN is an error naming the tensor, its file and the element.
//
// load_llama gives every weight in FP32 (small models, tests). load_model builds the model one
// layer at a time from the mapped files: each tensor is converted, prepared in the precision
// asked and its file pages given back before the next, so memory peaks near the model's own size
// plus one FP32 layer, never at the checkpoint in FP32.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "anda/io/hf_config.hpp"
#include "anda/io/safetensors.hpp"
#include "anda/model/llama.hpp"
#include "anda/model/llama_weights.hpp"
#include "anda/storage/copy_in_tiles.hpp"

namespace anda::model {

namespace detail {

class llama_loader {
 public:
  llama_loader(const io::safetensors_checkpoint& ckpt, const llama_config& c)
      : ckpt_{ckpt}, c_{c} {}

  // Every expected tensor present with its shape and nothing else, before any data is read:
  // the very reads of load_outer/load_layer, with conversions skipped.
  void check_names() {
    dry_ = true;
    (void)load_outer();
    for (std::size_t l = 0; l < dim(c_.num_layers); ++l) (void)load_layer(l);
    dry_ = false;
    for (const auto& n : ckpt_.names())
      if (!used_.count(n))
        throw io::safetensors_error(ckpt_.file_of(n).name() + ": unexpected tensor '" + n +
                                    "' (not part of the " + std::string(to_string(c_.family)) +
                                    " architecture config.json describes)");
  }

  // The weights without their layers: embeddings, positions, projections, final norm, head.
  llama_weights load_outer() {
    const auto H = dim(c_.hidden_size), V = dim(c_.vocab_size), E = dim(c_.embed_dim());
    const std::string p = c_.is_opt() ? "model.decoder." : "model.";
    llama_weights w;
    w.config = c_;
    w.embed_tokens = matrix(p + "embed_tokens.weight", V, E);
    if (c_.is_opt()) {
      w.embed_positions = matrix(p + "embed_positions.weight", dim(c_.max_positions) + 2, H);
      if (E != H) {
        w.project_in = matrix(p + "project_in.weight", H, E);
        w.project_out = matrix(p + "project_out.weight", E, H);
      }
      if (!c_.post_layer_norm) {
        w.norm = vector(p + "final_layer_norm.weight", H);
        w.norm_bias = vector(p + "final_layer_norm.bias", H);
      }
    } else {
      w.norm = vector(p + "norm.weight", H);
    }
    if (!c_.tie_word_embeddings) {
      w.lm_head = matrix("lm_head.weight", V, E);
    } else {
      if (ckpt_.contains("lm_head.weight")) {
        const Eigen::MatrixXf head = matrix("lm_head.weight", V, E);
        if (!dry_ && (head.size() != w.embed_tokens.size() ||
                      std::memcmp(head.data(), w.embed_tokens.data(),
                                  static_cast<std::size_t>(head.size()) * sizeof(float)) != 0))
          throw io::safetensors_error(
              ckpt_.file_of("lm_head.weight").name() +
              ": tie_word_embeddings is true but lm_head.weight differs from " + p +
              "embed_tokens.weight; which head to use is ambiguous");
      }
      w.lm_head = w.embed_tokens;
    }
    return w;
  }

  llama_layer load_layer(std::size_t l) {
    const auto H = dim(c_.hidden_size), F = dim(c_.intermediate_size), D = dim(c_.head_dim);
    const auto Q = dim(c_.num_heads) * D, KV = dim(c_.num_kv_heads) * D;
    llama_layer L;
    if (c_.is_opt()) {
      const std::string p = "model.decoder.layers." + std::to_string(l) + ".";
      L.input_layernorm = vector(p + "self_attn_layer_norm.weight", H);
      L.input_layernorm_bias = vector(p + "self_attn_layer_norm.bias", H);
      L.post_attention_layernorm = vector(p + "final_layer_norm.weight", H);
      L.post_attention_layernorm_bias = vector(p + "final_layer_norm.bias", H);
      L.q_proj = matrix(p + "self_attn.q_proj.weight", Q, H);
      L.q_bias = vector(p + "self_attn.q_proj.bias", Q);
      L.k_proj = matrix(p + "self_attn.k_proj.weight", KV, H);
      L.k_bias = vector(p + "self_attn.k_proj.bias", KV);
      L.v_proj = matrix(p + "self_attn.v_proj.weight", KV, H);
      L.v_bias = vector(p + "self_attn.v_proj.bias", KV);
      L.o_proj = matrix(p + "self_attn.out_proj.weight", H, Q);
      L.o_bias = vector(p + "self_attn.out_proj.bias", H);
      L.up_proj = matrix(p + "fc1.weight", F, H);
      L.up_bias = vector(p + "fc1.bias", F);
      L.down_proj = matrix(p + "fc2.weight", H, F);
      L.down_bias = vector(p + "fc2.bias", H);
      return L;
    }
    const std::string p = "model.layers." + std::to_string(l) + ".";
    L.input_layernorm = vector(p + "input_layernorm.weight", H);
    L.post_attention_layernorm = vector(p + "post_attention_layernorm.weight", H);
    L.q_proj = matrix(p + "self_attn.q_proj.weight", Q, H);
    L.k_proj = matrix(p + "self_attn.k_proj.weight", KV, H);
    L.v_proj = matrix(p + "self_attn.v_proj.weight", KV, H);
    if (c_.qkv_bias) {
      L.q_bias = vector(p + "self_attn.q_proj.bias", Q);
      L.k_bias = vector(p + "self_attn.k_proj.bias", KV);
      L.v_bias = vector(p + "self_attn.v_proj.bias", KV);
    }
    if (c_.qk_norm) {
      L.q_norm = vector(p + "self_attn.q_norm.weight", D);
      L.k_norm = vector(p + "self_attn.k_norm.weight", D);
    }
    L.o_proj = matrix(p + "self_attn.o_proj.weight", H, Q);
    L.gate_proj = matrix(p + "mlp.gate_proj.weight", F, H);
    L.up_proj = matrix(p + "mlp.up_proj.weight", F, H);
    L.down_proj = matrix(p + "mlp.down_proj.weight", H, F);
    used_.insert(p + "self_attn.rotary_emb.inv_freq");
    return L;
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
  // No Inf or NaN (exponent bits all set) among the values: one vectorizable pass.
  static bool all_finite(const std::vector<float>& values) {
    std::uint32_t nonfinite = 0;
    for (const float v : values)
      nonfinite |= std::uint32_t((std::bit_cast<std::uint32_t>(v) & 0x7F800000u) == 0x7F800000u);
    return nonfinite == 0;
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
    if (dry_) return {};
    // The file's row-major values into a column-major matrix, in tiles (what to_matrix gives,
    // without its strided copy: most of the loading time of a large checkpoint).
    Eigen::MatrixXf m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    bool finite = true;
    {
      const std::vector<float> values = ckpt_.file_of(name).to_float(name, shape);
      using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      copy_in_tiles(Eigen::Map<const row_major>(values.data(), m.rows(), m.cols()), m);
      finite = all_finite(values);
    }
    ckpt_.release(name);  // converted: its mapped pages are not needed any more
    if (!finite)
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
    if (dry_) return {};
    Eigen::VectorXf v = ckpt_.to_vector(name, n);
    if (!v.allFinite())
      for (Eigen::Index i = 0; i < v.size(); ++i)
        if (!std::isfinite(v(i))) nonfinite(name, v(i), "element " + std::to_string(i));
    return v;
  }

  const io::safetensors_checkpoint& ckpt_;
  const llama_config& c_;
  std::set<std::string> used_;
  bool dry_ = false;
};

}  // namespace detail

// Loads already-opened parts: the config decides which tensors and shapes are expected.
inline llama_weights load_llama(const io::safetensors_checkpoint& checkpoint,
                                const llama_config& config) {
  detail::llama_loader loader{checkpoint, config};
  loader.check_names();
  llama_weights w = loader.load_outer();
  w.layers.reserve(std::size_t(config.num_layers));
  for (std::size_t l = 0; l < std::size_t(config.num_layers); ++l)
    w.layers.push_back(loader.load_layer(l));
  return w;
}

// Loads `dir`: config.json plus model.safetensors or a sharded model.safetensors.index.json.
inline llama_weights load_llama(const std::filesystem::path& dir) {
  const llama_config config = io::read_llama_config(dir / "config.json");
  const io::safetensors_checkpoint checkpoint{dir};
  return load_llama(checkpoint, config);
}

// The model of `dir` with its weights in `precision`, built one layer at a time (see the top of
// this file): what llama_model{load_llama(dir), precision, weight_group} gives, in the memory of
// the result rather than of the checkpoint in FP32. Integer weights are quantized on `threads`
// threads (the same weights for any count).
inline llama_model load_model(const std::filesystem::path& dir,
                              weight_precision precision = weight_precision::fp32,
                              int weight_group = 128, int threads = 1) {
  const llama_config config = io::read_llama_config(dir / "config.json");
  const io::safetensors_checkpoint checkpoint{dir};
  detail::llama_loader loader{checkpoint, config};
  loader.check_names();
  return llama_model{loader.load_outer(), [&](std::size_t l) { return loader.load_layer(l); },
                     precision, weight_group, threads};
}

}  // namespace anda::model
