// Workloads: LLM shapes (presets and HF configs) turned into the FP-INT GeMMs of the paper's four
// activation modules. Why only these GeMMs: the paper evaluates only the FP-INT GeMMs
// (§V-A); attention score/context matmuls, the KV cache and the LM head stay FP16 and are out of
// scope, as in the paper (a decode step's attention and KV cache are our extension, behind an
// option: decode_attention.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checked.hpp"

namespace anda::hw {

enum class family { opt, llama };

// The four activation modules of paper §III-C: inputs of q/k/v, o, up (+gate), down.
enum class module { qkv, o, u, d };
inline constexpr std::array<module, 4> all_modules = {module::qkv, module::o, module::u, module::d};
inline constexpr std::array<std::string_view, 4> module_names = {"QKV", "O", "U", "D"};

struct model_shape {
  std::string name;
  family fam = family::llama;
  std::int64_t d_model = 0;
  std::int64_t ffn = 0;
  std::int64_t layers = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  // grouped-query attention: k/v projections have kv_heads x head_dim
  std::int64_t head_dim = 0;

  std::int64_t kv_dim() const { return kv_heads * head_dim; }
};

// Preset shapes. Sources: OPT paper arXiv:2205.01068 Table 1 and the HF facebook/opt-* configs;
// LLaMA arXiv:2302.13971; the HF meta-llama Llama-2 and Meta-Llama-3-8B config.json files
// (docs/paper.md §7; LLaMA-2-70B and LLaMA-3-8B use grouped-query attention with 8 k/v heads).
inline std::vector<model_shape> model_presets() {
  auto opt = [](std::string n, std::int64_t d, std::int64_t l, std::int64_t h) {
    return model_shape{std::move(n), family::opt, d, 4 * d, l, h, h, d / h};
  };
  auto llama = [](std::string n, std::int64_t d, std::int64_t f, std::int64_t l, std::int64_t h,
                  std::int64_t kv) {
    return model_shape{std::move(n), family::llama, d, f, l, h, kv, d / h};
  };
  return {opt("opt-125m", 768, 12, 12),
          opt("opt-1.3b", 2048, 24, 32),
          opt("opt-2.7b", 2560, 32, 32),
          opt("opt-6.7b", 4096, 32, 32),
          opt("opt-13b", 5120, 40, 40),
          opt("opt-30b", 7168, 48, 56),
          llama("llama-7b", 4096, 11008, 32, 32, 32),
          llama("llama-13b", 5120, 13824, 40, 40, 40),
          llama("llama2-7b", 4096, 11008, 32, 32, 32),
          llama("llama2-13b", 5120, 13824, 40, 40, 40),
          llama("llama2-70b", 8192, 28672, 80, 64, 8),
          llama("llama3-8b", 4096, 14336, 32, 32, 8)};
}

inline std::optional<model_shape> find_preset(std::string_view name) {
  for (auto& m : model_presets())
    if (m.name == name) return m;
  return std::nullopt;
}

// One GeMM: T tokens x K (reduction) times K x N INT4 weights, repeated `count` times per model.
struct gemm {
  module mod;
  std::string_view what;  // e.g. "q/k/v_proj"
  std::int64_t t, k, n;
  std::int64_t count;

  double macs() const {
    return static_cast<double>(t) * static_cast<double>(k) * static_cast<double>(n) *
           static_cast<double>(count);
  }
};

enum class phase { prefill, decode };

// The FP-INT GeMMs of one forward pass over `tokens` tokens (prefill: all tokens at once; decode:
// one step, T = 1, whatever the context length, since these GeMMs do not depend on it).
// q/k/v are one GeMM with N = heads x head_dim + 2 kv_dim (they share the input A_qkv); LLaMA's
// gate and up share A_u and are one GeMM with N = 2 ffn (docs/paper.md §4.1: Table II reproduces
// only with the gate counted under M_u).
inline std::vector<gemm> model_gemms(const model_shape& s, std::int64_t tokens) {
  using detail::add, detail::mul;
  const char* what = "GeMM width";
  const std::int64_t up_n = s.fam == family::llama ? mul(2, s.ffn, what) : s.ffn;
  const std::int64_t q_dim = mul(s.heads, s.head_dim, what);  // = d_model except in some configs
  const std::int64_t kv_n = mul(2, mul(s.kv_heads, s.head_dim, what), what);
  return {{module::qkv, "q/k/v_proj", tokens, s.d_model, add(q_dim, kv_n, what), s.layers},
          {module::o, s.fam == family::llama ? "o_proj" : "out_proj", tokens, q_dim, s.d_model,
           s.layers},
          {module::u, s.fam == family::llama ? "gate_proj+up_proj" : "fc1", tokens, s.d_model, up_n,
           s.layers},
          {module::d, s.fam == family::llama ? "down_proj" : "fc2", tokens, s.ffn, s.d_model,
           s.layers}};
}

// MACs per token per module over all layers (the weights of the BOPs mean).
inline std::array<double, 4> module_macs_per_token(const model_shape& s) {
  std::array<double, 4> r{};
  for (const auto& g : model_gemms(s, 1)) r[static_cast<std::size_t>(g.mod)] += g.macs();
  return r;
}

// A precision tuple [M_qkv, M_o, M_u, M_d], one mantissa length per module for all layers.
using mantissa_tuple = std::array<int, 4>;

// MAC-weighted mean mantissa M_w of a tuple on a model (docs/paper.md §6.1).
inline double mean_mantissa(const model_shape& s, const mantissa_tuple& m) {
  const auto macs = module_macs_per_token(s);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < 4; ++i) num += macs[i] * m[i], den += macs[i];
  return num / den;
}

// BOPs reduction against FP16 x INT4 (paper §V-A: 64 BOPs per FP16-INT4 MAC, M x 4 for Anda):
// 16 / M_w.
inline double bops_reduction(const model_shape& s, const mantissa_tuple& m) {
  return 16.0 / mean_mantissa(s, m);
}

}  // namespace anda::hw
