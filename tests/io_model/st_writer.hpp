// Test support: building safetensors images byte by byte (valid ones and ones that lie), writing
// files into a temporary directory, and a tiny LLaMA checkpoint to break in chosen ways.
#pragma once

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "anda/format/fp16.hpp"

namespace anda_test {

struct st_tensor {
  std::string dtype;  // "F16", "BF16", "F32", or anything to provoke errors
  std::vector<std::size_t> shape;
  std::vector<std::uint8_t> bytes;
};

inline std::vector<std::uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<std::uint8_t> out(v.size() * 4);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}
inline std::vector<std::uint8_t> u16_bytes(const std::vector<std::uint16_t>& v) {
  std::vector<std::uint8_t> out(v.size() * 2);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}
// Values exactly representable in FP16 (the tests choose them so).
inline std::vector<std::uint8_t> f16_bytes(const std::vector<float>& v) {
  std::vector<std::uint16_t> h;
  for (float x : v) h.push_back(anda::fp16::from_float(x).bits());
  return u16_bytes(h);
}

// The image of a file with the given header text and data section.
inline std::vector<std::uint8_t> st_image(const std::string& header,
                                          const std::vector<std::uint8_t>& data) {
  // Built element by element: GCC 12's -Warray-bounds misfires on insert() into a small vector.
  std::vector<std::uint8_t> out;
  out.reserve(8 + header.size() + data.size());
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  for (char c : header) out.push_back(static_cast<std::uint8_t>(c));
  for (auto b : data) out.push_back(b);
  return out;
}

// A well-formed file: tensors laid out contiguously in name order.
inline std::vector<std::uint8_t> st_build(const std::map<std::string, st_tensor>& tensors,
                                          const nlohmann::json& metadata = nullptr) {
  nlohmann::json h = nlohmann::json::object();
  if (!metadata.is_null()) h["__metadata__"] = metadata;
  std::vector<std::uint8_t> data;
  for (const auto& [name, t] : tensors) {
    h[name] = {{"dtype", t.dtype},
               {"shape", t.shape},
               {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data.insert(data.end(), t.bytes.begin(), t.bytes.end());
  }
  std::string text = h.dump();
  while (text.size() % 8 != 0) text += ' ';  // the padding writers use
  return st_image(text, data);
}

inline void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}
inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}
inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory under the system temp dir, removed at the end of the test.
class temp_dir {
 public:
  explicit temp_dir(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("anda_io_model_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A tiny LLaMA (hidden 8, 2 layers, 4 query heads of dim 4 sharing 2 KV heads, FFN 12, vocab 16)
// with F32 values value(name, i) that tests can predict.
inline nlohmann::json tiny_config() {
  return nlohmann::json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4,
    "intermediate_size": 12, "vocab_size": 16, "max_position_embeddings": 32,
    "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": false,
    "attention_bias": false, "mlp_bias": false, "rope_theta": 10000.0, "torch_dtype": "float32"})");
}

inline float tiny_value(const std::string& name, std::size_t i) {
  return static_cast<float>(std::hash<std::string>{}(name) % 97) + 0.25f * static_cast<float>(i);
}

inline st_tensor tiny_tensor(const std::string& name, std::vector<std::size_t> shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = tiny_value(name, i);
  return {"F32", std::move(shape), f32_bytes(v)};
}

inline std::map<std::string, st_tensor> tiny_tensors() {
  std::map<std::string, st_tensor> t;
  t["model.embed_tokens.weight"] = tiny_tensor("model.embed_tokens.weight", {16, 8});
  t["lm_head.weight"] = tiny_tensor("lm_head.weight", {16, 8});
  t["model.norm.weight"] = tiny_tensor("model.norm.weight", {8});
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* n : {"input_layernorm.weight", "post_attention_layernorm.weight"})
      t[p + n] = tiny_tensor(p + n, {8});
    t[p + "self_attn.q_proj.weight"] = tiny_tensor(p + "self_attn.q_proj.weight", {16, 8});
    t[p + "self_attn.k_proj.weight"] = tiny_tensor(p + "self_attn.k_proj.weight", {8, 8});
    t[p + "self_attn.v_proj.weight"] = tiny_tensor(p + "self_attn.v_proj.weight", {8, 8});
    t[p + "self_attn.o_proj.weight"] = tiny_tensor(p + "self_attn.o_proj.weight", {8, 16});
    t[p + "mlp.gate_proj.weight"] = tiny_tensor(p + "mlp.gate_proj.weight", {12, 8});
    t[p + "mlp.up_proj.weight"] = tiny_tensor(p + "mlp.up_proj.weight", {12, 8});
    t[p + "mlp.down_proj.weight"] = tiny_tensor(p + "mlp.down_proj.weight", {8, 12});
  }
  return t;
}

inline void write_tiny_model(const std::filesystem::path& dir, const nlohmann::json& config,
                             const std::map<std::string, st_tensor>& tensors) {
  write_text(dir / "config.json", config.dump(2));
  write_bytes(dir / "model.safetensors", st_build(tensors));
}

}  // namespace anda_test
