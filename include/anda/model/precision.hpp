// The precisions of a LLaMA forward pass: how the weights are stored (chosen once, when the model
// is built) and how the inputs of the four quantized modules are represented (chosen per call).
//
// The four quantization points of the paper (docs/paper.md sections 3-4), for LLaMA:
//   A_qkv  input of q_proj, k_proj, v_proj (after input_layernorm)
//   A_o    input of o_proj
//   A_u    input of gate_proj and up_proj (after post_attention_layernorm)
//   A_d    input of down_proj (silu(gate) * up)
// Attention products, norms, RoPE, softmax and the head stay in FP32, as in the paper.
#pragma once

#include <array>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "anda/format/error.hpp"
#include "anda/format/format.hpp"
#include "anda/format/policies.hpp"
#include "anda/storage/int_weights.hpp"

namespace anda::model {

// How the linear layers' weights are held. The FP paths multiply FP32 matrices: the loaded values
// (fp32), rounded to FP16 (fp16), or the dequantized integers (int*). The integer types also keep
// the packed weights that the Anda path hands to anda::gemm. Scale group Gw: see llama_model.
enum class weight_precision { fp32, fp16, int4, int4_asym, int8 };

constexpr std::string_view to_string(weight_precision p) {
  switch (p) {
    case weight_precision::fp32:
      return "fp32";
    case weight_precision::fp16:
      return "fp16";
    case weight_precision::int4:
      return "int4";
    case weight_precision::int4_asym:
      return "int4-asym";
    case weight_precision::int8:
      return "int8";
  }
  return "?";
}

constexpr std::optional<weight_precision> parse_weight_precision(std::string_view s) {
  for (auto p : {weight_precision::fp32, weight_precision::fp16, weight_precision::int4,
                 weight_precision::int4_asym, weight_precision::int8})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

constexpr bool is_integer(weight_precision p) {
  return p == weight_precision::int4 || p == weight_precision::int4_asym ||
         p == weight_precision::int8;
}

constexpr weight_type to_weight_type(weight_precision p) {
  return p == weight_precision::int4        ? weight_type::int4_sym
         : p == weight_precision::int4_asym ? weight_type::int4_asym
                                            : weight_type::int8_sym;
}

// The four module inputs, in the order of the tuple [M_qkv, M_o, M_u, M_d].
enum class module_input { qkv = 0, o = 1, u = 2, d = 3 };
inline constexpr std::array<std::string_view, 4> module_names = {"qkv", "o", "u", "d"};

// How the module inputs are represented:
//  - fp32: untouched (the reference path);
//  - fp16: rounded to FP16 (nearest even; the paper's FP16-activation baseline, W*A16), the
//    product in FP32 with the FP32 (rounded or dequantized) weights;
//  - anda: encoded to Anda with format{group, mantissa[module], round, nonfinite_policy}. With
//    integer weights the product is anda::gemm (the exact FP-INT GeMM, accumulate::fp32); with FP
//    weights it is the decoded activations times the FP32 weights (Eigen).
// Non-finite inputs: nonfinite::reject (default) turns an Inf/NaN module input (e.g. an FP16
// overflow) into an anda::error naming the layer and module; nonfinite::propagate lets it become
// NaN logits (and a NaN perplexity, which fails any tolerance test).
struct activation_precision {
  enum class kind { fp32, fp16, anda };
  kind mode = kind::fp32;
  std::array<int, 4> mantissa{16, 16, 16, 16};  // [M_qkv, M_o, M_u, M_d], used when mode == anda
  int group = 64;
  rounding round = rounding::truncate;
  nonfinite nonfinite_policy = nonfinite::reject;

  static activation_precision fp32() { return {}; }
  static activation_precision fp16() { return {kind::fp16}; }
  static activation_precision anda(std::array<int, 4> m, int group = 64,
                                   rounding round = rounding::truncate,
                                   nonfinite policy = nonfinite::reject) {
    activation_precision a{kind::anda, m, group, round, policy};
    a.validate();
    return a;
  }

  // The Anda format of one module input (mode == anda); throws format_error when invalid.
  format format_of(module_input m) const {
    return format{group, mantissa[static_cast<std::size_t>(m)], round, nonfinite_policy};
  }
  void validate() const {
    if (mode != kind::anda) return;
    for (int i = 0; i < 4; ++i) (void)format_of(static_cast<module_input>(i));
  }

  // "fp32", "fp16" or "anda[7,6,6,6] G64 truncate".
  std::string to_string() const {
    if (mode == kind::fp32) return "fp32";
    if (mode == kind::fp16) return "fp16";
    std::ostringstream s;
    s << "anda[" << mantissa[0] << ',' << mantissa[1] << ',' << mantissa[2] << ',' << mantissa[3]
      << "] G" << group << ' ' << ::anda::to_string(round);
    return s.str();
  }
};

// "7,6,6,6" or "[7,6,6,6]" -> {7, 6, 6, 6}: four integers, each a valid mantissa length (1..16).
inline std::array<int, 4> parse_tuple(std::string_view text) {
  std::string s{text};
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::array<int, 4> m{};
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t end = s.find(',', pos);
    const std::string item =
        s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw format_error("tuple \"" + std::string(text) +
                         "\": expected four mantissa lengths M_qkv,M_o,M_u,M_d (e.g. 7,6,6,6)");
    m[static_cast<std::size_t>(i)] = v;
    if ((i < 3) != (end != std::string::npos))
      throw format_error("tuple \"" + std::string(text) +
                         "\": expected exactly four mantissa lengths M_qkv,M_o,M_u,M_d");
    pos = end + 1;
  }
  for (int v : m)
    if (!is_supported_mantissa(v))
      throw format_error("tuple \"" + std::string(text) + "\": mantissa length " +
                         std::to_string(v) + " is out of range (use 1..16)");
  return m;
}

}  // namespace anda::model
