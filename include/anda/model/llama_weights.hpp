// The parameters of a Hugging Face LLaMA-family checkpoint (LlamaForCausalLM), in FP32 as the
// forward pass uses them. Shapes follow nn.Linear: [out, in].
// Filled by anda::model::load_llama(dir) in anda/model/load.hpp (config: anda/io/hf_config.hpp).
#pragma once

#include <Eigen/Core>

#include <string>
#include <vector>

namespace anda::model {

// What config.json says (both spellings of rope_theta and of the dtype are accepted by the
// reader; anything unsupported is an error there, never a guess here).
struct llama_config {
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;  // < num_heads: grouped-query attention
  int head_dim = 0;
  int intermediate_size = 0;
  int vocab_size = 0;
  int max_positions = 0;  // max_position_embeddings; 0: no limit (weights built in code)
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  bool tie_word_embeddings = false;
  std::string dtype;  // "float16", "bfloat16" or "float32": the checkpoint's storage type
};

struct llama_layer {
  Eigen::MatrixXf q_proj, k_proj, v_proj,
      o_proj;  // [heads*hd, hidden], [kv*hd, hidden] x2, [hidden, heads*hd]
  Eigen::MatrixXf gate_proj, up_proj, down_proj;              // [ffn, hidden] x2, [hidden, ffn]
  Eigen::VectorXf input_layernorm, post_attention_layernorm;  // [hidden]
};

struct llama_weights {
  llama_config config;
  Eigen::MatrixXf embed_tokens;  // [vocab, hidden]
  std::vector<llama_layer> layers;
  Eigen::VectorXf norm;     // [hidden]
  Eigen::MatrixXf lm_head;  // [vocab, hidden]; a copy of embed_tokens when tied
};

}  // namespace anda::model
