// The Hugging Face LLaMA forward pass (LlamaForCausalLM) on Eigen, in FP32, with the paper's four
// activation quantization points (precision.hpp): RMSNorm, rotate-half RoPE, causal attention with
// grouped-query heads, SwiGLU MLP, untied or tied head.
//
// Usage, and what is cheap:
//   llama_model m{load_llama(dir), weight_precision::int4};      // weights quantized ONCE here
//   m.logits(tokens);                                             // FP32 activations
//   m.logits(tokens, activation_precision::fp16());               // W4A16 reference
//   m.logits(tokens, activation_precision::anda({7, 6, 6, 6}));   // Anda at A_qkv, A_o, A_u, A_d
// The activation precision (tuple, group, rounding) is a per-call parameter: trying many tuples
// costs nothing beyond the forward passes themselves (see perplexity.hpp for windows and threads).
// logits() is const and keeps no state: any number of threads may call it at once.
//
// Numerics follow HF eager attention in FP32: q k^T * head_dim^-0.5, causal mask, softmax, p v;
// RoPE angles position * inv_freq in float with inv_freq = 1 / theta^(2i / head_dim) in float;
// RMSNorm x * rsqrt(mean(x^2) + eps) * weight. The window is fed alone: positions 0..T-1.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "anda/format/error.hpp"
#include "anda/format/fp16.hpp"
#include "anda/gemm/gemm.hpp"
#include "anda/kernels/encode.hpp"
#include "anda/model/llama_weights.hpp"
#include "anda/model/precision.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/int_weights.hpp"

namespace anda::model {

namespace detail {

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One quantized linear layer y = x W^T. `w` is what the FP paths multiply (FP32 as loaded,
// FP16-rounded, or the dequantized integers); `packed` holds the integer weights for anda::gemm.
// Layers that read the same input (q/k/v, gate/up) are stacked row-wise into one: every output
// channel is its own dot product and its own quantization group, so stacking changes no number.
struct linear {
  Eigen::MatrixXf w;  // [out, in]
  std::optional<int_weights> packed;
};

struct layer {
  linear qkv, o, gate_up, down;
  Eigen::VectorXf input_norm, post_norm;
};

inline Eigen::MatrixXf stack_rows(std::initializer_list<const Eigen::MatrixXf*> parts) {
  Eigen::Index rows = 0;
  for (const auto* p : parts) rows += p->rows();
  Eigen::MatrixXf out(rows, (*parts.begin())->cols());
  Eigen::Index r = 0;
  for (const auto* p : parts) {
    out.middleRows(r, p->rows()) = *p;
    r += p->rows();
  }
  return out;
}

// A column-major matrix copied to row-major (tokens' rows contiguous, as the encoder reads them)
// in square tiles, so that both sides stay in cache.
inline row_matrix to_row_major(const Eigen::MatrixXf& x) {
  constexpr Eigen::Index tile = 16;
  row_matrix out(x.rows(), x.cols());
  for (Eigen::Index c0 = 0; c0 < x.cols(); c0 += tile)
    for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += tile) {
      const Eigen::Index nr = std::min(tile, x.rows() - r0), nc = std::min(tile, x.cols() - c0);
      out.block(r0, c0, nr, nc) = x.block(r0, c0, nr, nc);
    }
  return out;
}

// Every element rounded to FP16 (nearest even, overflow to +-Inf) and back, through the
// library's vectorized conversion.
inline Eigen::MatrixXf round_to_fp16(const Eigen::MatrixXf& x) {
  std::vector<std::uint16_t> bits(std::size_t(x.size()));
  kernels::selected_backend().float_to_fp16(x.data(), bits.data(), bits.size());
  Eigen::MatrixXf out(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.size(); ++i)
    out(i) = fp16::from_bits(bits[std::size_t(i)]).to_float();
  return out;
}

// RMSNorm over each row (token): x * rsqrt(mean(x^2) + eps) * weight, in FP32.
inline Eigen::MatrixXf rms_norm(const Eigen::MatrixXf& x, const Eigen::VectorXf& weight,
                                float eps) {
  // Column by column (the storage order), so that the sums vectorize across tokens.
  const Eigen::ArrayXf inv = ((x.array().square().rowwise().sum() / float(x.cols())) + eps).rsqrt();
  Eigen::MatrixXf out(x.rows(), x.cols());
  for (Eigen::Index c = 0; c < x.cols(); ++c)
    out.col(c).array() = x.col(c).array() * inv * weight(c);
  return out;
}

// Softmax over the first n entries of a column of scores (the causal prefix), in place.
inline void softmax_prefix(float* p, Eigen::Index n) {
  Eigen::Map<Eigen::ArrayXf> v(p, n);
  v = (v - v.maxCoeff()).exp();
  v /= v.sum();
}

// The physical memory of this machine in bytes (0 when unknown): the bound a forward pass's
// working memory is checked against before it allocates.
inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return double(pages) * double(page);
#endif
  return 0;
}

// "16.0 GiB"
inline std::string gib(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / double(1ull << 30));
  return buf;
}

}  // namespace detail

// The rotary tables for positions 0..T-1: cos and sin of position * inv_freq[i], i < head_dim / 2
// (HF "default" rope: both halves of a head use the same angles).
struct rope_table {
  Eigen::MatrixXf cos, sin;  // [T, head_dim / 2]

  rope_table(Eigen::Index T, int head_dim, float theta)
      : cos(T, head_dim / 2), sin(T, head_dim / 2) {
    for (int i = 0; i < head_dim / 2; ++i) {
      const float exponent = float(2 * i) / float(head_dim);
      const float inv_freq = 1.0f / std::pow(theta, exponent);
      for (Eigen::Index t = 0; t < T; ++t) {
        const float angle = float(t) * inv_freq;
        cos(t, i) = static_cast<float>(std::cos(double(angle)));
        sin(t, i) = static_cast<float>(std::sin(double(angle)));
      }
    }
  }

  // Rotate-half RoPE in place on `heads` heads of width head_dim laid side by side in x's columns:
  // out[i] = x[i] cos - x[i + h] sin, out[i + h] = x[i + h] cos + x[i] sin, h = head_dim / 2.
  void apply(Eigen::Ref<Eigen::MatrixXf> x, int heads, int head_dim) const {
    const int h = head_dim / 2;
    for (int head = 0; head < heads; ++head) {
      for (int i = 0; i < h; ++i) {
        auto a = x.col(head * head_dim + i).array();
        auto b = x.col(head * head_dim + h + i).array();
        const auto c = cos.col(i).array();
        const auto s = sin.col(i).array();
        const Eigen::ArrayXf x1 = a;
        a = x1 * c + (-b) * s;
        b = b * c + x1 * s;
      }
    }
  }
};

class llama_model {
 public:
  // Takes the FP32 weights (moved in) and prepares the linear layers once: FP16 rounding, or
  // round-to-nearest integer quantization with scale group `weight_group` (INT4 symmetric or
  // asymmetric, INT8). The embeddings, norms and head stay FP32 as loaded.
  explicit llama_model(llama_weights w, weight_precision weights = weight_precision::fp32,
                       int weight_group = 128)
      : cfg_{w.config}, precision_{weights}, weight_group_{weight_group} {
    check_config(w);
    if (weight_group < 1) throw error("llama_model: the weight group must be positive");
    embed_ = std::move(w.embed_tokens);
    norm_ = std::move(w.norm);
    head_ = w.lm_head.size() ? std::move(w.lm_head) : embed_;  // tied: the embeddings
    layers_.reserve(w.layers.size());
    for (auto& l : w.layers) {
      detail::layer out;
      out.qkv = prepare(detail::stack_rows({&l.q_proj, &l.k_proj, &l.v_proj}));
      out.o = prepare(std::move(l.o_proj));
      out.gate_up = prepare(detail::stack_rows({&l.gate_proj, &l.up_proj}));
      out.down = prepare(std::move(l.down_proj));
      out.input_norm = std::move(l.input_layernorm);
      out.post_norm = std::move(l.post_attention_layernorm);
      l = llama_layer{};  // free the FP32 originals as we go
      layers_.push_back(std::move(out));
    }
  }

  const llama_config& config() const { return cfg_; }
  weight_precision weights() const { return precision_; }

  // An upper estimate of the working memory (bytes) of one forward pass over T tokens: the FP32
  // activations of a layer (residual, norm, q/k/v, context, gate/up, their encoded copies), the
  // T x T attention scores and, with `logits`, the [vocab, T] logits. Computed in double: no
  // overflow for any T.
  double window_bytes(std::size_t T, bool logits = true) const {
    const double t = double(T), h = cfg_.hidden_size, f = cfg_.intermediate_size,
                 q = double(cfg_.num_heads) * cfg_.head_dim,
                 kv = double(cfg_.num_kv_heads) * cfg_.head_dim;
    const double per_token = 4 * h + 3 * (q + 2 * kv) + 2 * q + 6 * f;
    return 4 * (t * t + t * per_token + (logits ? t * cfg_.vocab_size : 0));
  }

  // Throws anda::error when `threads` concurrent forward passes over T tokens need more than
  // `limit` bytes (0: this machine's physical memory), saying how much they need.
  void check_window_memory(std::size_t T, std::size_t threads, double limit = 0,
                           bool logits = true) const {
    if (limit <= 0) limit = detail::physical_memory_bytes();
    const double one = window_bytes(T, logits), all = one * double(threads);
    if (limit > 0 && all > limit) {
      std::string m = "a window of " + std::to_string(T) + " tokens needs about " +
                      detail::gib(one) + " of working memory (the attention scores alone " +
                      detail::gib(4 * double(T) * double(T)) + ")";
      if (threads > 1) {
        m += ", ";
        m += std::to_string(threads);
        m += " at once ";
        m += detail::gib(all);
      }
      m += "; more than the ";
      m += detail::gib(limit);
      m += " available: use shorter windows";
      if (threads > 1) m += " or fewer threads";
      throw error(m);
    }
  }
  int weight_group() const { return weight_group_; }

  // Logits [T, vocab] (column-major) for the token ids fed as one sequence at positions 0..T-1.
  // Throws anda::error for an id outside the vocabulary, more tokens than max_position_embeddings
  // (the positions the model was trained for), an invalid activation format, or (under
  // nonfinite::reject) an Inf/NaN module input, naming the layer and module.
  Eigen::MatrixXf logits(std::span<const std::int32_t> tokens,
                         const activation_precision& act = {}) const {
    return head(hidden_states(tokens, act));
  }

  // The final-normed hidden states [T, hidden] (the head's input).
  Eigen::MatrixXf hidden_states(std::span<const std::int32_t> tokens,
                                const activation_precision& act = {}) const {
    act.validate();
    const Eigen::Index T = static_cast<Eigen::Index>(tokens.size());
    if (T == 0) throw error("llama_model: no tokens");
    if (cfg_.max_positions > 0 && T > cfg_.max_positions)
      throw error("llama_model: " + std::to_string(T) +
                  " tokens exceed max_position_embeddings = " + std::to_string(cfg_.max_positions));
    try {
      check_window_memory(std::size_t(T), 1, 0, false);
    } catch (const error& e) {
      throw error(std::string("llama_model: ") + e.what());
    }
    const int H = cfg_.num_heads, KV = cfg_.num_kv_heads, hd = cfg_.head_dim;
    Eigen::MatrixXf x(T, cfg_.hidden_size);
    for (Eigen::Index t = 0; t < T; ++t) {
      const std::int32_t id = tokens[std::size_t(t)];
      if (id < 0 || id >= cfg_.vocab_size)
        throw error("llama_model: token id " + std::to_string(id) + " at position " +
                    std::to_string(t) + " is outside the vocabulary (" +
                    std::to_string(cfg_.vocab_size) + ")");
      x.row(t) = embed_.row(id);
    }
    const rope_table rope{T, hd, cfg_.rope_theta};
    const float scaling = 1.0f / std::sqrt(float(hd));
    for (std::size_t li = 0; li < layers_.size(); ++li) {
      const detail::layer& L = layers_[li];
      // Attention block.
      Eigen::MatrixXf h = detail::rms_norm(x, L.input_norm, cfg_.rms_norm_eps);
      Eigen::MatrixXf qkv = apply(L.qkv, h, act, module_input::qkv, li);
      auto q = qkv.leftCols(H * hd);
      auto k = qkv.middleCols(H * hd, KV * hd);
      auto v = qkv.rightCols(KV * hd);
      rope.apply(q, H, hd);
      rope.apply(k, KV, hd);
      Eigen::MatrixXf ctx(T, H * hd);
      // Scores transposed: column i holds query i against keys 0..i (the causal prefix, the
      // upper triangle), contiguous for the softmax; only that triangle is computed, and the
      // context multiplies only the lower triangle of its transpose (the masked entries are 0).
      Eigen::MatrixXf scores(T, T);
      for (int qh = 0; qh < H; ++qh) {
        const int kvh = qh / (H / KV);  // GQA: H / KV query heads share one key/value head
        scores.triangularView<Eigen::Upper>() =
            k.middleCols(kvh * hd, hd) * q.middleCols(qh * hd, hd).transpose();
        for (Eigen::Index i = 0; i < T; ++i) {
          auto col = scores.col(i).head(i + 1);
          col *= scaling;
          detail::softmax_prefix(col.data(), i + 1);
        }
        ctx.middleCols(qh * hd, hd).noalias() =
            scores.transpose().triangularView<Eigen::Lower>() * v.middleCols(kvh * hd, hd);
      }
      x += apply(L.o, ctx, act, module_input::o, li);
      // MLP block: down(silu(gate(h)) * up(h)).
      h = detail::rms_norm(x, L.post_norm, cfg_.rms_norm_eps);
      Eigen::MatrixXf gu = apply(L.gate_up, h, act, module_input::u, li);
      const Eigen::Index F = cfg_.intermediate_size;
      const auto g = gu.leftCols(F).array();
      const Eigen::MatrixXf a = (g / (1.0f + (-g).exp()) * gu.rightCols(F).array()).matrix();
      x += apply(L.down, a, act, module_input::d, li);
    }
    return detail::rms_norm(x, norm_, cfg_.rms_norm_eps);
  }

  // The head transposed, [vocab, T]: one contiguous column of logits per token (what the
  // perplexity reads); the same products as head(), up to the FP32 summation order.
  Eigen::MatrixXf head_by_token(const Eigen::Ref<const Eigen::MatrixXf>& normed) const {
    Eigen::MatrixXf out(head_.rows(), normed.rows());
    out.noalias() = head_ * normed.transpose();
    return out;
  }

  // The head in FP32: [T, hidden] -> [T, vocab].
  Eigen::MatrixXf head(const Eigen::MatrixXf& normed) const {
    Eigen::MatrixXf out(normed.rows(), head_.rows());
    out.noalias() = normed * head_.transpose();
    return out;
  }

 private:
  static void check_config(const llama_weights& w) {
    const llama_config& c = w.config;
    auto fail = [](const std::string& what) { throw error("llama_model: " + what); };
    if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 ||
        c.head_dim <= 0 || c.intermediate_size <= 0 || c.vocab_size <= 0)
      fail("the config has a non-positive size");
    if (c.num_heads % c.num_kv_heads != 0)
      fail("num_heads (" + std::to_string(c.num_heads) + ") is not a multiple of num_kv_heads (" +
           std::to_string(c.num_kv_heads) + ")");
    if (c.head_dim % 2 != 0) fail("head_dim must be even for RoPE");
    if (int(w.layers.size()) != c.num_layers)
      fail("the config has " + std::to_string(c.num_layers) + " layers, the weights " +
           std::to_string(w.layers.size()));
    const Eigen::Index d = c.hidden_size, qd = c.num_heads * c.head_dim,
                       kvd = c.num_kv_heads * c.head_dim, f = c.intermediate_size, V = c.vocab_size;
    auto shape = [&](const Eigen::MatrixXf& m, Eigen::Index r, Eigen::Index cols,
                     const std::string& name) {
      if (m.rows() != r || m.cols() != cols)
        fail(name + " is [" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) +
             "], expected [" + std::to_string(r) + ", " + std::to_string(cols) + "]");
    };
    auto vec = [&](const Eigen::VectorXf& v, const std::string& name) {
      if (v.size() != d)
        fail(name + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(d));
    };
    shape(w.embed_tokens, V, d, "embed_tokens");
    if (w.lm_head.size() || !c.tie_word_embeddings) shape(w.lm_head, V, d, "lm_head");
    vec(w.norm, "norm");
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
      const llama_layer& l = w.layers[i];
      const std::string p = "layer " + std::to_string(i) + " ";
      shape(l.q_proj, qd, d, p + "q_proj");
      shape(l.k_proj, kvd, d, p + "k_proj");
      shape(l.v_proj, kvd, d, p + "v_proj");
      shape(l.o_proj, d, qd, p + "o_proj");
      shape(l.gate_proj, f, d, p + "gate_proj");
      shape(l.up_proj, f, d, p + "up_proj");
      shape(l.down_proj, d, f, p + "down_proj");
      vec(l.input_layernorm, p + "input_layernorm");
      vec(l.post_attention_layernorm, p + "post_attention_layernorm");
    }
  }

  detail::linear prepare(Eigen::MatrixXf w) const {
    detail::linear out;
    if (precision_ == weight_precision::fp16) {
      w = detail::round_to_fp16(w);
    } else if (is_integer(precision_)) {
      out.packed = int_weights::quantize(w, to_weight_type(precision_), std::size_t(weight_group_));
      w = out.packed->dequantize();
      // The SIMD kernels' layout now, at load time, rather than in the first forward pass.
      if (kernels::selected_backend().prepare) out.packed->packed();
    }
    out.w = std::move(w);
    return out;
  }

  // y = x W^T with the module input represented as `act` says.
  static Eigen::MatrixXf apply(const detail::linear& lin, const Eigen::MatrixXf& x,
                               const activation_precision& act, module_input m, std::size_t layer) {
    Eigen::MatrixXf y(x.rows(), lin.w.rows());
    switch (act.mode) {
      case activation_precision::kind::fp32:
        y.noalias() = x * lin.w.transpose();
        break;
      case activation_precision::kind::fp16:
        y.noalias() = detail::round_to_fp16(x) * lin.w.transpose();
        break;
      case activation_precision::kind::anda: {
        try {
          const detail::row_matrix rm = detail::to_row_major(x);
          const activation_tensor X =
              encode_float(act.format_of(m), rm.data(), std::size_t(rm.rows()),
                           std::size_t(rm.cols()), std::size_t(rm.cols()));
          if (lin.packed) {
            gemm(X, *lin.packed, y);
          } else {
            y.noalias() = X.decode_float() * lin.w.transpose();
          }
        } catch (const anda::error& e) {
          throw error("layer " + std::to_string(layer) + ", input of " +
                      std::string(module_names[std::size_t(m)]) + ": " + e.what());
        }
        break;
      }
    }
    return y;
  }

  llama_config cfg_;
  weight_precision precision_;
  int weight_group_;
  Eigen::MatrixXf embed_, head_;
  Eigen::VectorXf norm_;
  std::vector<detail::layer> layers_;
};

}  // namespace anda::model
