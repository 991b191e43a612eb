// The Hugging Face decoder-only forward pass on Eigen, in FP32, with the paper's four activation
// quantization points (precision.hpp), for every family llama_weights.hpp describes:
//   LLaMA-1/2/3, Mistral, Qwen2, Qwen3: RMSNorm, rotate-half RoPE (default, linear or llama3
//     frequencies), causal attention with grouped-query heads, SwiGLU MLP; Qwen2 adds q/k/v
//     biases, Qwen3 an RMSNorm over each head of q and k before RoPE;
//   OPT: learned positions (row t + 2), LayerNorm with biases before the modules (or after the
//     residual adds: opt-350m), ReLU MLP (fc1, fc2), biases on every linear, embeddings of
//     word_embed_proj_dim projected in and out.
//
// Usage, and what is cheap:
//   llama_model m{load_llama(dir), weight_precision::int4};      // weights quantized ONCE here
//   llama_model m = load_model(dir, weight_precision::int4);      // the same, one layer at a time
//   m.logits(tokens);                                             // FP32 activations
//   m.logits(tokens, activation_precision::fp16());               // W4A16 reference
//   m.logits(tokens, activation_precision::anda({7, 6, 6, 6}));   // Anda at A_qkv, A_o, A_u, A_d
//   m.logits(tokens, act, 8);                                     // one window on 8 threads
// The activation precision (tuple, group, rounding) is a per-call parameter: trying many tuples
// costs nothing beyond the forward passes themselves (see perplexity.hpp for windows and threads).
// logits() is const and keeps no state: any number of threads may call it at once. Its own
// `threads` split each product (output channels in fixed blocks: anda::gemm's blocks of 16, the
// FP products' blocks of rows) and the attention heads; the result is the same for any count.
//
// Memory: integer weights are held only as int_weights (one copy, in the GeMM kernels' blocked
// layout; no FP32 twin); FP weights, embeddings and the head in the narrowest float type that
// holds them exactly (weight_matrix.hpp: FP16 or BF16 for such checkpoints). The FP products
// widen (or dequantize) a block of rows at a time, one block per thread.
//
// Numerics follow HF eager attention in FP32: q k^T * head_dim^-0.5, causal mask, softmax, p v;
// RoPE angles position * inv_freq in float with inv_freq = 1 / theta^(2i / head_dim) in float
// (then scaled as rope_type says, in float as HF does); RMSNorm x * rsqrt(mean(x^2) + eps) *
// weight; LayerNorm (x - mean) / sqrt(var + eps) * weight + bias. The window is fed alone:
// positions 0..T-1.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
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
#include "anda/model/weight_matrix.hpp"
#include "anda/storage/activation_tensor.hpp"
#include "anda/storage/int_weights.hpp"
#include "anda/storage/parallel.hpp"

namespace anda::model {

namespace detail {

// One linear layer y = x W^T + bias. Exactly one of `w` (FP weights, stored narrow) and `packed`
// (integer weights, for anda::gemm; the FP paths dequantize it per use) holds the weights.
// Layers that read the same input (q/k/v, gate/up) are stacked row-wise into one: every output
// channel is its own dot product and its own quantization group, so stacking changes no number.
struct linear {
  weight_matrix w;  // [out, in]
  std::optional<int_weights> packed;
  Eigen::VectorXf bias;  // [out], or empty

  Eigen::Index rows() const { return packed ? Eigen::Index(packed->rows()) : w.rows(); }
  Eigen::Index cols() const { return packed ? Eigen::Index(packed->cols()) : w.cols(); }
  // Rows [r0, r0 + n) of the weights in FP32: exactly the values the products multiply.
  weight_matrix::row_major rows_as_float(Eigen::Index r0, Eigen::Index n) const {
    if (!packed) return w.rows_as_float(r0, n);
    return packed->dequantize_rows(std::size_t(r0), std::size_t(n));
  }
};

struct layer {
  linear qkv, o, up, down;  // up: gate and up stacked (SwiGLU), or fc1 (OPT)
  Eigen::VectorXf input_norm, post_norm, input_norm_bias, post_norm_bias, q_norm, k_norm;
};

// The rows of a matrix widened per product: all at once up to this many elements (64 MB of FP32,
// every layer of the small models, so their products are those of one FP32 matrix), else in
// blocks of rows of about this size.
inline constexpr Eigen::Index widen_block_elements = Eigen::Index{1} << 24;

inline Eigen::Index widen_block_rows(Eigen::Index rows, Eigen::Index cols) {
  if (rows * cols <= widen_block_elements) return std::max<Eigen::Index>(rows, 1);
  return std::max<Eigen::Index>(64,
                                widen_block_elements / std::max<Eigen::Index>(cols, 1) / 64 * 64);
}

// fn(r0, n) for each block of rows [r0, r0 + n) of a [rows, cols] weight matrix, the blocks
// shared out among `threads` threads. The blocks depend on the shape only, never on the thread
// count, so neither do the products computed per block.
template <class Fn>
void for_row_blocks(Eigen::Index rows, Eigen::Index cols, int threads, const Fn& fn) {
  const Eigen::Index block = widen_block_rows(rows, cols);
  const auto blocks = std::size_t((rows + block - 1) / block);
  run_ranges(blocks, std::size_t(std::max(threads, 1)),
             [&](std::size_t, std::size_t b0, std::size_t b1) {
               for (std::size_t b = b0; b < b1; ++b) {
                 const Eigen::Index r0 = Eigen::Index(b) * block;
                 fn(r0, std::min(block, rows - r0));
               }
             });
}

// y[T, out] = x[T, in] * W^T, W widened (or dequantized) a block of rows at a time.
template <class Weights>
void multiply_transposed(const Eigen::MatrixXf& x, const Weights& w, Eigen::Index rows,
                         Eigen::Index cols, Eigen::Ref<Eigen::MatrixXf> y, int threads = 1) {
  for_row_blocks(rows, cols, threads, [&](Eigen::Index r0, Eigen::Index n) {
    const auto wb = w.rows_as_float(r0, n);
    y.middleCols(r0, n).noalias() = x * wb.transpose();
  });
}

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

// LayerNorm over each row (token): (x - mean) / sqrt(var + eps) * weight + bias, the biased
// variance as nn.LayerNorm; the statistics in double, the result in FP32.
inline Eigen::MatrixXf layer_norm(const Eigen::MatrixXf& x, const Eigen::VectorXf& weight,
                                  const Eigen::VectorXf& bias, float eps) {
  const Eigen::ArrayXd mean = x.cast<double>().rowwise().mean().array();
  const Eigen::ArrayXd var =
      (x.cast<double>().colwise() - mean.matrix()).array().square().rowwise().mean();
  const Eigen::ArrayXf inv = (1.0 / (var + double(eps)).sqrt()).cast<float>();
  const Eigen::ArrayXf m = mean.cast<float>();
  Eigen::MatrixXf out(x.rows(), x.cols());
  for (Eigen::Index c = 0; c < x.cols(); ++c)
    out.col(c).array() = (x.col(c).array() - m) * inv * weight(c) + bias(c);
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

// RoPE inverse frequencies inv_freq[i], i < head_dim / 2, as HF computes them in float:
// 1 / theta^(2i / head_dim), then for rope_type "linear" / factor, for "llama3" / factor above
// the low-frequency wavelength, unchanged below the high-frequency one and smoothly blended
// between (transformers' _compute_llama3_parameters, operation by operation in float).
inline std::vector<float> rope_inv_freq(int head_dim, float theta,
                                        rope_scaling type = rope_scaling::none, float factor = 1,
                                        float low_freq_factor = 1, float high_freq_factor = 4,
                                        int original_max_positions = 0) {
  std::vector<float> inv(std::size_t(head_dim / 2));
  for (std::size_t i = 0; i < inv.size(); ++i) {
    const float exponent = float(2 * i) / float(head_dim);
    inv[i] = 1.0f / std::pow(theta, exponent);
  }
  if (type == rope_scaling::linear)
    for (float& f : inv) f /= factor;
  if (type == rope_scaling::llama3) {
    const float old_len = float(original_max_positions);
    const float low_wavelen = float(double(original_max_positions) / double(low_freq_factor));
    const float high_wavelen = float(double(original_max_positions) / double(high_freq_factor));
    const float two_pi = float(2 * 3.14159265358979323846);
    const float span = float(double(high_freq_factor) - double(low_freq_factor));
    for (float& f : inv) {
      const float wavelen = two_pi / f;
      const float scaled = wavelen > low_wavelen ? f / factor : f;
      const float smooth = (old_len / wavelen - low_freq_factor) / span;
      const float smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
      const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
      f = medium ? smoothed : scaled;
    }
  }
  return inv;
}

inline std::vector<float> rope_inv_freq(const llama_config& c) {
  return rope_inv_freq(c.head_dim, c.rope_theta, c.rope_type, c.rope_factor, c.rope_low_freq_factor,
                       c.rope_high_freq_factor, c.rope_original_max_positions);
}

// The rotary tables for positions 0..T-1: cos and sin of position * inv_freq[i], i < head_dim / 2
// (HF rotate-half rope: both halves of a head use the same angles).
struct rope_table {
  Eigen::MatrixXf cos, sin;  // [T, head_dim / 2]

  rope_table(Eigen::Index T, int head_dim, float theta)
      : rope_table(T, rope_inv_freq(head_dim, theta)) {}

  rope_table(Eigen::Index T, const std::vector<float>& inv_freq)
      : cos(T, Eigen::Index(inv_freq.size())), sin(T, Eigen::Index(inv_freq.size())) {
    for (std::size_t i = 0; i < inv_freq.size(); ++i) {
      for (Eigen::Index t = 0; t < T; ++t) {
        const float angle = float(t) * inv_freq[i];
        cos(t, Eigen::Index(i)) = static_cast<float>(std::cos(double(angle)));
        sin(t, Eigen::Index(i)) = static_cast<float>(std::sin(double(angle)));
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

// The bytes a model's weights hold, by kind (llama_model::weight_bytes).
struct weight_memory {
  std::size_t linear_float = 0;    // FP linear weights (narrow: weight_matrix)
  std::size_t linear_integer = 0;  // int_weights (their one blocked layout, padding included)
  std::size_t other = 0;           // embeddings, head, positions, projections, norms, biases
  std::size_t total() const { return linear_float + linear_integer + other; }
};

class llama_model {
 public:
  // Yields layer i (0, 1, ...) of the model in FP32, once each: what the streaming constructor
  // reads from (load.hpp's load_model, one layer of a checkpoint at a time).
  using layer_source = std::function<llama_layer(std::size_t)>;

  // Takes the FP32 weights (moved in) and prepares the linear layers once: FP16 rounding, or
  // round-to-nearest integer quantization with scale group `weight_group` (INT4 symmetric or
  // asymmetric, INT8) on `threads` threads (the same weights for any count). The embeddings,
  // norms and head keep their values (stored narrow when exact, weight_matrix.hpp).
  explicit llama_model(llama_weights w, weight_precision weights = weight_precision::fp32,
                       int weight_group = 128, int threads = 1)
      : cfg_{w.config}, precision_{weights}, weight_group_{weight_group} {
    if (int(w.layers.size()) != w.config.num_layers)
      throw error("llama_model: the config has " + std::to_string(w.config.num_layers) +
                  " layers, the weights " + std::to_string(w.layers.size()));
    std::vector<llama_layer> layers = std::move(w.layers);
    w.layers.clear();
    const layer_source take = [&](std::size_t i) { return std::move(layers[i]); };
    build(std::move(w), take, threads);
  }

  // The same from the weights without layers (`outer`: config, embeddings, norm, head) and the
  // layers one at a time: each is prepared and its FP32 values freed before the next is asked.
  llama_model(llama_weights outer, const layer_source& layers,
              weight_precision weights = weight_precision::fp32, int weight_group = 128,
              int threads = 1)
      : cfg_{outer.config}, precision_{weights}, weight_group_{weight_group} {
    build(std::move(outer), layers, threads);
  }

  const llama_config& config() const { return cfg_; }
  weight_precision weights() const { return precision_; }
  int weight_group() const { return weight_group_; }

  // The bytes held by the weights: with integer weights, linear_float is 0 (no FP32 twin).
  weight_memory weight_bytes() const {
    weight_memory m;
    auto vec = [](const Eigen::VectorXf& v) { return std::size_t(v.size()) * sizeof(float); };
    for (const auto& L : layers_) {
      for (const detail::linear* lin : {&L.qkv, &L.o, &L.up, &L.down}) {
        m.linear_float += lin->w.bytes();
        if (lin->packed) m.linear_integer += lin->packed->storage_bytes();
        m.other += vec(lin->bias);
      }
      for (const auto* v : {&L.input_norm, &L.post_norm, &L.input_norm_bias, &L.post_norm_bias,
                            &L.q_norm, &L.k_norm})
        m.other += vec(*v);
    }
    m.other += embed_.bytes() + head_.bytes() + positions_.bytes() + project_in_.bytes() +
               project_out_.bytes() + vec(norm_) + vec(norm_bias_);
    return m;
  }

  // The GeMM of each quantized module as {K, N} (inputs, outputs), in the order
  // [qkv, o, u, d]: q/k/v stacked, gate/up stacked (OPT: fc1 alone).
  std::array<std::pair<Eigen::Index, Eigen::Index>, 4> module_shapes() const {
    const detail::layer& L = layers_.front();
    return {{{L.qkv.cols(), L.qkv.rows()},
             {L.o.cols(), L.o.rows()},
             {L.up.cols(), L.up.rows()},
             {L.down.cols(), L.down.rows()}}};
  }

  // An upper estimate of the working memory (bytes) of one forward pass over T tokens on
  // `threads` threads: the FP32 activations of a layer (residual, norm, q/k/v, context, gate/up,
  // their encoded copies), the T x T attention scores (one matrix per thread, up to one per
  // head) and, with `logits`, the [vocab, T] logits. Computed in double: no overflow for any T.
  double window_bytes(std::size_t T, bool logits = true, int threads = 1) const {
    const double t = double(T), h = cfg_.hidden_size, f = cfg_.intermediate_size,
                 q = double(cfg_.num_heads) * cfg_.head_dim,
                 kv = double(cfg_.num_kv_heads) * cfg_.head_dim;
    const double per_token = 4 * h + 3 * (q + 2 * kv) + 2 * q + 6 * f;
    const double scores = t * t * double(std::clamp(threads, 1, std::max(cfg_.num_heads, 1)));
    return 4 * (scores + t * per_token + (logits ? t * cfg_.vocab_size : 0));
  }

  // Throws anda::error when `windows` concurrent forward passes over T tokens, each on
  // `threads` threads, need more than `limit` bytes (0: this machine's physical memory), saying
  // how much they need.
  void check_window_memory(std::size_t T, std::size_t windows, double limit = 0, bool logits = true,
                           int threads = 1) const {
    if (limit <= 0) limit = detail::physical_memory_bytes();
    const double one = window_bytes(T, logits, threads), all = one * double(windows);
    if (limit > 0 && all > limit) {
      std::string m = "a window of " + std::to_string(T) + " tokens needs about " +
                      detail::gib(one) + " of working memory (the attention scores alone " +
                      detail::gib(4 * double(T) * double(T)) + ")";
      if (windows > 1) {
        m += ", ";
        m += std::to_string(windows);
        m += " at once ";
        m += detail::gib(all);
      }
      m += "; more than the ";
      m += detail::gib(limit);
      m += " available: use shorter windows";
      if (windows > 1 || threads > 1) m += " or fewer threads";
      throw error(m);
    }
  }

  // Logits [T, vocab] (column-major) for the token ids fed as one sequence at positions 0..T-1.
  // Throws anda::error for an id outside the vocabulary, more tokens than max_position_embeddings
  // (the positions the model was trained for) or than a Mistral sliding window, an invalid
  // activation format, or (under nonfinite::reject) an Inf/NaN module input, naming the layer and
  // module. `threads` threads work on this one window; the result is the same for any count.
  Eigen::MatrixXf logits(std::span<const std::int32_t> tokens, const activation_precision& act = {},
                         int threads = 1) const {
    return head(hidden_states(tokens, act, threads), threads);
  }

  // The final hidden states [T, embed_dim] (the head's input).
  Eigen::MatrixXf hidden_states(std::span<const std::int32_t> tokens,
                                const activation_precision& act = {}, int threads = 1) const {
    act.validate();
    if (threads < 1) throw error("llama_model: threads must be at least 1");
    const Eigen::Index T = static_cast<Eigen::Index>(tokens.size());
    if (T == 0) throw error("llama_model: no tokens");
    if (cfg_.max_positions > 0 && T > cfg_.max_positions)
      throw error("llama_model: " + std::to_string(T) +
                  " tokens exceed max_position_embeddings = " + std::to_string(cfg_.max_positions));
    if (cfg_.sliding_window > 0 && T > cfg_.sliding_window)
      throw error("llama_model: a window of " + std::to_string(T) +
                  " tokens is longer than sliding_window = " + std::to_string(cfg_.sliding_window) +
                  " (sliding-window attention is not implemented): use windows of at most " +
                  std::to_string(cfg_.sliding_window) + " tokens");
    try {
      check_window_memory(std::size_t(T), 1, 0, false, threads);
    } catch (const error& e) {
      throw error(std::string("llama_model: ") + e.what());
    }
    const int H = cfg_.num_heads, KV = cfg_.num_kv_heads, hd = cfg_.head_dim;
    const bool opt = cfg_.is_opt(), post_ln = cfg_.post_layer_norm;
    Eigen::MatrixXf e(T, cfg_.embed_dim());
    for (Eigen::Index t = 0; t < T; ++t) {
      const std::int32_t id = tokens[std::size_t(t)];
      if (id < 0 || id >= cfg_.vocab_size)
        throw error("llama_model: token id " + std::to_string(id) + " at position " +
                    std::to_string(t) + " is outside the vocabulary (" +
                    std::to_string(cfg_.vocab_size) + ")");
      embed_.row_to(id, e.row(t));
    }
    Eigen::MatrixXf x;
    if (!project_in_.empty()) {
      x.resize(T, cfg_.hidden_size);
      detail::multiply_transposed(e, project_in_, project_in_.rows(), project_in_.cols(), x,
                                  threads);
    } else {
      x = std::move(e);
    }
    if (opt) {
      Eigen::RowVectorXf p(cfg_.hidden_size);
      for (Eigen::Index t = 0; t < T; ++t) {
        positions_.row_to(t + 2, p);  // HF OPT's learned positions start at row 2
        x.row(t) += p;
      }
    }
    const std::optional<rope_table> rope =
        opt ? std::nullopt : std::optional<rope_table>(std::in_place, T, rope_inv_freq(cfg_));
    const float scaling = 1.0f / std::sqrt(float(hd));
    for (std::size_t li = 0; li < layers_.size(); ++li) {
      const detail::layer& L = layers_[li];
      // Attention block.
      Eigen::MatrixXf qkv = post_ln ? apply(L.qkv, x, act, module_input::qkv, li, threads)
                                    : apply(L.qkv, norm(x, L.input_norm, L.input_norm_bias), act,
                                            module_input::qkv, li, threads);
      auto q = qkv.leftCols(H * hd);
      auto k = qkv.middleCols(H * hd, KV * hd);
      auto v = qkv.rightCols(KV * hd);
      if (cfg_.qk_norm) {
        for (int h = 0; h < H; ++h)
          q.middleCols(h * hd, hd) =
              detail::rms_norm(q.middleCols(h * hd, hd), L.q_norm, cfg_.rms_norm_eps);
        for (int h = 0; h < KV; ++h)
          k.middleCols(h * hd, hd) =
              detail::rms_norm(k.middleCols(h * hd, hd), L.k_norm, cfg_.rms_norm_eps);
      }
      if (rope) {
        rope->apply(q, H, hd);
        rope->apply(k, KV, hd);
      }
      Eigen::MatrixXf ctx(T, H * hd);
      // Scores transposed: column i holds query i against keys 0..i (the causal prefix, the
      // upper triangle), contiguous for the softmax; only that triangle is computed, and the
      // context multiplies only the lower triangle of its transpose (the masked entries are 0).
      // The heads are shared out among the threads, each with its own scores.
      run_ranges(
          std::size_t(H), std::size_t(threads), [&](std::size_t, std::size_t h0, std::size_t h1) {
            Eigen::MatrixXf scores(T, T);
            for (auto qh = int(h0); qh < int(h1); ++qh) {
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
          });
      x += apply(L.o, ctx, act, module_input::o, li, threads);
      if (post_ln) x = norm(x, L.input_norm, L.input_norm_bias);
      // MLP block: down(silu(gate(h)) * up(h)), OPT fc2(relu(fc1(h))).
      const Eigen::MatrixXf u = post_ln ? apply(L.up, x, act, module_input::u, li, threads)
                                        : apply(L.up, norm(x, L.post_norm, L.post_norm_bias), act,
                                                module_input::u, li, threads);
      Eigen::MatrixXf a;
      if (opt) {
        a = u.cwiseMax(0.0f);
      } else {
        const Eigen::Index F = cfg_.intermediate_size;
        const auto g = u.leftCols(F).array();
        a = (g / (1.0f + (-g).exp()) * u.rightCols(F).array()).matrix();
      }
      x += apply(L.down, a, act, module_input::d, li, threads);
      if (post_ln) x = norm(x, L.post_norm, L.post_norm_bias);
    }
    if (norm_.size()) x = norm(x, norm_, norm_bias_);
    if (project_out_.empty()) return x;
    Eigen::MatrixXf out(T, project_out_.rows());
    detail::multiply_transposed(x, project_out_, project_out_.rows(), project_out_.cols(), out,
                                threads);
    return out;
  }

  // The head transposed, [vocab, T]: one contiguous column of logits per token (what the
  // perplexity reads); the same products as head(), up to the FP32 summation order. Blocks of
  // the head's rows are shared out among `threads` threads (the same result for any count).
  Eigen::MatrixXf head_by_token(const Eigen::Ref<const Eigen::MatrixXf>& normed,
                                int threads = 1) const {
    const weight_matrix& h = head_matrix();
    Eigen::MatrixXf out(h.rows(), normed.rows());
    detail::for_row_blocks(h.rows(), h.cols(), threads, [&](Eigen::Index r0, Eigen::Index n) {
      const auto hb = h.rows_as_float(r0, n);
      out.middleRows(r0, n).noalias() = hb * normed.transpose();
    });
    return out;
  }

  // The head in FP32: [T, embed_dim] -> [T, vocab].
  Eigen::MatrixXf head(const Eigen::MatrixXf& normed, int threads = 1) const {
    const weight_matrix& h = head_matrix();
    Eigen::MatrixXf out(normed.rows(), h.rows());
    detail::multiply_transposed(normed, h, h.rows(), h.cols(), out, threads);
    return out;
  }

 private:
  const weight_matrix& head_matrix() const { return head_.empty() ? embed_ : head_; }

  void build(llama_weights w, const layer_source& layers, int threads) {
    check_outer(w);
    if (weight_group_ < 1) throw error("llama_model: the weight group must be positive");
    embed_ = weight_matrix(w.embed_tokens);
    // Tied (an empty lm_head, or a copy of the embeddings): the head is the embeddings, held once.
    if (w.lm_head.size() && w.lm_head != w.embed_tokens) head_ = weight_matrix(w.lm_head);
    w.embed_tokens = w.lm_head = Eigen::MatrixXf{};
    norm_ = std::move(w.norm);
    norm_bias_ = std::move(w.norm_bias);
    positions_ = weight_matrix(w.embed_positions);
    project_in_ = weight_matrix(w.project_in);
    project_out_ = weight_matrix(w.project_out);
    layers_.reserve(std::size_t(cfg_.num_layers));
    for (std::size_t i = 0; i < std::size_t(cfg_.num_layers); ++i) {
      llama_layer l = layers(i);
      check_layer(l, i);
      detail::layer out;
      out.qkv = prepare(detail::stack_rows({&l.q_proj, &l.k_proj, &l.v_proj}),
                        stack({&l.q_bias, &l.k_bias, &l.v_bias}), threads);
      out.o = prepare(std::move(l.o_proj), std::move(l.o_bias), threads);
      out.up = cfg_.is_opt() ? prepare(std::move(l.up_proj), std::move(l.up_bias), threads)
                             : prepare(detail::stack_rows({&l.gate_proj, &l.up_proj}), {}, threads);
      out.down = prepare(std::move(l.down_proj), std::move(l.down_bias), threads);
      out.input_norm = std::move(l.input_layernorm);
      out.post_norm = std::move(l.post_attention_layernorm);
      out.input_norm_bias = std::move(l.input_layernorm_bias);
      out.post_norm_bias = std::move(l.post_attention_layernorm_bias);
      out.q_norm = std::move(l.q_norm);
      out.k_norm = std::move(l.k_norm);
      layers_.push_back(std::move(out));
    }
  }

  static Eigen::VectorXf stack(std::initializer_list<const Eigen::VectorXf*> parts) {
    Eigen::Index n = 0;
    for (const auto* p : parts) n += p->size();
    Eigen::VectorXf out(n);
    Eigen::Index at = 0;
    for (const auto* p : parts) {
      out.segment(at, p->size()) = *p;
      at += p->size();
    }
    return out;
  }

  Eigen::MatrixXf norm(const Eigen::MatrixXf& x, const Eigen::VectorXf& weight,
                       const Eigen::VectorXf& bias) const {
    return cfg_.is_opt() ? detail::layer_norm(x, weight, bias, cfg_.rms_norm_eps)
                         : detail::rms_norm(x, weight, cfg_.rms_norm_eps);
  }

  [[noreturn]] static void fail(const std::string& what) { throw error("llama_model: " + what); }

  static void shape(const Eigen::MatrixXf& m, Eigen::Index r, Eigen::Index cols,
                    const std::string& name) {
    if (m.rows() != r || m.cols() != cols)
      fail(name + " is [" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) +
           "], expected [" + std::to_string(r) + ", " + std::to_string(cols) + "]");
  }
  // `present`: the vector must have n values; else it must be empty.
  static void vec(const Eigen::VectorXf& v, Eigen::Index n, bool present, const std::string& name) {
    if (v.size() != (present ? n : 0))
      fail(name + " has " + std::to_string(v.size()) + " values, expected " +
           std::to_string(present ? n : 0));
  }

  void check_outer(const llama_weights& w) const {
    const llama_config& c = cfg_;
    if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 ||
        c.head_dim <= 0 || c.intermediate_size <= 0 || c.vocab_size <= 0 || c.embed_dim() <= 0)
      fail("the config has a non-positive size");
    if (c.num_heads % c.num_kv_heads != 0)
      fail("num_heads (" + std::to_string(c.num_heads) + ") is not a multiple of num_kv_heads (" +
           std::to_string(c.num_kv_heads) + ")");
    if (c.head_dim % 2 != 0) fail("head_dim must be even for RoPE");
    const bool opt = c.is_opt();
    if (opt && c.max_positions <= 0) fail("OPT needs max_position_embeddings (its positions)");
    const Eigen::Index d = c.hidden_size, E = c.embed_dim(), V = c.vocab_size;
    shape(w.embed_tokens, V, E, "embed_tokens");
    if (w.lm_head.size() || !c.tie_word_embeddings) shape(w.lm_head, V, E, "lm_head");
    vec(w.norm, d, !(opt && c.post_layer_norm), "norm");
    vec(w.norm_bias, d, opt && !c.post_layer_norm, "norm bias");
    if (opt) {
      shape(w.embed_positions, c.max_positions + 2, d, "embed_positions");
    } else {
      shape(w.embed_positions, 0, 0, "embed_positions");
    }
    shape(w.project_in, E != d ? d : 0, E != d ? E : 0, "project_in");
    shape(w.project_out, E != d ? E : 0, E != d ? d : 0, "project_out");
  }

  void check_layer(const llama_layer& l, std::size_t i) const {
    const llama_config& c = cfg_;
    const bool opt = c.is_opt();
    const Eigen::Index d = c.hidden_size, qd = c.num_heads * c.head_dim,
                       kvd = c.num_kv_heads * c.head_dim, f = c.intermediate_size;
    const std::string p = "layer " + std::to_string(i) + " ";
    shape(l.q_proj, qd, d, p + "q_proj");
    shape(l.k_proj, kvd, d, p + "k_proj");
    shape(l.v_proj, kvd, d, p + "v_proj");
    shape(l.o_proj, d, qd, p + "o_proj");
    if (opt) {
      shape(l.gate_proj, 0, 0, p + "gate_proj");
    } else {
      shape(l.gate_proj, f, d, p + "gate_proj");
    }
    shape(l.up_proj, f, d, p + "up_proj");
    shape(l.down_proj, d, f, p + "down_proj");
    vec(l.input_layernorm, d, true, p + "input_layernorm");
    vec(l.post_attention_layernorm, d, true, p + "post_attention_layernorm");
    vec(l.q_bias, qd, c.qkv_bias, p + "q_proj bias");
    vec(l.k_bias, kvd, c.qkv_bias, p + "k_proj bias");
    vec(l.v_bias, kvd, c.qkv_bias, p + "v_proj bias");
    vec(l.o_bias, d, opt, p + "o_proj bias");
    vec(l.up_bias, f, opt, p + "up_proj bias");
    vec(l.down_bias, d, opt, p + "down_proj bias");
    vec(l.input_layernorm_bias, d, opt, p + "input_layernorm bias");
    vec(l.post_attention_layernorm_bias, d, opt, p + "post_attention_layernorm bias");
    vec(l.q_norm, c.head_dim, c.qk_norm, p + "q_norm");
    vec(l.k_norm, c.head_dim, c.qk_norm, p + "k_norm");
  }

  // The weights as the precision says: integers only (quantized here, once, on `threads`
  // threads, into the one layout every GeMM kernel reads), or FP values stored narrow; the FP32
  // matrix is freed on return.
  detail::linear prepare(Eigen::MatrixXf w, Eigen::VectorXf bias, int threads) const {
    detail::linear out;
    out.bias = std::move(bias);
    if (is_integer(precision_)) {
      out.packed = int_weights::quantize(w, to_weight_type(precision_), std::size_t(weight_group_),
                                         std::max(threads, 1));
    } else {
      out.w = weight_matrix(precision_ == weight_precision::fp16 ? detail::round_to_fp16(w) : w);
    }
    return out;
  }

  // y = x W^T + bias with the module input represented as `act` says, on `threads` threads.
  static Eigen::MatrixXf apply(const detail::linear& lin, const Eigen::MatrixXf& x,
                               const activation_precision& act, module_input m, std::size_t layer,
                               int threads) {
    Eigen::MatrixXf y(x.rows(), lin.rows());
    switch (act.mode) {
      case activation_precision::kind::fp32:
        detail::multiply_transposed(x, lin, lin.rows(), lin.cols(), y, threads);
        break;
      case activation_precision::kind::fp16:
        detail::multiply_transposed(detail::round_to_fp16(x), lin, lin.rows(), lin.cols(), y,
                                    threads);
        break;
      case activation_precision::kind::anda: {
        try {
          const activation_tensor X = encode(act.format_of(m), x);
          if (lin.packed) {
            gemm_options opt;
            opt.threads = threads;
            gemm(X, *lin.packed, y, opt);
          } else {
            detail::multiply_transposed(X.decode_float(), lin, lin.rows(), lin.cols(), y, threads);
          }
        } catch (const anda::error& e) {
          throw error("layer " + std::to_string(layer) + ", input of " +
                      std::string(module_names[std::size_t(m)]) + ": " + e.what());
        }
        break;
      }
    }
    if (lin.bias.size()) y.rowwise() += lin.bias.transpose();
    return y;
  }

  llama_config cfg_;
  weight_precision precision_;
  int weight_group_;
  weight_matrix embed_, head_;                          // head_ empty: tied to embed_
  weight_matrix positions_, project_in_, project_out_;  // OPT
  Eigen::VectorXf norm_, norm_bias_;
  std::vector<detail::layer> layers_;
};

}  // namespace anda::model
