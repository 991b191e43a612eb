// `anda whatif`: what an activation format costs on the Anda accelerator and its baselines, from
// the analytical model in hwmodel/ (no data is touched; runs in milliseconds).
// Default: LLaMA-2-7B, prefill of 2048 tokens, the paper's WikiText2 tuples (0.1 % and 1 %) and a
// sweep of uniform M = 4..13, against every baseline, as a table.
#include <anda/hw/hwmodel.hpp>
#include <anda/io/output_file.hpp>
#include <anda/model/precision.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hardware_input.hpp"
#include "options.hpp"
#include "whatif_report.hpp"

namespace anda::tools {
namespace {

struct whatif_options {
  whatif_request request;
  std::string modules;  // "QKV,O,U,D" as typed
  bool json = false;
  bool csv = false;
  std::string plot;
  std::string hardware;  // a hardware file; empty: the paper's accelerator
  bool print_hardware = false;
};

std::string shape_text(const hw::model_shape& s) {
  return s.name + " (" + (s.fam == hw::family::llama ? "LLaMA" : "OPT") +
         ", d=" + std::to_string(s.d_model) + ", ffn=" + std::to_string(s.ffn) + ", " +
         std::to_string(s.layers) + " layers, " + std::to_string(s.heads) + " heads / " +
         std::to_string(s.kv_heads) + " kv)";
}

std::string workload_text(const hw::run_config& c) {
  return c.ph == hw::phase::prefill
             ? "prefill of " + std::to_string(c.tokens) + " tokens"
             : "decode step (1 token, context " + std::to_string(c.tokens) + ")";
}

// "16x16 PEs at 285 MHz, 1 MB act + 0.125 MB exp + 1 MB weight buffers, HBM2 256 GB/s at ..."
std::string hardware_text(const hw::technology& t) {
  constexpr double mb = 1024.0 * 1024.0;
  std::string s = std::to_string(t.array_rows);
  s += 'x';
  s += std::to_string(t.array_cols);
  s += format_number(" PEs at %g MHz, ", t.clock_hz / 1e6);
  s += format_number("%g MB act + ", t.act_buffer_bytes / mb);
  s += format_number("%g MB exp + ", t.exp_buffer_bytes / mb);
  s += format_number("%g MB weight buffers, ", t.weight_buffer_bytes / mb);
  s += t.dram_name;
  s += format_number(" %g GB/s", t.dram_bytes_per_s / 1e9);
  s += format_number(" at %g pJ/bit", t.dram_pj_per_bit);
  return s;
}

// The attention lines under the table: what was added, labelled as ours.
void print_attention_note(const hw::comparison& cmp) {
  const auto& a = cmp.costs.front().attention;
  constexpr double mb = 1024.0 * 1024.0;
  std::printf(
      "Attention, %s: q.k^T and p.v of each layer, sequence and kv head\n"
      "over %lld cached positions, FP16 x FP16 on the array at the fp-fp PE rate in every design "
      "(the same\nlatency and energy for all, included above): %.3e MACs, KV cache read %.6g MB "
      "per "
      "step,\n%.3e cycles (%.4gs), %.3gJ; %d of its 2 products memory-bound. attn.t, attn.e: its "
      "share of\neach design's step latency and energy. Assumptions: docs/hwmodel.md section 13.\n",
      kv_cache_label, static_cast<long long>(cmp.config.tokens), a.macs, a.kv_read_bits / 8 / mb,
      static_cast<double>(a.cycles), a.latency_s, a.paper_calibrated.total_j(),
      a.memory_bound_products);
}

// ---- table ----------------------------------------------------------------------------------

struct row {
  std::string label, tuple;
  const hw::comparison* cmp;
  hw::design d;
};

std::vector<row> table_rows(const std::vector<scenario>& sc,
                            const std::vector<hw::comparison>& cmps) {
  std::vector<row> rows;
  for (auto d : hw::all_designs)
    if (d != hw::design::anda) {
      const int m = hw::design_mantissa(cmps.front().config.tech, d, {}, hw::module::qkv);
      rows.push_back({std::string(hw::pe(d).name), m == 16 ? "FP16" : "M=" + std::to_string(m),
                      &cmps.front(), d});
    }
  for (std::size_t i = 0; i < sc.size(); ++i)
    rows.push_back({sc[i].label, tuple_text(sc[i].tuple), &cmps[i], hw::design::anda});
  return rows;
}

double design_bops(const row& r) {
  if (r.d == hw::design::anda) return r.cmp->bops_reduction;
  const int m = hw::design_mantissa(r.cmp->config.tech, r.d, {}, hw::module::qkv);
  return 16.0 / m;
}

void print_table(const whatif_request& o, const hw::model_shape& s, const hw::run_config& c,
                 const std::vector<scenario>& sc, const std::vector<hw::comparison>& cmps) {
  const auto cal = hw::fig17_memory_calibration();
  const auto& t = c.tech;
  std::printf("anda whatif: %s\n", shape_text(s).c_str());
  const bool attention = c.with_attention();
  std::printf(
      "workload: %s, batch %lld, FP-INT GeMMs of the four modules (INT%d weights, g%d)%s, G = %d\n",
      workload_text(c).c_str(), static_cast<long long>(c.batch), t.weight_bits, t.weight_group,
      attention ? " + attention over the KV cache [our extension, not in the paper]" : "", o.group);
  std::printf("hardware: %s\n\n", hardware_text(t).c_str());
  std::printf("%-14s %-13s %5s %9s %9s %7s %6s %6s %8s %6s %6s %5s %5s %5s%s\n", "design", "M",
              "BOPs", "cycles", "latency", "speed", "mm2", "a.eff", "energy", "e.eff", "e.eff*",
              "comp", "SRAM", "DRAM", attention ? "  attn.t attn.e" : "");
  for (const auto& r : table_rows(sc, cmps)) {
    const auto& k = r.cmp->cost(r.d);
    const auto& q = r.cmp->ratio(r.d);
    std::printf(
        "%-14s %-13s %5.2f %9.3e %8.3fs %7.2f %6.2f %6.2f %7.3gJ %6.2f %6.2f %4.1f%% %4.1f%% "
        "%4.1f%%",
        r.label.c_str(), r.tuple.c_str(), design_bops(r), static_cast<double>(k.cycles),
        k.latency_s, q.speedup, k.area_mm2, q.area_efficiency, k.paper_calibrated.total_j(),
        q.energy_efficiency, q.energy_efficiency_first_principles, 100 * q.share.compute_j,
        100 * q.share.sram_j, 100 * q.share.dram_j);
    if (attention)
      std::printf("  %5.1f%% %5.1f%%", 100 * k.attention.latency_s / k.latency_s,
                  100 * k.attention.paper_calibrated.total_j() / k.paper_calibrated.total_j());
    std::printf("\n");
  }
  int mem_bound = 0, gemms = 0;
  for (const auto& r : table_rows(sc, cmps)) {
    mem_bound += r.cmp->cost(r.d).memory_bound_gemms;
    gemms += static_cast<int>(r.cmp->cost(r.d).gemms.size());
  }
  const char* anda_memory =
      hw::fig17_anda_ratios_apply(hw::design::anda, c)
          ? "Anda's SRAM and DRAM energy at Fig. 17's 5/11 and 24/48 of fp-fp's"
          : "decode: Anda's memory energy from its own traffic, Fig. 17 being a prefill";
  std::printf(
      "\nM: mantissa bits of the activations (tuple [QKV,O,U,D] for Anda). "
      "BOPs: BOPs reduction vs FP16 x INT4.\n"
      "speed, a.eff (throughput/mm2), e.eff (work/J): ratios to fp-fp. "
      "energy, e.eff and comp/SRAM/DRAM\n"
      "(shares of fp-fp's total energy) use the paper-calibrated memory energy "
      "(SRAM x%.2f, DRAM x%.2f;\n%s);\n"
      "e.eff* is the first-principles energy efficiency.\n"
      "Roofline: %d of the %d GeMMs above are memory-bound "
      "(latency = max(compute, DRAM, compressor) per GeMM).\n",
      cal.sram_scale, cal.dram_scale, anda_memory, mem_bound, gemms);
  if (attention) print_attention_note(cmps.front());
}

// ---- CSV ------------------------------------------------------------------------------------

void print_csv(const std::vector<scenario>& sc, const std::vector<hw::comparison>& cmps) {
  const bool attention = cmps.front().config.with_attention();
  std::printf(
      "label,design,modules,bops_reduction,cycles,latency_s,speedup,area_mm2,"
      "area_efficiency,energy_j,energy_efficiency,energy_first_principles_j,"
      "energy_efficiency_first_principles,compute_share,sram_share,dram_share,"
      "memory_bound_gemms%s\n",
      attention ? ",attention_latency_s,attention_energy_j,attention_latency_share,"
                  "attention_energy_share"
                : "");
  for (const auto& r : table_rows(sc, cmps)) {
    const auto& k = r.cmp->cost(r.d);
    const auto& q = r.cmp->ratio(r.d);
    std::string t = r.tuple;
    std::replace(t.begin(), t.end(), ',', ' ');
    std::printf("%s,%s,%s,%.4f,%lld,%.6g,%.4f,%.4f,%.4f,%.6g,%.4f,%.6g,%.4f,%.4f,%.4f,%.4f,%d",
                r.label.c_str(), std::string(hw::pe(r.d).name).c_str(), t.c_str(), design_bops(r),
                static_cast<long long>(k.cycles), k.latency_s, q.speedup, k.area_mm2,
                q.area_efficiency, k.paper_calibrated.total_j(), q.energy_efficiency,
                k.first_principles.total_j(), q.energy_efficiency_first_principles,
                q.share.compute_j, q.share.sram_j, q.share.dram_j, k.memory_bound_gemms);
    if (attention) {
      const auto& a = k.attention;
      std::printf(",%.6g,%.6g,%.4f,%.4f", a.latency_s, a.paper_calibrated.total_j(),
                  a.latency_s / k.latency_s,
                  a.paper_calibrated.total_j() / k.paper_calibrated.total_j());
    }
    std::printf("\n");
  }
}

// ---- SVG ------------------------------------------------------------------------------------

// Two panels: speedup and energy efficiency per design (grouped bars, vs fp-fp), and the energy
// breakdown (stacked compute/SRAM/DRAM as fractions of fp-fp's total).
void write_svg(const std::string& path, const hw::model_shape& s, const hw::run_config& c,
               const std::vector<scenario>& sc, const std::vector<hw::comparison>& cmps) {
  std::vector<row> rows;
  for (const auto& r : table_rows(sc, cmps))
    if (r.d != hw::design::anda || r.label.find('%') != std::string::npos || sc.size() == 1)
      rows.push_back(r);
  const double w = 900, h = 620, left = 60, plot_w = 820;
  const double bar_slot = plot_w / static_cast<double>(rows.size());
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" viewBox=\"0 0 " << w << " " << h << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << w << "\" height=\"" << h << "\" fill=\"white\"/>\n"
      << "<text x=\"" << w / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
      << xml_escape("anda whatif: " + s.name + ", " + workload_text(c) +
                    ", G = " + std::to_string(c.group))
      << "</text>\n";
  // Panel 1: speedup and energy efficiency.
  double vmax = 1;
  for (const auto& r : rows)
    vmax = std::max({vmax, r.cmp->ratio(r.d).speedup, r.cmp->ratio(r.d).energy_efficiency});
  vmax = std::ceil(vmax);
  const double p1_top = 50, p1_h = 220, p1_base = p1_top + p1_h;
  out << "<text x=\"" << left << "\" y=\"" << p1_top - 10
      << "\">speedup (blue) and energy efficiency (orange) vs fp-fp</text>\n";
  for (int v = 0; v <= static_cast<int>(vmax); ++v) {
    const double y = p1_base - p1_h * v / vmax;
    out << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + plot_w << "\" y2=\""
        << y << "\" stroke=\"#ddd\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y + 4
        << "\" text-anchor=\"end\">" << v << "</text>\n";
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& q = rows[i].cmp->ratio(rows[i].d);
    const double x = left + bar_slot * static_cast<double>(i) + bar_slot * 0.15;
    const double bw = bar_slot * 0.35;
    const double hs = p1_h * q.speedup / vmax, he = p1_h * q.energy_efficiency / vmax;
    out << "<rect x=\"" << x << "\" y=\"" << p1_base - hs << "\" width=\"" << bw << "\" height=\""
        << hs << "\" fill=\"#4a78b0\"><title>" << xml_escape(rows[i].label) << " speedup "
        << format_number("%.2f", q.speedup) << "</title></rect>\n"
        << "<rect x=\"" << x + bw << "\" y=\"" << p1_base - he << "\" width=\"" << bw
        << "\" height=\"" << he << "\" fill=\"#e08a2c\"><title>" << xml_escape(rows[i].label)
        << " energy efficiency " << format_number("%.2f", q.energy_efficiency)
        << "</title></rect>\n"
        << "<text x=\"" << x + bw << "\" y=\"" << p1_base - std::max(hs, he) - 4
        << "\" text-anchor=\"middle\" font-size=\"9\">" << format_number("%.2f", q.speedup) << "/"
        << format_number("%.2f", q.energy_efficiency) << "</text>\n"
        << "<text x=\"" << x + bw << "\" y=\"" << p1_base + 14
        << "\" text-anchor=\"middle\" font-size=\"9\">" << xml_escape(rows[i].label) << "</text>\n";
  }
  // Panel 2: energy breakdown (stacked).
  const double p2_top = 330, p2_h = 220, p2_base = p2_top + p2_h;
  out << "<text x=\"" << left << "\" y=\"" << p2_top - 10
      << "\">energy as a share of fp-fp's total: compute (green), SRAM (purple), DRAM (grey); "
         "paper-calibrated memory energy</text>\n";
  for (int v = 0; v <= 100; v += 25) {
    const double y = p2_base - p2_h * v / 100.0;
    out << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + plot_w << "\" y2=\""
        << y << "\" stroke=\"#ddd\"/>\n<text x=\"" << left - 6 << "\" y=\"" << y + 4
        << "\" text-anchor=\"end\">" << v << "%</text>\n";
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& q = rows[i].cmp->ratio(rows[i].d);
    const double x = left + bar_slot * static_cast<double>(i) + bar_slot * 0.2;
    const double bw = bar_slot * 0.6;
    double y = p2_base;
    const double parts[3] = {q.share.compute_j, q.share.sram_j, q.share.dram_j};
    const char* colors[3] = {"#5aa05a", "#8e6bb8", "#8c8c8c"};
    const char* names[3] = {"compute", "SRAM", "DRAM"};
    for (int k = 0; k < 3; ++k) {
      const double hk = p2_h * std::min(parts[k], 1.0);
      y -= hk;
      out << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << bw << "\" height=\"" << hk
          << "\" fill=\"" << colors[k] << "\"><title>" << xml_escape(rows[i].label) << " "
          << names[k] << " " << format_number("%.1f", 100 * parts[k]) << "%</title></rect>\n";
    }
    out << "<text x=\"" << x + bw / 2 << "\" y=\"" << y - 4
        << "\" text-anchor=\"middle\" font-size=\"9\">"
        << format_number("%.0f", 100 * (parts[0] + parts[1] + parts[2])) << "%</text>\n";
    out << "<text x=\"" << x + bw / 2 << "\" y=\"" << p2_base + 14
        << "\" text-anchor=\"middle\" font-size=\"9\">" << xml_escape(rows[i].label) << "</text>\n";
    out << "<text x=\"" << x + bw / 2 << "\" y=\"" << p2_base + 26
        << "\" text-anchor=\"middle\" font-size=\"9\">" << xml_escape(rows[i].tuple) << "</text>\n";
  }
  out << "</svg>\n";
  io::write_output_file(path, out.str());  // atomic, as every output file (output_file.hpp)
}

int run_whatif(whatif_options o) {
  if (o.json && o.csv) throw std::runtime_error("--json and --csv are exclusive");
  if (!o.hardware.empty()) o.request.hardware = read_hardware_file(o.hardware);
  if (o.print_hardware) {  // the description in effect, as a file to start from
    std::cout << hw::hardware_json(o.request.hardware).dump(2) << "\n";
    return 0;
  }
  if (!o.modules.empty()) o.request.modules = model::parse_tuple(o.modules);
  const auto& r = o.request;
  const auto c = whatif_run_config(r);
  const auto shape = whatif_model(r);
  const auto sc = whatif_scenarios(r, shape);
  std::vector<hw::comparison> cmps;
  for (const auto& s : sc) cmps.push_back(hw::compare(shape, s.tuple, c));
  if (!o.plot.empty()) write_svg(o.plot, shape, c, sc, cmps);
  if (o.json)
    std::cout << whatif_json(r, sc, cmps).dump(2) << "\n";
  else if (o.csv)
    print_csv(sc, cmps);
  else
    print_table(r, shape, c, sc, cmps);
  return 0;
}

}  // namespace

command add_whatif(CLI::App& parent) {
  auto* app = parent.add_subcommand(
      "whatif", "cost of Anda activations on the paper's accelerator vs every baseline (hwmodel)");
  auto o = std::make_shared<whatif_options>();
  auto* model = app->add_option("--model", o->request.model,
                                "preset: opt-125m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b, opt-30b, "
                                "llama-7b, llama-13b, llama2-7b, llama2-13b, llama2-70b, llama3-8b")
                    ->capture_default_str();
  app->add_option("--config", o->request.config_path,
                  "HF config.json (LLaMA/Mistral or OPT family)")
      ->excludes(model);
  auto* mods = app->add_option("--modules", o->modules, "Anda tuple QKV,O,U,D (each 1..16)");
  app->add_option("--mantissa", o->request.mantissa, "uniform Anda mantissa length M (1..16)")
      ->check(count_range(1, 16))
      ->excludes(mods);
  app->add_option("--group", o->request.group, "activation group size G (8, 16, ..., 256)")
      ->check(group_sizes())
      ->capture_default_str();
  app->add_option("--tokens", o->request.tokens,
                  "prefill tokens, or the context length of a decode step (1..10^12)")
      ->check(count_range(1, whatif_max_tokens))
      ->capture_default_str();
  app->add_option("--phase", o->request.phase, "prefill or decode")->capture_default_str();
  app->add_flag("--kv-cache", o->request.kv_cache,
                "decode: add the attention over the KV cache of --tokens positions (our extension, "
                "not in the paper)");
  app->add_option("--batch", o->request.batch,
                  "decode: sequences per step (FP-INT GeMMs on B rows; one KV cache each)")
      ->check(count_range(1, whatif_max_batch))
      ->capture_default_str();
  app->add_option("--dataset", o->request.dataset, "which paper tuples to show: wikitext2 or c4")
      ->check(CLI::IsMember({"wikitext2", "c4"}))
      ->capture_default_str();
  app->add_flag("--json", o->json, "one JSON object instead of the table");
  app->add_flag("--csv", o->csv, "CSV rows instead of the table");
  app->add_option("--plot", o->plot, "also write an SVG chart to this file");
  app->add_option("--hardware", o->hardware,
                  "the accelerator as a JSON file (default: the paper's; see --print-hardware)");
  app->add_flag("--print-hardware", o->print_hardware,
                "write the hardware description in effect as JSON (a file to start from)");
  return {app, [o]() { return run_whatif(*o); }};
}

}  // namespace anda::tools
