// The Hugging Face config.json of a decoder-only causal LM (LLaMA-1/2/3, Mistral, Qwen2, Qwen3,
// OPT), read into anda::model::llama_config. This is the one config reader: `anda eval`, `anda
// search` and `anda whatif --config` (read_hf_architecture) all go through it.
//
// config.json is a JSON object written by transformers, e.g.
//   {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 384,
//    "num_hidden_layers": 8, "num_attention_heads": 6, "num_key_value_heads": 6, "head_dim": 64,
//    "intermediate_size": 1024, "hidden_act": "silu", "rms_norm_eps": 1e-05,
//    "max_position_embeddings": 512, "vocab_size": 8192, "tie_word_embeddings": false,
//    "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "dtype": "float16"}
// Two spellings exist: transformers >= 5 writes "dtype" and "rope_parameters", older versions
// "torch_dtype", "rope_scaling" and a top-level "rope_theta"; both are read (if both appear they
// must agree).
//
// The family comes from model_type (llama, mistral, qwen2, qwen3, opt); "architectures", when
// present, must be that family's ...ForCausalLM class. Anything else is refused by name.
//
// LLaMA-like families. Required (an error names the missing key): hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size, vocab_size, max_position_embeddings,
// rms_norm_eps, hidden_act, and the dtype under either spelling. Defaults are those LlamaConfig
// documents, used only where a key is absent or null: num_key_value_heads = num_attention_heads,
// head_dim = hidden_size / num_attention_heads, rope_theta = 10000, tie_word_embeddings = false,
// no biases, no rope scaling. Rope types: "default", "linear" (factor) and "llama3" (factor,
// low_freq_factor, high_freq_factor, original_max_position_embeddings); any other is refused by
// name. Qwen2 has q/k/v biases, Qwen3 per-head q/k RMSNorms. Mistral's sliding_window is kept and
// checked against each window by the model (a window no longer than it is plain causal
// attention).
//
// OPT: hidden_size, num_hidden_layers, num_attention_heads, ffn_dim, vocab_size,
// max_position_embeddings, activation_function ("relu"), the dtype; do_layer_norm_before
// (default true; false is opt-350m's post-LN), word_embed_proj_dim (default hidden_size),
// tie_word_embeddings (default true).
//
// Refused with an error, never approximated: hidden_act other than silu (OPT: relu), LLaMA
// attention_bias/mlp_bias, OPT enable_bias/layer_norm_elementwise_affine false or
// _remove_final_layer_norm, other rope types, partial rotary factors, Qwen sliding windows
// (use_sliding_window, layer_types other than full_attention), quantization_config, and a dtype
// other than float16/bfloat16/float32.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "anda/format/error.hpp"
#include "anda/io/read_file.hpp"
#include "anda/model/llama_weights.hpp"

namespace anda::io {

// A config.json that is malformed, lacks a required key or asks for something unsupported; the
// message names the file and the key.
class hf_config_error : public error {
 public:
  using error::error;
};

namespace detail {

class hf_config_reader {
 public:
  hf_config_reader(const nlohmann::json& j, const std::string& name) : j_{j}, name_{name} {}

  model::llama_config read() const {
    if (!j_.is_object()) fail("the top level is not a JSON object");
    const model::model_family family = read_family();
    if (present("quantization_config"))
      fail("quantized checkpoints (quantization_config) are not supported");
    model::llama_config c =
        family == model::model_family::opt ? read_opt() : read_llama_like(family);
    c.family = family;
    c.dtype = dtype();
    return c;
  }

 private:
  // The family from model_type; architectures, when present, must name its causal-LM class.
  model::model_family read_family() const {
    static constexpr std::pair<model::model_family, const char*> classes[] = {
        {model::model_family::llama, "LlamaForCausalLM"},
        {model::model_family::mistral, "MistralForCausalLM"},
        {model::model_family::qwen2, "Qwen2ForCausalLM"},
        {model::model_family::qwen3, "Qwen3ForCausalLM"},
        {model::model_family::opt, "OPTForCausalLM"}};
    const std::string type = string_key("model_type");
    for (const auto& [family, cls] : classes) {
      if (type != model::to_string(family)) continue;
      if (present("architectures")) {
        const auto& a = j_["architectures"];
        if (!a.is_array() || a.size() != 1 || !a[0].is_string() || a[0] != cls)
          fail("architectures " + a.dump() + " is not supported for model_type '" + type +
               "' (supported: [\"" + cls + "\"])");
      }
      return family;
    }
    fail("model_type '" + type +
         "' is not supported (supported: llama, mistral, qwen2, qwen3, opt)");
  }

  // LLaMA-1/2/3, Mistral, Qwen2, Qwen3: RMSNorm, RoPE, SwiGLU, optional GQA.
  model::llama_config read_llama_like(model::model_family family) const {
    model::llama_config c;
    c.hidden_size = positive_int("hidden_size");
    c.num_layers = positive_int("num_hidden_layers");
    c.num_heads = positive_int("num_attention_heads");
    c.intermediate_size = positive_int("intermediate_size");
    c.vocab_size = positive_int("vocab_size");
    c.max_positions = positive_int("max_position_embeddings");
    c.num_kv_heads =
        present("num_key_value_heads") ? positive_int("num_key_value_heads") : c.num_heads;
    if (c.num_heads % c.num_kv_heads != 0)
      fail("num_attention_heads (" + std::to_string(c.num_heads) +
           ") is not a multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
    if (present("head_dim")) {
      c.head_dim = positive_int("head_dim");
    } else {
      if (c.hidden_size % c.num_heads != 0)
        fail("hidden_size (" + std::to_string(c.hidden_size) +
             ") is not a multiple of num_attention_heads and head_dim is not given");
      c.head_dim = c.hidden_size / c.num_heads;
    }
    // q_proj is [heads * head_dim, hidden]: the product must be a sane Eigen size.
    if (std::int64_t{c.num_heads} * c.head_dim > std::numeric_limits<int>::max())
      fail("num_attention_heads * head_dim is too large");

    c.rms_norm_eps = positive_float("rms_norm_eps");
    const std::string act = string_key("hidden_act");
    if (act != "silu") fail("hidden_act '" + act + "' is not supported (supported: silu)");
    // Qwen2's q/k/v always carry biases (and o_proj none); elsewhere a bias is refused.
    for (const char* k : {"attention_bias", "mlp_bias"})
      if (boolean(k, false)) fail(std::string(k) + " = true is not supported (no biases)");
    c.qkv_bias = family == model::model_family::qwen2;
    c.qk_norm = family == model::model_family::qwen3;
    c.tie_word_embeddings = boolean("tie_word_embeddings", false);
    read_rope(c);

    if (family == model::model_family::mistral && present("sliding_window")) {
      // Kept, and checked against each window by the model: a window no longer than it is
      // plain causal attention.
      const auto& w = j_["sliding_window"];
      if (!w.is_number_integer() || w.get<std::int64_t>() < 1)
        fail("'sliding_window' must be a positive integer or null, got " + w.dump());
      c.sliding_window =
          int(std::min<std::int64_t>(w.get<std::int64_t>(), std::numeric_limits<int>::max()));
    }
    if (family == model::model_family::qwen2 || family == model::model_family::qwen3) {
      if (boolean("use_sliding_window", false))
        fail("use_sliding_window = true is not supported (sliding-window attention)");
      if (present("layer_types")) {
        const auto& t = j_["layer_types"];
        if (!t.is_array()) fail("'layer_types' must be an array, got " + t.dump());
        for (const auto& v : t)
          if (v != "full_attention")
            fail("layer_types entry " + v.dump() + " is not supported (only \"full_attention\")");
      }
    }
    return c;
  }

  // OPT (OPTForCausalLM): learned positions, LayerNorm with biases, ReLU MLP, biases everywhere.
  model::llama_config read_opt() const {
    model::llama_config c;
    c.hidden_size = positive_int("hidden_size");
    c.num_layers = positive_int("num_hidden_layers");
    c.num_heads = positive_int("num_attention_heads");
    c.intermediate_size = positive_int("ffn_dim");
    c.vocab_size = positive_int("vocab_size");
    c.max_positions = positive_int("max_position_embeddings");
    if (c.hidden_size % c.num_heads != 0)
      fail("hidden_size (" + std::to_string(c.hidden_size) +
           ") is not a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
    c.num_kv_heads = c.num_heads;
    c.head_dim = c.hidden_size / c.num_heads;
    const std::string act = string_key("activation_function");
    if (act != "relu") fail("activation_function '" + act + "' is not supported (supported: relu)");
    if (!boolean("enable_bias", true)) fail("enable_bias = false is not supported");
    if (!boolean("layer_norm_elementwise_affine", true))
      fail("layer_norm_elementwise_affine = false is not supported");
    if (boolean("_remove_final_layer_norm", false))
      fail("_remove_final_layer_norm = true is not supported");
    c.post_layer_norm = !boolean("do_layer_norm_before", true);
    c.word_embed_dim =
        present("word_embed_proj_dim") ? positive_int("word_embed_proj_dim") : c.hidden_size;
    c.tie_word_embeddings = boolean("tie_word_embeddings", true);
    c.rms_norm_eps = 1e-5f;  // nn.LayerNorm's default, which OPT uses
    c.qkv_bias = true;
    return c;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw hf_config_error(name_ + ": " + what);
  }
  bool present(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
  const nlohmann::json& required(const char* key) const {
    if (!present(key)) fail("missing required key '" + std::string(key) + "'");
    return j_[key];
  }
  std::string string_key(const char* key) const {
    const auto& v = required(key);
    if (!v.is_string()) fail(std::string("'") + key + "' must be a string, got " + v.dump());
    return v.get<std::string>();
  }
  int positive_int(const char* key) const {
    const auto& v = required(key);
    // Non-negative JSON integers parse as unsigned; a signed one here is negative.
    const bool ok = v.is_number_unsigned()
                        ? v.get<std::uint64_t>() >= 1 &&
                              v.get<std::uint64_t>() <= std::numeric_limits<int>::max()
                        : v.is_number_integer() && v.get<std::int64_t>() >= 1 &&
                              v.get<std::int64_t>() <= std::numeric_limits<int>::max();
    if (!ok)
      fail(std::string("'") + key + "' must be a positive integer that fits in int, got " +
           v.dump());
    return static_cast<int>(v.get<std::int64_t>());
  }
  static bool finite_positive(const nlohmann::json& v) {
    return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0;
  }
  float positive_float(const char* key) const {
    const auto& v = required(key);
    if (!finite_positive(v))
      fail(std::string("'") + key + "' must be a positive number, got " + v.dump());
    return static_cast<float>(v.get<double>());
  }
  bool boolean(const char* key, bool absent) const {
    if (!present(key)) return absent;
    const auto& v = j_[key];
    if (!v.is_boolean()) fail(std::string("'") + key + "' must be true or false, got " + v.dump());
    return v.get<bool>();
  }

  // rope_theta and the rope scaling, from rope_parameters (transformers >= 5), rope_scaling and
  // a top-level rope_theta (older); where two give the same quantity they must agree.
  void read_rope(model::llama_config& c) const {
    if (present("partial_rotary_factor") && j_["partial_rotary_factor"] != 1.0)
      fail("partial_rotary_factor " + j_["partial_rotary_factor"].dump() + " is not supported");
    double theta = 0;
    bool have_theta = false, have_type = false;
    for (const char* key : {"rope_parameters", "rope_scaling"}) {
      if (!present(key)) continue;
      const auto& p = j_[key];
      const std::string k = key;
      if (!p.is_object()) fail("'" + k + "' must be an object, got " + p.dump());
      // The type first: it decides which other keys belong.
      std::string type = "default";
      for (const char* t : {"rope_type", "type"})
        if (p.contains(t)) {
          if (!p[t].is_string()) fail(k + "." + t + " must be a string, got " + p[t].dump());
          type = p[t].get<std::string>();
        }
      model::rope_scaling scaling = model::rope_scaling::none;
      if (type == "linear") {
        scaling = model::rope_scaling::linear;
      } else if (type == "llama3") {
        scaling = model::rope_scaling::llama3;
      } else if (type != "default") {
        fail(k + ".rope_type " + nlohmann::json(type).dump() +
             " is not supported (supported: \"default\", \"linear\", \"llama3\")");
      }
      if (have_type && scaling != c.rope_type)
        fail("rope_parameters and rope_scaling give different rope types");
      have_type = have_type || scaling != model::rope_scaling::none;
      c.rope_type = scaling;
      auto number = [&](const char* name) {
        if (!p.contains(name) || !finite_positive(p[name]))
          fail(k + "." + name + " must be a positive number (rope_type \"" + type + "\")");
        return static_cast<float>(p[name].get<double>());
      };
      for (const auto& [name, v] : p.items()) {
        const bool scaled = scaling != model::rope_scaling::none;
        const bool llama3 = scaling == model::rope_scaling::llama3;
        if (name == "rope_type" || name == "type") continue;
        if (name == "rope_theta") {
          if (!finite_positive(v)) fail(k + ".rope_theta must be a positive number");
          theta = v.get<double>();
          have_theta = true;
        } else if (name == "partial_rotary_factor") {
          if (v != 1.0) fail(k + ".partial_rotary_factor " + v.dump() + " is not supported");
        } else if (!(scaled && name == "factor") &&
                   !(llama3 && (name == "low_freq_factor" || name == "high_freq_factor" ||
                                name == "original_max_position_embeddings"))) {
          fail(k + "." + name + " is not supported with rope_type \"" + type + "\"");
        }
      }
      if (scaling != model::rope_scaling::none) c.rope_factor = number("factor");
      if (scaling == model::rope_scaling::llama3) {
        c.rope_low_freq_factor = number("low_freq_factor");
        c.rope_high_freq_factor = number("high_freq_factor");
        if (!(c.rope_high_freq_factor > c.rope_low_freq_factor))
          fail(k + ".high_freq_factor must be above low_freq_factor");
        const auto& o = p.contains("original_max_position_embeddings")
                            ? p["original_max_position_embeddings"]
                            : nlohmann::json();
        if (!o.is_number_integer() || o.get<std::int64_t>() < 1 ||
            o.get<std::int64_t>() > std::numeric_limits<int>::max())
          fail(k + ".original_max_position_embeddings must be a positive integer, got " + o.dump());
        c.rope_original_max_positions = int(o.get<std::int64_t>());
      }
    }
    if (present("rope_theta")) {
      const auto& v = j_["rope_theta"];
      if (!finite_positive(v)) fail("'rope_theta' must be a positive number, got " + v.dump());
      if (have_theta && v.get<double>() != theta)
        fail("rope_theta " + v.dump() + " disagrees with rope_parameters.rope_theta");
      theta = v.get<double>();
      have_theta = true;
    }
    c.rope_theta = have_theta ? static_cast<float>(theta) : 10000.0f;
  }

  std::string dtype() const {
    std::string d;
    for (const char* k : {"dtype", "torch_dtype"}) {
      if (!present(k)) continue;
      const auto& v = j_[k];
      if (!v.is_string()) fail(std::string("'") + k + "' must be a string, got " + v.dump());
      if (!d.empty() && d != v.get<std::string>())
        fail("dtype '" + d + "' and torch_dtype '" + v.get<std::string>() + "' disagree");
      d = v.get<std::string>();
    }
    if (d.empty()) fail("missing required key 'dtype' (or 'torch_dtype')");
    if (d != "float16" && d != "bfloat16" && d != "float32")
      fail("dtype '" + d + "' is not supported (supported: float16, bfloat16, float32)");
    return d;
  }

  const nlohmann::json& j_;
  const std::string& name_;
};

}  // namespace detail

// Reads a parsed config.json; `name` is used in error messages.
inline model::llama_config llama_config_from_json(const nlohmann::json& j,
                                                  const std::string& name) {
  return detail::hf_config_reader{j, name}.read();
}

// Parses config.json text; `name` is used in error messages.
inline model::llama_config parse_llama_config(std::string_view text, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw hf_config_error(name + ": invalid JSON (" + e.what() + ")");
  }
  return llama_config_from_json(j, name);
}

namespace detail {
// config.json of `path` (the file, or a directory holding one) and its name for messages: a
// regular file of at most 16 MiB (read_file.hpp), the path named in every error.
inline std::pair<std::string, std::string> read_config_text(const std::filesystem::path& path) {
  std::error_code ec;
  const auto file = std::filesystem::is_directory(path, ec) ? path / "config.json" : path;
  try {
    return {read_file(file, std::uintmax_t{16} << 20, "config.json"), file.string()};
  } catch (const file_error& e) {
    throw hf_config_error(e.what());
  }
}

inline nlohmann::json parse_config_json(std::string_view text, const std::string& name) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw hf_config_error(name + ": invalid JSON (" + e.what() + ")");
  }
}
}  // namespace detail

// Reads `path`: a config.json file, or a directory holding one.
inline model::llama_config read_llama_config(const std::filesystem::path& path) {
  const auto [text, name] = detail::read_config_text(path);
  return parse_llama_config(std::string_view{text}, name);
}

// The shape of a decoder-only transformer, for cost models (see the top of this file): what
// the model runs, read by the reader above. kind::llama covers every gated-MLP family (LLaMA,
// Mistral, Qwen2, Qwen3: gate and up are one GeMM of 2 x intermediate_size outputs).
struct hf_architecture {
  enum class kind { llama, opt };
  kind family = kind::llama;
  int hidden_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0, head_dim = 0;
  int intermediate_size = 0;  // LLaMA intermediate_size, OPT ffn_dim
};

inline hf_architecture architecture_of(const model::llama_config& c) {
  hf_architecture a;
  a.family = c.is_opt() ? hf_architecture::kind::opt : hf_architecture::kind::llama;
  a.hidden_size = c.hidden_size;
  a.num_layers = c.num_layers;
  a.num_heads = c.num_heads;
  a.num_kv_heads = c.num_kv_heads;
  a.head_dim = c.head_dim;
  a.intermediate_size = c.intermediate_size;
  return a;
}

// From a parsed config.json; `name` is used in error messages.
inline hf_architecture hf_architecture_from_json(const nlohmann::json& j, const std::string& name) {
  return architecture_of(llama_config_from_json(j, name));
}

// Reads `path`: a config.json file, or a directory holding one.
inline hf_architecture read_hf_architecture(const std::filesystem::path& path) {
  const auto [text, name] = detail::read_config_text(path);
  return hf_architecture_from_json(detail::parse_config_json(text, name), name);
}

}  // namespace anda::io
