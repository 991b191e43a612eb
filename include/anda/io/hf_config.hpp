// The Hugging Face config.json of a LLaMA-family causal LM, read into anda::model::llama_config.
//
// config.json is a JSON object written by transformers, e.g.
//   {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 384,
//    "num_hidden_layers": 8, "num_attention_heads": 6, "num_key_value_heads": 6, "head_dim": 64,
//    "intermediate_size": 1024, "hidden_act": "silu", "rms_norm_eps": 1e-05,
//    "max_position_embeddings": 512, "vocab_size": 8192, "tie_word_embeddings": false,
//    "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "dtype": "float16"}
// Two spellings exist: transformers >= 5 writes "dtype" and "rope_parameters.rope_theta", older
// versions "torch_dtype" and a top-level "rope_theta"; both are read (if both appear they must
// agree).
//
// Required (an error names the missing key): model_type, hidden_size, num_hidden_layers,
// num_attention_heads, intermediate_size, vocab_size, max_position_embeddings, rms_norm_eps,
// hidden_act, and the dtype under either spelling. Defaults are those LlamaConfig documents, used
// only where a key is absent or null: num_key_value_heads = num_attention_heads (LLaMA-1 configs
// predate GQA), head_dim = hidden_size / num_attention_heads, rope_theta = 10000 (LLaMA-1 configs
// have none), tie_word_embeddings = false, no biases, no rope scaling.
//
// Refused with an error, never approximated: a model_type other than llama/mistral, an
// architecture other than LlamaForCausalLM/MistralForCausalLM, hidden_act other than silu, biases
// (attention_bias/mlp_bias true), rope scaling of any kind (rope_scaling or a rope_type other than
// "default", partial rotary factors), a Mistral sliding window shorter than the context,
// quantization_config, and a dtype other than float16/bfloat16/float32.
//
// For cost models (`anda whatif --config`, `anda search`), `read_hf_architecture` gives the
// shape of the network: a LLaMA/Mistral config goes through the very reader above (what `anda
// eval` accepts, with the same errors), an OPT config through the same strict key checks
// (model_type "opt"; hidden_size, num_hidden_layers, num_attention_heads, ffn_dim positive
// integers that fit in int; hidden_size a multiple of num_attention_heads).
#pragma once

#include <nlohmann/json.hpp>

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
    const std::string type = string_key("model_type");
    if (type != "llama" && type != "mistral")
      fail("model_type '" + type + "' is not supported (supported: llama, mistral)");
    if (present("architectures")) {
      const auto& a = j_["architectures"];
      if (!a.is_array() || a.size() != 1 || !a[0].is_string() ||
          (a[0] != "LlamaForCausalLM" && a[0] != "MistralForCausalLM"))
        fail("architectures " + a.dump() +
             " is not supported (supported: [\"LlamaForCausalLM\"], [\"MistralForCausalLM\"])");
    }
    if (present("quantization_config"))
      fail("quantized checkpoints (quantization_config) are not supported");

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
    for (const char* k : {"attention_bias", "mlp_bias"})
      if (boolean(k, false)) fail(std::string(k) + " = true is not supported (no biases)");
    c.tie_word_embeddings = boolean("tie_word_embeddings", false);
    c.rope_theta = rope_theta();
    c.dtype = dtype();

    if (type == "mistral" && present("sliding_window")) {
      const auto& w = j_["sliding_window"];
      const bool full = w.is_number_unsigned()
                            ? w.get<std::uint64_t>() >= std::uint64_t(c.max_positions)
                            : w.is_number_integer() && w.get<std::int64_t>() >= c.max_positions;
      if (!full)
        fail("sliding_window " + w.dump() +
             " is not supported (only null or >= max_position_embeddings, i.e. full attention)");
    }
    return c;
  }

  // An OPT config: the architecture fields only (nothing of it is loaded or run).
  void read_opt(int& hidden, int& layers, int& heads, int& ffn) const {
    if (!j_.is_object()) fail("the top level is not a JSON object");
    const std::string type = string_key("model_type");
    if (type != "opt") fail("model_type '" + type + "' is not opt");
    hidden = positive_int("hidden_size");
    layers = positive_int("num_hidden_layers");
    heads = positive_int("num_attention_heads");
    ffn = positive_int("ffn_dim");
    if (hidden % heads != 0)
      fail("hidden_size (" + std::to_string(hidden) +
           ") is not a multiple of num_attention_heads (" + std::to_string(heads) + ")");
  }

 private:
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

  float rope_theta() const {
    if (present("rope_scaling")) {
      const auto& s = j_["rope_scaling"];
      const bool is_default = s.is_object() && s.size() == 1 &&
                              ((s.contains("rope_type") && s["rope_type"] == "default") ||
                               (s.contains("type") && s["type"] == "default"));
      if (!is_default) fail("rope_scaling " + s.dump() + " is not supported (only plain RoPE)");
    }
    if (present("partial_rotary_factor") && j_["partial_rotary_factor"] != 1.0)
      fail("partial_rotary_factor " + j_["partial_rotary_factor"].dump() + " is not supported");
    double theta = 0;
    bool have = false;
    if (present("rope_parameters")) {
      const auto& p = j_["rope_parameters"];
      if (!p.is_object()) fail("'rope_parameters' must be an object, got " + p.dump());
      for (const auto& [k, v] : p.items()) {
        if (k == "rope_theta") {
          if (!finite_positive(v)) fail("rope_parameters.rope_theta must be a positive number");
          theta = v.get<double>();
          have = true;
        } else if (k == "rope_type") {
          if (v != "default")
            fail("rope_parameters.rope_type " + v.dump() +
                 " is not supported (only \"default\": plain RoPE)");
        } else if (k == "partial_rotary_factor") {
          if (v != 1.0)
            fail("rope_parameters.partial_rotary_factor " + v.dump() + " is not supported");
        } else {
          fail("rope_parameters." + k + " is not supported (only rope_theta and rope_type)");
        }
      }
    }
    if (present("rope_theta")) {
      const auto& v = j_["rope_theta"];
      if (!finite_positive(v)) fail("'rope_theta' must be a positive number, got " + v.dump());
      if (have && v.get<double>() != theta)
        fail("rope_theta " + v.dump() + " disagrees with rope_parameters.rope_theta");
      theta = v.get<double>();
      have = true;
    }
    return have ? static_cast<float>(theta) : 10000.0f;
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

// The shape of a decoder-only transformer, for cost models (see the top of this file).
struct hf_architecture {
  enum class kind { llama, opt };
  kind family = kind::llama;
  int hidden_size = 0, num_layers = 0, num_heads = 0, num_kv_heads = 0, head_dim = 0;
  int intermediate_size = 0;  // LLaMA intermediate_size, OPT ffn_dim
};

// From a parsed config.json; `name` is used in error messages.
inline hf_architecture hf_architecture_from_json(const nlohmann::json& j, const std::string& name) {
  hf_architecture a;
  if (j.is_object() && j.contains("model_type") && j["model_type"].is_string() &&
      j["model_type"] != "llama" && j["model_type"] != "mistral" && j["model_type"] != "opt")
    throw hf_config_error(name + ": model_type '" + j["model_type"].get<std::string>() +
                          "' is not supported (supported: llama, mistral, opt)");
  if (j.is_object() && j.contains("model_type") && j["model_type"] == "opt") {
    a.family = hf_architecture::kind::opt;
    detail::hf_config_reader{j, name}.read_opt(a.hidden_size, a.num_layers, a.num_heads,
                                               a.intermediate_size);
    a.num_kv_heads = a.num_heads;
    a.head_dim = a.hidden_size / a.num_heads;
    return a;
  }
  const model::llama_config c = llama_config_from_json(j, name);
  a.hidden_size = c.hidden_size;
  a.num_layers = c.num_layers;
  a.num_heads = c.num_heads;
  a.num_kv_heads = c.num_kv_heads;
  a.head_dim = c.head_dim;
  a.intermediate_size = c.intermediate_size;
  return a;
}

// Reads `path`: a config.json file, or a directory holding one.
inline hf_architecture read_hf_architecture(const std::filesystem::path& path) {
  const auto [text, name] = detail::read_config_text(path);
  return hf_architecture_from_json(detail::parse_config_json(text, name), name);
}

}  // namespace anda::io
