// config.json reader: both test-data configs (new and old spellings), the documented defaults, and
// one clear error per missing key or unsupported option.
#include <catch2/catch.hpp>

#include <anda/io/hf_config.hpp>

#include <fstream>
#include <string>

#include "st_writer.hpp"

using anda::io::hf_config_error;
using anda::io::llama_config_from_json;
using anda::io::parse_llama_config;
using anda::io::read_llama_config;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::filesystem::path data = ANDA_TEST_DATA_DIR;

std::string config_error(const json& j) {
  try {
    llama_config_from_json(j, "config.json");
  } catch (const hf_config_error& e) {
    return e.what();
  }
  return "";
}

json with(json j, const std::string& key, const json& value) {
  j[key] = value;
  return j;
}

}  // namespace

TEST_CASE("hf_config: tiny-llama-en (dtype, rope_parameters)", "[hf_config][data]") {
  const auto c = read_llama_config(data / "models/tiny-llama-en");
  CHECK(c.hidden_size == 384);
  CHECK(c.num_layers == 8);
  CHECK(c.num_heads == 6);
  CHECK(c.num_kv_heads == 6);
  CHECK(c.head_dim == 64);
  CHECK(c.intermediate_size == 1024);
  CHECK(c.vocab_size == 8192);
  CHECK(c.max_positions == 512);
  CHECK(c.rms_norm_eps == 1e-5f);
  CHECK(c.rope_theta == 10000.0f);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.dtype == "float16");
}

TEST_CASE("hf_config: tiny-gqa-random (torch_dtype, top-level rope_theta, GQA, tied)",
          "[hf_config][data]") {
  const auto c = read_llama_config(data / "models/tiny-gqa-random/config.json");
  CHECK(c.hidden_size == 256);
  CHECK(c.num_layers == 2);
  CHECK(c.num_heads == 8);
  CHECK(c.num_kv_heads == 2);
  CHECK(c.head_dim == 32);
  CHECK(c.intermediate_size == 704);
  CHECK(c.vocab_size == 512);
  CHECK(c.max_positions == 256);
  CHECK(c.rms_norm_eps == 1e-6f);
  CHECK(c.rope_theta == 500000.0f);
  CHECK(c.tie_word_embeddings);
  CHECK(c.dtype == "bfloat16");
}

TEST_CASE("hf_config: documented defaults for absent keys", "[hf_config]") {
  json j = anda_test::tiny_config();
  for (const char* k : {"num_key_value_heads", "head_dim", "rope_theta", "tie_word_embeddings",
                        "attention_bias", "mlp_bias", "architectures"})
    j.erase(k);
  j["hidden_size"] = 12;
  j["rope_scaling"] = nullptr;
  const auto c = llama_config_from_json(j, "config.json");
  CHECK(c.num_kv_heads == 4);  // = num_attention_heads
  CHECK(c.head_dim == 3);      // = hidden_size / num_attention_heads
  CHECK(c.rope_theta == 10000.0f);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.dtype == "float32");
  // rope_scaling that says "default" and a consistent double spelling are fine.
  CHECK(config_error(with(j, "rope_scaling", {{"rope_type", "default"}})).empty());
  CHECK(config_error(with(with(j, "dtype", "float32"), "torch_dtype", "float32")).empty());
  CHECK(
      config_error(with(j, "rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}}))
          .empty());
  CHECK(config_error(with(j, "model_type", "mistral")).empty());
}

TEST_CASE("hf_config: each missing required key is named", "[hf_config]") {
  for (const char* k : {"model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                        "intermediate_size", "vocab_size", "max_position_embeddings",
                        "rms_norm_eps", "hidden_act"}) {
    INFO(k);
    json j = anda_test::tiny_config();
    j.erase(k);
    CHECK(config_error(j) == std::string("config.json: missing required key '") + k + "'");
    j[k] = nullptr;
    CHECK_THAT(config_error(j), Contains(std::string("missing required key '") + k + "'"));
  }
  json j = anda_test::tiny_config();
  j.erase("torch_dtype");
  CHECK_THAT(config_error(j), Contains("missing required key 'dtype' (or 'torch_dtype')"));
}

TEST_CASE("hf_config: unsupported options and bad values are clear errors", "[hf_config]") {
  const json base = anda_test::tiny_config();
  REQUIRE(config_error(base).empty());
  CHECK_THAT(config_error(with(base, "rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}})),
             Contains("rope_scaling.low_freq_factor must be a positive number (rope_type "
                      "\"llama3\")"));
  CHECK_THAT(config_error(with(base, "rope_scaling", {{"type", "dynamic"}, {"factor", 2.0}})),
             Contains("rope_scaling.rope_type \"dynamic\" is not supported (supported: "
                      "\"default\", \"linear\", \"llama3\")"));
  CHECK_THAT(config_error(with(base, "rope_scaling", {{"type", "linear"}})),
             Contains("rope_scaling.factor must be a positive number"));
  CHECK_THAT(config_error(with(base, "rope_scaling",
                               {{"type", "linear"}, {"factor", 2.0}, {"low_freq_factor", 1.0}})),
             Contains("rope_scaling.low_freq_factor is not supported with rope_type \"linear\""));
  CHECK_THAT(
      config_error(with(base, "rope_parameters", {{"rope_theta", 1e4}, {"rope_type", "yarn"}})),
      Contains("rope_parameters.rope_type \"yarn\" is not supported"));
  CHECK_THAT(config_error(with(base, "rope_parameters", {{"rope_theta", 1e4}, {"factor", 4.0}})),
             Contains("rope_parameters.factor is not supported"));
  CHECK_THAT(config_error(with(base, "rope_parameters", {{"rope_theta", 5e5}})),
             Contains("rope_theta 10000.0 disagrees with rope_parameters.rope_theta"));
  CHECK_THAT(config_error(with(base, "rope_theta", -1.0)),
             Contains("'rope_theta' must be a positive number"));
  CHECK_THAT(config_error(with(base, "partial_rotary_factor", 0.5)),
             Contains("partial_rotary_factor 0.5"));
  CHECK_THAT(config_error(with(base, "hidden_act", "gelu")),
             Contains("hidden_act 'gelu' is not supported (supported: silu)"));
  CHECK_THAT(config_error(with(base, "attention_bias", true)),
             Contains("attention_bias = true is not supported"));
  CHECK_THAT(config_error(with(base, "mlp_bias", true)),
             Contains("mlp_bias = true is not supported"));
  CHECK_THAT(config_error(with(base, "mlp_bias", "no")),
             Contains("'mlp_bias' must be true or false"));
  CHECK_THAT(config_error(with(base, "model_type", "gpt2")),
             Contains("model_type 'gpt2' is not supported"));
  CHECK_THAT(config_error(with(base, "architectures", {"LlamaForSequenceClassification"})),
             Contains("architectures [\"LlamaForSequenceClassification\"] is not supported"));
  CHECK_THAT(config_error(with(base, "torch_dtype", "float8_e4m3fn")),
             Contains("dtype 'float8_e4m3fn' is not supported"));
  CHECK_THAT(config_error(with(base, "dtype", "bfloat16")),
             Contains("dtype 'bfloat16' and torch_dtype 'float32' disagree"));
  CHECK_THAT(config_error(with(base, "num_key_value_heads", 3)),
             Contains("num_attention_heads (4) is not a multiple of num_key_value_heads (3)"));
  CHECK_THAT(config_error(with(base, "hidden_size", -8)),
             Contains("'hidden_size' must be a positive integer that fits in int, got -8"));
  CHECK_THAT(config_error(with(base, "hidden_size", 0)),
             Contains("'hidden_size' must be a positive"));
  CHECK_THAT(config_error(with(base, "vocab_size", 8e3)),
             Contains("'vocab_size' must be a positive integer"));
  CHECK_THAT(config_error(with(base, "vocab_size", 4294967296ULL)), Contains("fits in int"));
  CHECK_THAT(config_error(with(base, "num_hidden_layers", "2")),
             Contains("'num_hidden_layers' must be"));
  CHECK_THAT(config_error(with(base, "rms_norm_eps", 0.0)),
             Contains("'rms_norm_eps' must be a positive number"));
  CHECK_THAT(config_error(with(base, "quantization_config", {{"quant_method", "gptq"}})),
             Contains("quantized checkpoints"));
  json nohd = base;
  nohd.erase("head_dim");
  CHECK_THAT(config_error(with(nohd, "hidden_size", 10)),
             Contains("hidden_size (10) is not a multiple of num_attention_heads"));
  json mistral = with(base, "model_type", "mistral");
  mistral.erase("architectures");
  CHECK(config_error(with(mistral, "sliding_window", nullptr)).empty());
  CHECK(config_error(with(mistral, "sliding_window", 4096)).empty());
  // A shorter window is kept: the model refuses windows longer than it (test_families.cpp).
  CHECK(llama_config_from_json(with(mistral, "sliding_window", 16), "c").sliding_window == 16);
  CHECK_THAT(config_error(with(mistral, "sliding_window", 0)),
             Contains("'sliding_window' must be a positive integer or null, got 0"));
  CHECK_THAT(config_error(json::array()), Contains("the top level is not a JSON object"));
}

TEST_CASE("hf_config: text and files", "[hf_config]") {
  const std::string text = anda_test::tiny_config().dump();
  CHECK(parse_llama_config(text, "text").vocab_size == 16);
  CHECK_THROWS_WITH(parse_llama_config(R"({"model_type": "llama"})", "text"),
                    "text: missing required key 'hidden_size'");
  anda_test::temp_dir dir("config");
  anda_test::write_text(dir / "config.json", R"({"model_type": "llama", )");
  CHECK_THROWS_WITH(read_llama_config(dir.path()), Contains("config.json: invalid JSON"));
  CHECK_THROWS_AS(read_llama_config(dir.path()), anda::error);
  CHECK_THROWS_WITH(read_llama_config(dir / "missing.json"), Contains("missing.json: cannot open"));
}

// Issue 15, item 5: the shape for cost models (`anda whatif --config`, `anda search`) comes from
// the same strict reader; OPT configs through the same key checks.
TEST_CASE("hf_config: the architecture of LLaMA (GQA) and OPT configs", "[hf_config]") {
  using anda::io::hf_architecture;
  using anda::io::hf_architecture_from_json;
  // meta-llama/Meta-Llama-3-8B/config.json (the keys read).
  const json llama3 = json::parse(R"({"architectures": ["LlamaForCausalLM"],
      "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
      "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
      "vocab_size": 128256, "max_position_embeddings": 8192, "rms_norm_eps": 1e-05,
      "hidden_act": "silu", "rope_theta": 500000.0, "torch_dtype": "bfloat16"})");
  const auto a = hf_architecture_from_json(llama3, "l3");
  CHECK(a.family == hf_architecture::kind::llama);
  CHECK(a.hidden_size == 4096);
  CHECK(a.intermediate_size == 14336);
  CHECK(a.num_layers == 32);
  CHECK(a.num_heads == 32);
  CHECK(a.num_kv_heads == 8);
  CHECK(a.head_dim == 128);
  // facebook/opt-1.3b/config.json (the keys read).
  const json opt = json::parse(R"({"architectures": ["OPTForCausalLM"], "model_type": "opt",
      "hidden_size": 2048, "ffn_dim": 8192, "num_hidden_layers": 24, "num_attention_heads": 32,
      "vocab_size": 50272, "max_position_embeddings": 2048, "activation_function": "relu",
      "do_layer_norm_before": true, "word_embed_proj_dim": 2048, "torch_dtype": "float16"})");
  const auto o = hf_architecture_from_json(opt, "o");
  CHECK(o.family == hf_architecture::kind::opt);
  CHECK(o.intermediate_size == 8192);
  CHECK(o.num_kv_heads == 32);
  CHECK(o.head_dim == 64);
  // Errors name the file and the key; a LLaMA config is refused exactly as by the loader.
  const auto error_of = [](const json& j) -> std::string {
    try {
      hf_architecture_from_json(j, "config.json");
    } catch (const hf_config_error& e) {
      return e.what();
    }
    return "";
  };
  CHECK_THAT(error_of(json::parse(R"({"model_type": "gpt2"})")),
             Contains("config.json: model_type 'gpt2' is not supported"));
  CHECK_THAT(error_of(with(llama3, "hidden_size", 384.7)), Contains("'hidden_size'"));
  CHECK(error_of(with(llama3, "hidden_size", 1e30)) ==
        config_error(with(llama3, "hidden_size", 1e30)));
  CHECK_THAT(error_of(with(opt, "ffn_dim", "8192")),
             Contains("'ffn_dim' must be a positive integer"));
  CHECK_THAT(error_of(with(opt, "num_attention_heads", 5)),
             Contains("hidden_size (2048) is not a multiple of num_attention_heads (5)"));
  CHECK_THAT(error_of(json::parse(R"({"model_type": "opt", "hidden_size": 64})")),
             Contains("missing required key 'num_hidden_layers'"));
}

// Issue 13: the families' configs (tests/data/models/families) and one refusal per feature that
// is not implemented, each naming it.
TEST_CASE("hf_config: the families' configs and their unsupported features", "[hf_config][data]") {
  using anda::model::model_family;
  using anda::model::rope_scaling;
  const auto dir = data / "models/families";
  const auto llama3 = read_llama_config(dir / "llama3");
  CHECK(llama3.family == model_family::llama);
  CHECK(llama3.rope_type == rope_scaling::llama3);
  CHECK(llama3.rope_factor == 8.0f);
  CHECK(llama3.rope_low_freq_factor == 1.0f);
  CHECK(llama3.rope_high_freq_factor == 4.0f);
  CHECK(llama3.rope_original_max_positions == 32);
  CHECK(llama3.rope_theta == 500000.0f);
  CHECK(llama3.head_dim == 32);
  const auto qwen2 = read_llama_config(dir / "qwen2");
  CHECK(qwen2.family == model_family::qwen2);
  CHECK(qwen2.qkv_bias);
  CHECK(!qwen2.qk_norm);
  const auto qwen3 = read_llama_config(dir / "qwen3");
  CHECK(qwen3.family == model_family::qwen3);
  CHECK(qwen3.qk_norm);
  CHECK(qwen3.head_dim == 48);
  const auto mistral = read_llama_config(dir / "mistral");
  CHECK(mistral.family == model_family::mistral);
  CHECK(mistral.sliding_window == 0);
  CHECK(mistral.num_kv_heads == 1);
  const auto opt = read_llama_config(dir / "opt");
  CHECK(opt.family == model_family::opt);
  CHECK(opt.intermediate_size == 512);
  CHECK(opt.tie_word_embeddings);
  CHECK(!opt.post_layer_norm);
  CHECK(opt.embed_dim() == 128);
  const auto opt350 = read_llama_config(dir / "opt350");
  CHECK(opt350.post_layer_norm);
  CHECK(opt350.embed_dim() == 64);

  const auto json_of = [&](const char* name) {
    std::ifstream f(dir / name / "config.json");
    return json::parse(f);
  };
  const json l3 = json_of("llama3"), q2 = json_of("qwen2"), q3 = json_of("qwen3"),
             o = json_of("opt");
  for (const json& j : {l3, q2, q3, o, json_of("mistral"), json_of("opt350")})
    CHECK(config_error(j).empty());
  CHECK_THAT(config_error(with(l3, "model_type", "gpt_neox")),
             Contains("model_type 'gpt_neox' is not supported (supported: llama, mistral, qwen2, "
                      "qwen3, opt)"));
  CHECK_THAT(config_error(with(q2, "architectures", {"LlamaForCausalLM"})),
             Contains("architectures [\"LlamaForCausalLM\"] is not supported for model_type "
                      "'qwen2' (supported: [\"Qwen2ForCausalLM\"])"));
  json yarn = l3;
  yarn["rope_parameters"]["rope_type"] = "yarn";
  CHECK_THAT(config_error(yarn), Contains("rope_parameters.rope_type \"yarn\" is not supported"));
  json linear = l3;
  linear["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 1e4}};
  CHECK(llama_config_from_json(linear, "c").rope_type == rope_scaling::linear);
  CHECK_THAT(config_error(with(q2, "use_sliding_window", true)),
             Contains("use_sliding_window = true is not supported"));
  CHECK_THAT(config_error(with(q3, "layer_types", {"full_attention", "sliding_attention"})),
             Contains("layer_types entry \"sliding_attention\" is not supported"));
  CHECK_THAT(config_error(with(q3, "attention_bias", true)),
             Contains("attention_bias = true is not supported"));
  CHECK_THAT(config_error(with(o, "activation_function", "gelu")),
             Contains("activation_function 'gelu' is not supported (supported: relu)"));
  CHECK_THAT(config_error(with(o, "enable_bias", false)),
             Contains("enable_bias = false is not supported"));
  CHECK_THAT(config_error(with(o, "_remove_final_layer_norm", true)),
             Contains("_remove_final_layer_norm = true is not supported"));
  CHECK_THAT(config_error(with(o, "layer_norm_elementwise_affine", false)),
             Contains("layer_norm_elementwise_affine = false is not supported"));
  json no_ffn = o;
  no_ffn.erase("ffn_dim");
  CHECK_THAT(config_error(no_ffn), Contains("missing required key 'ffn_dim'"));
}
