// `anda search`: the adaptive precision search (Algorithm 1) on a real model: the cheapest tuple
// [M_qkv, M_o, M_u, M_d] whose calibration perplexity stays within the tolerance of the model
// with FP16 activations (same weights), then that tuple's perplexity on the held-out tokens.
#include <anda/hw/hwmodel.hpp>
#include <anda/search/precision_search.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "options.hpp"
#include "perplexity_source.hpp"
#include "whatif_report.hpp"

namespace anda::tools {
namespace {

struct search_cli {
  std::string model_dir, calib, eval_tokens, calib_text, eval_text;
  double tolerance = 0.01;
  int iterations = 32, lowest = 4, highest = 13;
  std::string cost = "bops";  // bops | energy | cycles
  std::string preset;         // hwmodel preset for energy/cycles (default: the model's shape)
  int windows = 16, eval_windows = 256, window_len = 256, group = 64, threads = 2;
  std::string weights = "int4", rounding_name = "truncate";
  bool json = false;
};

hw::model_shape shape_of(const search_cli& o) {
  if (!o.preset.empty()) {
    auto s = hw::find_preset(o.preset);
    if (!s) throw std::invalid_argument("unknown hwmodel preset \"" + o.preset + "\"");
    return *s;
  }
  return shape_from_config((std::filesystem::path(o.model_dir) / "config.json").string(),
                           o.model_dir);
}

int run_search(const search_cli& o) {
  // Checked here, before the model loads (CLI11 checks each option alone).
  if (o.lowest > o.highest)
    throw std::invalid_argument("--lowest " + std::to_string(o.lowest) + " is above --highest " +
                                std::to_string(o.highest));
  if (o.cost != "bops" && o.weights != "int4")
    throw std::invalid_argument("--cost " + o.cost +
                                " prices the paper's accelerator, which has "
                                "INT4 weights: use --weights int4 or --cost bops");
  const hw::model_shape shape = shape_of(o);
  std::function<double(const search::tuple&)> cost;
  if (o.cost == "bops") {
    const auto macs = hw::module_macs_per_token(shape);
    const search::mac_counts m{macs[0], macs[1], macs[2], macs[3]};
    cost = [m](const search::tuple& t) { return search::bops(m, t); };
  } else {
    hw::run_config rc;
    rc.group = o.group;
    const bool energy = o.cost == "energy";
    cost = [shape, rc, energy](const search::tuple& t) {
      const auto c = hw::evaluate(hw::design::anda, shape, t, rc);
      return energy ? c.energy(hw::energy_basis::paper_calibrated).total_j() : double(c.cycles);
    };
  }
  const double fp16_cost = cost({16, 16, 16, 16});

  // Text files are tokenized with the model folder's tokenizer.json (as `anda eval --text`).
  const perplexity_source calib(
      o.model_dir,
      read_token_stream(o.model_dir, o.calib.empty() ? o.model_dir + "/calib_tokens.i32" : o.calib,
                        o.calib_text),
      o.windows, o.window_len, o.group, o.rounding_name, o.weights, o.threads);
  const perplexity_source held_out = calib.with_tokens(
      read_token_stream(o.model_dir,
                        o.eval_tokens.empty() ? o.model_dir + "/eval_tokens.i32" : o.eval_tokens,
                        o.eval_text),
      o.eval_windows);
  const double reference = calib.perplexity(std::nullopt);  // FP16 activations, same weights
  if (!std::isfinite(reference))
    throw std::runtime_error("the reference perplexity (FP16 activations) is not finite: " +
                             std::to_string(reference));
  if (!o.json)
    std::printf(
        "calibration: %d windows of %d tokens; reference (FP16 activations, %s weights) "
        "perplexity %.4f; accept ppl <= %.4f (tolerance %.2f %%)\n",
        o.windows, o.window_len, o.weights.c_str(), reference, reference / (1 - o.tolerance),
        100 * o.tolerance);

  nlohmann::json trace = nlohmann::json::array();
  const auto judge = [&](const search::tuple& t) {
    const double ppl = calib.perplexity(t);
    return search::verdict{search::perplexity_accepted(ppl, reference, o.tolerance), ppl};
  };
  const auto print = [&](const search::evaluation& e) {
    trace.push_back({{"iteration", e.iteration},
                     {"modules", e.modules},
                     {"cost", e.cost},
                     {"relative_cost", e.cost / fp16_cost},
                     {"perplexity", e.result.metric},
                     {"accepted", e.result.accepted},
                     {"new_best", e.new_best}});
    if (!o.json)
      std::printf("#%-2d %-14s cost %.4f of FP16  ppl %.4f  %s%s\n", e.iteration,
                  search::to_string(e.modules).c_str(), e.cost / fp16_cost, e.result.metric,
                  e.result.accepted ? "accepted" : "rejected", e.new_best ? "  (best)" : "");
    std::fflush(stdout);
  };
  const search::result r =
      search::precision_search(cost, judge, {o.lowest, o.highest, o.iterations}, print);

  nlohmann::json out = {
      {"model", o.model_dir}, {"tolerance", o.tolerance},   {"cost", o.cost},
      {"weights", o.weights}, {"group", o.group},           {"rounding", o.rounding_name},
      {"windows", o.windows}, {"window_len", o.window_len}, {"reference_perplexity", reference},
      {"trace", trace}};
  if (!r.best) {
    if (o.json)
      std::printf("%s\n", out.dump().c_str());
    else
      std::printf("no tuple within the tolerance\n");
    return 0;
  }
  const double eval_ref = held_out.perplexity(std::nullopt);
  const double eval_best = held_out.perplexity(*r.best);
  const double bops_reduction = hw::bops_reduction(shape, *r.best);
  out["best"] = *r.best;
  out["best_cost"] = r.best_cost;
  out["cost_reduction"] = fp16_cost / r.best_cost;
  out["bops_reduction"] = bops_reduction;
  out["eval"] = {{"windows", o.eval_windows},
                 {"reference_perplexity", eval_ref},
                 {"perplexity", eval_best},
                 {"drop", (eval_best - eval_ref) / eval_ref}};
  if (o.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf(
        "best %s: %s %.3fx lower than with 16-bit activations (BOPs: %.3fx less than "
        "FP16 x INT4)\n",
        search::to_string(*r.best).c_str(), o.cost.c_str(), fp16_cost / r.best_cost,
        bops_reduction);
    std::printf("held-out (%d windows): perplexity %.4f vs %.4f with FP16 activations (%+.3f %%)\n",
                o.eval_windows, eval_best, eval_ref, 100 * (eval_best - eval_ref) / eval_ref);
  }
  return 0;
}

}  // namespace

command add_search(CLI::App& parent) {
  auto o = std::make_shared<search_cli>();
  auto* app = parent.add_subcommand("search", "adaptive precision search (Algorithm 1) on a model");
  app->add_option("--model", o->model_dir, "HF LLaMA checkpoint directory")->required();
  auto* calib = app->add_option("--calib", o->calib,
                                "calibration tokens (int32; default MODEL/calib_tokens.i32)");
  auto* eval_tokens = app->add_option("--eval-tokens", o->eval_tokens,
                                      "held-out tokens (default MODEL/eval_tokens.i32)");
  app->add_option("--calib-text", o->calib_text,
                  "calibration text, tokenized with the model folder's tokenizer.json")
      ->excludes(calib);
  app->add_option("--text", o->eval_text,
                  "held-out text, tokenized with the model folder's tokenizer.json")
      ->excludes(eval_tokens);
  app->add_option("--tolerance", o->tolerance, "accepted perplexity loss, e.g. 0.001 or 0.01")
      ->check(finite_range(0.0, 0.5));
  app->add_option("--iterations", o->iterations, "iteration limit N (paper: 32)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--lowest", o->lowest, "smallest M")->check(CLI::Range(1, 16));
  app->add_option("--highest", o->highest, "largest uniform M in the start queue")
      ->check(CLI::Range(1, 16));
  app->add_option("--cost", o->cost, "bops | energy | cycles (hwmodel)")
      ->check(CLI::IsMember({"bops", "energy", "cycles"}));
  app->add_option("--preset", o->preset,
                  "hwmodel preset for the cost (default: the model's shape)");
  app->add_option("--windows", o->windows, "calibration windows")->check(CLI::Range(1, 100000));
  app->add_option("--eval-windows", o->eval_windows, "held-out windows")
      ->check(CLI::Range(1, 100000));
  app->add_option("--window-len", o->window_len, "tokens per window")
      ->check(CLI::Range(2, 1 << 20));
  app->add_option("--group", o->group, "Anda group size G")
      ->check(CLI::IsMember({8, 16, 32, 64, 128, 256}));
  app->add_option("--rounding", o->rounding_name, "truncate | nearest_even | nearest_away")
      ->check(CLI::IsMember({"truncate", "nearest_even", "nearest_away"}));
  app->add_option("--weights", o->weights, "fp16 | int4 | int4-asym | int8")
      ->check(CLI::IsMember({"fp16", "int4", "int4-asym", "int8"}));
  app->add_option("--threads", o->threads, "threads (results do not depend on it)")
      ->check(CLI::Range(1, 256));
  app->add_flag("--json", o->json, "print one JSON object");
  return {app, [o] { return run_search(*o); }};
}

}  // namespace anda::tools
