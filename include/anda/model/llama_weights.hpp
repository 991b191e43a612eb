// The parameters of a Hugging Face decoder-only checkpoint, in FP32 as the forward pass uses them.
// One layout covers every supported family (LLaMA-1/2/3, Mistral, Qwen2, Qwen3, OPT): a family's
// modules map onto the LLaMA names, and what a family lacks stays empty. Shapes follow nn.Linear:
// [out, in]. Filled by anda::model::load_llama(dir) in anda/model/load.hpp (config:
// anda/io/hf_config.hpp).
#pragma once

#include <Eigen/Core>

#include <string>
#include <string_view>
#include <vector>

namespace anda::model {

// The Hugging Face model_type this layout was read from; it decides the norms, the MLP and the
// positions (llama.hpp).
enum class model_family { llama, mistral, qwen2, qwen3, opt };

constexpr std::string_view to_string(model_family f) {
  switch (f) {
    case model_family::llama:
      return "llama";
    case model_family::mistral:
      return "mistral";
    case model_family::qwen2:
      return "qwen2";
    case model_family::qwen3:
      return "qwen3";
    case model_family::opt:
      return "opt";
  }
  return "?";
}

// RoPE frequency scaling (HF rope_type): none ("default"), linear (inv_freq / factor), or the
// LLaMA-3.1 piecewise scaling of long wavelengths ("llama3").
enum class rope_scaling { none, linear, llama3 };

// What config.json says (both spellings of rope_theta and of the dtype are accepted by the
// reader; anything unsupported is an error there, never a guess here). The name is historical:
// it describes every family above.
struct llama_config {
  model_family family = model_family::llama;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;  // < num_heads: grouped-query attention
  int head_dim = 0;
  int intermediate_size = 0;  // OPT: ffn_dim
  int vocab_size = 0;
  int max_positions = 0;       // max_position_embeddings; 0: no limit (weights built in code)
  float rms_norm_eps = 1e-5f;  // OPT: the LayerNorm eps (1e-5, nn.LayerNorm's default)
  float rope_theta = 10000.0f;
  rope_scaling rope_type = rope_scaling::none;
  float rope_factor = 1;                // linear and llama3
  float rope_low_freq_factor = 1;       // llama3
  float rope_high_freq_factor = 4;      // llama3
  int rope_original_max_positions = 0;  // llama3
  int sliding_window = 0;               // Mistral; 0: none. Longer windows are refused.
  bool qkv_bias = false;                // Qwen2 (and OPT, whose every linear has a bias)
  bool qk_norm = false;                 // Qwen3: RMSNorm over each head of q and k
  bool tie_word_embeddings = false;
  // OPT only: the norms after the residual adds (opt-350m) instead of before the modules, and
  // embeddings of word_embed_proj_dim (< hidden_size) projected in and out.
  bool post_layer_norm = false;
  int word_embed_dim = 0;  // 0: hidden_size
  std::string dtype;       // "float16", "bfloat16" or "float32": the checkpoint's storage type

  bool is_opt() const { return family == model_family::opt; }
  int embed_dim() const { return word_embed_dim > 0 ? word_embed_dim : hidden_size; }
};

// One decoder layer. OPT: input_layernorm is self_attn_layer_norm, post_attention_layernorm the
// layer's final_layer_norm, up_proj fc1, down_proj fc2, o_proj out_proj; no gate_proj.
struct llama_layer {
  Eigen::MatrixXf q_proj, k_proj, v_proj,
      o_proj;  // [heads*hd, hidden], [kv*hd, hidden] x2, [hidden, heads*hd]
  Eigen::MatrixXf gate_proj, up_proj, down_proj;              // [ffn, hidden] x2, [hidden, ffn]
  Eigen::VectorXf input_layernorm, post_attention_layernorm;  // [hidden]
  // Empty unless the family has them: biases (Qwen2: q/k/v; OPT: all, LayerNorms too) and the
  // per-head q/k norms of Qwen3 ([head_dim]).
  Eigen::VectorXf q_bias, k_bias, v_bias, o_bias, up_bias, down_bias;
  Eigen::VectorXf input_layernorm_bias, post_attention_layernorm_bias;
  Eigen::VectorXf q_norm, k_norm;
};

struct llama_weights {
  llama_config config;
  Eigen::MatrixXf embed_tokens;  // [vocab, embed_dim]
  std::vector<llama_layer> layers;
  Eigen::VectorXf norm;       // [hidden]; empty for an OPT without a final norm (post-LN)
  Eigen::VectorXf norm_bias;  // OPT's final LayerNorm
  Eigen::MatrixXf lm_head;    // [vocab, embed_dim]; a copy of embed_tokens when tied
  // OPT only: learned positions [max_positions + 2, hidden] (HF's offset of 2), and the
  // projections between embed_dim and hidden_size when they differ.
  Eigen::MatrixXf embed_positions, project_in, project_out;  // [hidden, embed], [embed, hidden]
};

}  // namespace anda::model
