// `anda eval`: perplexity of a LLaMA checkpoint over windows of a token file, with the module
// inputs in FP32, FP16 or Anda [M_qkv, M_o, M_u, M_d] and the weights in FP32, FP16, INT4 or INT8.
// The window convention is the model folders' (perplexity.hpp): each window alone, no BOS added,
// predictions 1..L-1. With --text the ids come from the model folder's tokenizer.json (the whole
// file tokenized once, BOS/EOS as its config says) and windows default to the model's context,
// capped at 2048 (the quantization papers' setting; README).
#include <anda/io/hf_config.hpp>
#include <anda/model/load.hpp>
#include <anda/model/perplexity.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "perplexity_source.hpp"

namespace anda::tools {
namespace {

struct eval_options {
  std::string model_dir, tokens_file, text_file;
  std::size_t windows = 0;
  std::size_t window_len = 256;
  std::size_t stride = 0;  // 0: non-overlapping windows
  std::string modules;     // "7,6,6,6": Anda activations
  std::string activations = "fp32";
  int group = 64;
  std::string rounding_name = "truncate";
  std::string nonfinite_name = "reject";
  std::string weights = "fp32";
  int weight_group = 128;
  int threads = 0;
  bool json = false;
};

// `anda_given`: --group, --rounding or --nonfinite was on the command line; they describe Anda
// activations, so without --modules they would be silently ignored: an error instead.
model::activation_precision activation_setting(const eval_options& o, bool activations_given,
                                               bool anda_given) {
  const auto round = parse_rounding(o.rounding_name);
  const auto policy = parse_nonfinite(o.nonfinite_name);
  if (!round) throw std::invalid_argument("--rounding " + o.rounding_name + " is not known");
  if (!policy) throw std::invalid_argument("--nonfinite " + o.nonfinite_name + " is not known");
  if (!o.modules.empty()) {
    if (activations_given)
      throw std::invalid_argument("--modules and --activations exclude each other");
    return model::activation_precision::anda(model::parse_tuple(o.modules), o.group, *round,
                                             *policy);
  }
  if (anda_given)
    throw std::invalid_argument(
        "--group, --rounding and --nonfinite apply to Anda activations: "
        "give --modules too");
  if (o.activations == "fp32") return model::activation_precision::fp32();
  if (o.activations == "fp16") return model::activation_precision::fp16();
  throw std::invalid_argument("--activations " + o.activations +
                              " is not known (use fp32 or fp16, or --modules for Anda)");
}

// "\r" progress on stderr, only for a terminal.
class progress_line {
 public:
  progress_line() : on_{isatty(STDERR_FILENO) == 1}, start_{std::chrono::steady_clock::now()} {}
  bool on() const { return on_; }
  void update(std::size_t done, std::size_t total, std::size_t window_len) const {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = done > 0 ? s * double(total - done) / double(done) : 0.0;
    std::fprintf(stderr, "\reval: %zu/%zu windows, %.1f s, %.0f tokens/s, ETA %.0f s   ", done,
                 total, s, s > 0 ? double(done * window_len) / s : 0.0, eta);
    std::fflush(stderr);
  }
  void clear() const {
    if (on_) std::fprintf(stderr, "\r%78s\r", "");
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point start_;
};

// The peak resident memory of this process so far (getrusage; Linux reports kilobytes).
long long peak_rss_bytes() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<long long>(u.ru_maxrss) * 1024;
}

int run_eval(eval_options o, bool activations_given, bool anda_given, bool weight_group_given,
             bool window_len_given) {
  const model::activation_precision act = activation_setting(o, activations_given, anda_given);
  const auto weights = model::parse_weight_precision(o.weights);
  if (!weights)
    throw std::invalid_argument("--weights " + o.weights +
                                " is not known (use fp32, fp16, int4, int4-asym or int8)");
  if (weight_group_given && !model::is_integer(*weights))
    throw std::invalid_argument(
        "--weight-group applies to int4, int4-asym and int8 weights, not "
        "--weights " +
        o.weights);
  if (o.tokens_file.empty() == o.text_file.empty())
    throw std::invalid_argument("give one of --tokens and --text");
  if (!o.text_file.empty() && !window_len_given)
    o.window_len = std::size_t(std::min(io::read_llama_config(o.model_dir).max_positions, 2048));
  if (o.window_len < 2) throw std::invalid_argument("--window-len must be at least 2");
  const int threads =
      o.threads > 0 ? o.threads : std::max(1, int(std::thread::hardware_concurrency()));

  // Read the tokens first: a bad token or text file fails before the model is loaded.
  const auto [tokens, source] = read_token_stream(o.model_dir, o.tokens_file, o.text_file);
  if (o.stride > o.window_len)
    throw std::invalid_argument("--stride " + std::to_string(o.stride) +
                                " exceeds the window length " + std::to_string(o.window_len));
  const std::size_t available = model::whole_windows(tokens.size(), o.window_len, o.stride);
  if (available == 0 || o.windows > available)
    throw std::invalid_argument(source + " holds " + std::to_string(tokens.size()) +
                                " tokens: " + std::to_string(available) + " whole window(s) of " +
                                std::to_string(o.window_len) +
                                (o.stride ? " at stride " + std::to_string(o.stride) : "") + ", " +
                                std::to_string(std::max<std::size_t>(o.windows, 1)) + " asked");
  // One layer at a time from the mapped checkpoint: memory peaks near the model, not the
  // checkpoint in FP32. Integer weights are quantized on every thread.
  const auto load_start = std::chrono::steady_clock::now();
  const model::llama_model m = model::load_model(o.model_dir, *weights, o.weight_group, threads);
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  progress_line line;
  model::perplexity_options popt;
  popt.windows = o.windows;
  popt.window_len = o.window_len;
  popt.stride = o.stride;
  popt.threads = threads;
  if (line.on())
    popt.progress = [&](std::size_t done, std::size_t total) {
      line.update(done, total, o.window_len);
    };
  model::perplexity_result r;
  try {
    r = model::evaluate_perplexity(m, tokens, act, popt);
  } catch (...) {
    line.clear();
    throw;
  }
  line.clear();

  if (o.json) {
    nlohmann::json j;
    j["perplexity"] = r.perplexity;
    j["mean_nll"] = r.mean_nll;
    j["windows"] = r.windows;
    j["window_len"] = o.window_len;
    j["stride"] = o.stride ? o.stride : o.window_len;
    j["tokens"] = r.tokens;
    j["predictions"] = r.predictions;
    j["seconds"] = r.seconds;
    j["tokens_per_second"] = r.tokens_per_second();
    j["threads"] = threads;
    j["concurrent_windows"] = r.concurrent_windows;
    j["threads_per_window"] = r.threads_per_window;
    j["load_seconds"] = load_seconds;
    j["activations"] =
        act.mode == model::activation_precision::kind::anda ? "anda" : act.to_string();
    if (act.mode == model::activation_precision::kind::anda) {
      j["modules"] = act.mantissa;
      j["group"] = act.group;
      j["rounding"] = to_string(act.round);
    }
    j["weights"] = model::to_string(*weights);
    if (model::is_integer(*weights)) j["weight_group"] = o.weight_group;
    if (!o.text_file.empty()) {
      j["text"] = o.text_file;
      j["text_tokens"] = tokens.size();
    }
    j["peak_rss_bytes"] = peak_rss_bytes();
    j["window_nll"] = r.window_nll;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model        %s\n", o.model_dir.c_str());
    if (!o.text_file.empty())
      std::printf("text         %s (%zu tokens)\n", o.text_file.c_str(), tokens.size());
    std::printf("activations  %s\n", act.to_string().c_str());
    std::printf(
        "weights      %s%s\n", std::string(model::to_string(*weights)).c_str(),
        model::is_integer(*weights) ? (" (g" + std::to_string(o.weight_group) + ")").c_str() : "");
    std::printf("windows      %zu x %zu tokens%s (%zu tokens, %zu predictions)\n", r.windows,
                o.window_len, o.stride ? (" at stride " + std::to_string(o.stride)).c_str() : "",
                r.tokens, r.predictions);
    std::printf("mean NLL     %.6f\n", r.mean_nll);
    std::printf("perplexity   %.4f\n", r.perplexity);
    std::fprintf(stderr, "peak resident memory %.2f GB\n", double(peak_rss_bytes()) / 1e9);
    std::printf("tokens/s     %.0f (%d threads: %zu window(s) at a time on %d each, %.1f s)\n",
                r.tokens_per_second(), threads, r.concurrent_windows, r.threads_per_window,
                r.seconds);
    std::printf("load         %.1f s\n", load_seconds);
  }
  return 0;
}

}  // namespace

command add_eval(CLI::App& parent) {
  auto o = std::make_shared<eval_options>();
  auto* app = parent.add_subcommand(
      "eval", "perplexity of a LLaMA checkpoint with Anda, FP16 or FP32 module inputs");
  app->add_option("--model", o->model_dir, "checkpoint folder (config.json, *.safetensors)")
      ->required();
  auto* tokens =
      app->add_option("--tokens", o->tokens_file, "token ids, int32 little-endian (.i32)");
  app->add_option("--text", o->text_file,
                  "UTF-8 text (or -), tokenized with the model folder's tokenizer.json")
      ->excludes(tokens);
  app->add_option("--windows", o->windows, "windows to evaluate (default: every whole window)")
      ->check(count_range(0, std::numeric_limits<int>::max()));
  auto* window_len =
      app->add_option("--window-len", o->window_len,
                      "tokens per window (default 256; with --text the model's context, <= 2048)")
          ->check(count_range(2, 1 << 20));
  app->add_option("--stride", o->stride,
                  "a sliding window: each window after the first starts this many tokens later "
                  "and scores only its last `stride` tokens (default: non-overlapping windows)")
      ->check(count_range(1, 1 << 20));
  app->add_option("--modules", o->modules, "Anda mantissa lengths M_qkv,M_o,M_u,M_d, e.g. 7,6,6,6");
  auto* activations =
      app->add_option("--activations", o->activations,
                      "fp32 (default) or fp16 module inputs (instead of --modules)");
  // --modules vs --activations is checked in run_eval (exit status 1, as every other error).
  const std::vector<CLI::Option*> anda_options = {
      app->add_option("--group", o->group, "Anda group size G (default 64)"),
      app->add_option("--rounding", o->rounding_name,
                      "Anda rounding: truncate (default), nearest_even, nearest_away"),
      app->add_option("--nonfinite", o->nonfinite_name,
                      "Inf/NaN module inputs: reject (default, an error) or propagate (NaN)")};
  app->add_option("--weights", o->weights,
                  "fp32 (default: as loaded), fp16, int4, int4-asym, int8 (round to nearest)");
  auto* weight_group =
      app->add_option("--weight-group", o->weight_group, "INT weight scale group Gw (default 128)")
          ->check(count_range(1, 1 << 30));
  app->add_option("--threads", o->threads,
                  "worker threads: windows at once, one window's products when fewer windows; "
                  "also quantizing at load (default 0: all cores)")
      ->check(count_range(0, 4096));
  app->add_flag("--json", o->json, "print one JSON object");
  return {app, [o, activations, anda_options, weight_group, window_len]() -> int {
            bool anda_given = false;
            for (const auto* opt : anda_options) anda_given |= opt->count() > 0;
            return run_eval(*o, activations->count() > 0, anda_given, weight_group->count() > 0,
                            window_len->count() > 0);
          }};
}

}  // namespace anda::tools
