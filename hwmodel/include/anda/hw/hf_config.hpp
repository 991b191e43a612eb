// A Hugging Face `config.json` turned into a model_shape (LLaMA and OPT families).
// Why a template: hwmodel stays free of a JSON dependency; any JSON value type with
// `contains(key)`, `at(key)` and `get<T>()` (nlohmann::json, for one) works.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "workload.hpp"

namespace anda::hw {

template <class Json>
model_shape shape_from_hf_config(const Json& j, std::string name) {
  auto req = [&](const char* key) -> std::int64_t {
    if (!j.contains(key))
      throw std::runtime_error(std::string("config.json lacks \"") + key + "\"");
    const auto v = j.at(key).template get<std::int64_t>();
    if (v <= 0) throw std::runtime_error(std::string("config.json: \"") + key + "\" must be > 0");
    return v;
  };
  if (!j.contains("model_type")) throw std::runtime_error("config.json lacks \"model_type\"");
  const auto type = j.at("model_type").template get<std::string>();
  model_shape s;
  s.name = std::move(name);
  s.d_model = req("hidden_size");
  s.layers = req("num_hidden_layers");
  s.heads = req("num_attention_heads");
  if (type == "llama" || type == "mistral") {
    s.fam = family::llama;
    s.ffn = req("intermediate_size");
    // Grouped-query attention: num_key_value_heads (absent: multi-head, = num_attention_heads).
    // Absent or null keys take HF's defaults, as the checkpoint loader does.
    const auto given = [&](const char* key) { return j.contains(key) && !j.at(key).is_null(); };
    s.kv_heads = given("num_key_value_heads") ? req("num_key_value_heads") : s.heads;
    s.head_dim = given("head_dim") ? req("head_dim") : s.d_model / s.heads;
  } else if (type == "opt") {
    s.fam = family::opt;
    s.ffn = req("ffn_dim");
    s.kv_heads = s.heads;
    s.head_dim = s.d_model / s.heads;
    // OPT-350M projects embeddings to a different width; its layers still run at hidden_size.
  } else {
    throw std::runtime_error("config.json: model_type \"" + type +
                             "\" is not supported (llama, mistral or opt)");
  }
  if (s.heads % s.kv_heads != 0)
    throw std::runtime_error(
        "config.json: num_attention_heads is not a multiple of "
        "num_key_value_heads");
  return s;
}

}  // namespace anda::hw
