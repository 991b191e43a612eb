// `anda sweep`: a design-space sweep on the hwmodel accelerator. The hardware file may hold a list
// of values in place of any number ("rows": [8, 16, 32]); with lists of models, Anda tuples and
// group sizes, every point of the cross product is costed in closed form like `anda whatif`, and
// the Anda design's Pareto front over latency, energy and area is marked (per model: the front
// compares hardware, tuples and group sizes on one workload).
// Two passes: the first costs the Anda design of every point (24 bytes a point) for the front;
// the second costs every design again as it writes rows, so memory does not grow with the output.
#include <anda/hw/hwmodel.hpp>
#include <anda/io/output_file.hpp>
#include <anda/model/precision.hpp>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
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

struct sweep_options {
  std::string hardware;  // a sweep file; empty: the paper's accelerator
  std::vector<std::string> models{"llama2-7b"};
  std::vector<std::string> modules;  // "Q,O,U,D", one per --modules
  std::vector<int> mantissas;        // uniform tuples
  std::vector<int> groups{64};
  std::int64_t tokens = 2048;
  std::string phase = "prefill";
  std::vector<std::int64_t> batches{1};  // decode: sequences per step (our extension)
  bool kv_cache = false;                 // decode: attention over the KV cache (our extension)
  bool json = false;
  bool csv = false;
  std::string plot;
};

// ---- the space --------------------------------------------------------------------------------

hw::sweep_space make_space(const sweep_options& o) {
  hw::sweep_space s;
  if (!o.hardware.empty()) s.hardware = read_hardware_sweep(o.hardware);
  whatif_request r;  // validates phase, tokens and each group as `anda whatif` does
  r.phase = o.phase;
  r.tokens = o.tokens;
  r.kv_cache = o.kv_cache;
  for (int g : o.groups) {
    r.group = g;
    (void)whatif_run_config(r);
  }
  for (auto b : o.batches) {
    r.batch = b;
    (void)whatif_run_config(r);
  }
  s.ph = whatif_run_config(r).ph;
  s.tokens = o.tokens;
  s.groups = o.groups;
  s.batches = o.batches;
  s.kv_cache = o.kv_cache;
  std::vector<hw::mantissa_tuple> asked;
  for (const auto& m : o.modules) asked.push_back(model::parse_tuple(m));
  for (int m : o.mantissas) asked.push_back({m, m, m, m});
  for (const auto& name : o.models) {
    r.model = name;
    s.models.push_back(whatif_model(r));
    if (!asked.empty()) {
      s.tuples.push_back(asked);
      continue;
    }
    // No tuple asked for: the model's own, as `anda whatif --json` (the paper's 1 %, else M = 8).
    const auto t = hw::paper_tuple(name, hw::dataset::wikitext2, false);
    s.tuples.push_back({t ? *t : hw::mantissa_tuple{8, 8, 8, 8}});
  }
  for (const auto& t : s.tuples)
    for (const auto& m : t)
      for (int v : m)
        if (v < 1 || v > 16)
          throw std::invalid_argument("modules wants four mantissa lengths in 1..16, got " +
                                      tuple_text(m));
  (void)s.size();  // refuses a sweep past 10^8 points, saying how many
  return s;
}

// ---- progress on a terminal -------------------------------------------------------------------

// "anda sweep: pass 1/2, 120000 of 1000000 points" on stderr, only when it is a terminal and the
// sweep takes longer than half a second; erased when done.
class progress {
 public:
  progress(int pass, std::uint64_t total)
      : pass_(pass), total_(total), shown_(isatty(STDERR_FILENO) != 0) {}
  ~progress() {
    if (printed_) std::fprintf(stderr, "\r%60s\r", "");
  }
  void at(std::uint64_t i) {
    if (!shown_ || (i & 1023) != 0) return;
    const auto now = clock::now();
    if (now - start_ < std::chrono::milliseconds(500) ||
        now - last_ < std::chrono::milliseconds(200))
      return;
    last_ = now;
    printed_ = true;
    std::fprintf(stderr, "\randa sweep: pass %d/2, %llu of %llu points", pass_,
                 static_cast<unsigned long long>(i), static_cast<unsigned long long>(total_));
  }

 private:
  using clock = std::chrono::steady_clock;
  int pass_;
  std::uint64_t total_;
  bool shown_, printed_ = false;
  clock::time_point start_ = clock::now(), last_ = start_;
};

// ---- pass 1: the Anda design everywhere, and its Pareto front per model ------------------------

struct anda_points {
  std::vector<std::array<double, 3>> cost;  // latency, energy, area per point
  std::vector<bool> pareto;
};

anda_points cost_anda(const hw::sweep_space& s, std::uint64_t n) {
  anda_points a;
  a.cost.resize(n);
  hw::run_config c;
  progress bar(1, n);
  for (std::uint64_t i = 0; i < n; ++i) {
    bar.at(i);
    const auto p = hw::sweep_point_at(s, i);
    hw::configure(s, p, c);
    const auto k = hw::evaluate(hw::design::anda, s.models[p.model], p.tuple_of(s), c);
    a.cost[i] = {k.latency_s, k.paper_calibrated.total_j(), k.area_mm2};
  }
  // Points of one workload (model and batch) are contiguous (the outermost dimensions).
  const std::uint64_t per_workload = n / hw::sweep_workloads(s);
  a.pareto.resize(n);
  for (std::uint64_t m = 0; m < hw::sweep_workloads(s); ++m) {
    const auto first = a.cost.begin() + static_cast<std::ptrdiff_t>(m * per_workload);
    const auto flags = hw::pareto_front({first, first + static_cast<std::ptrdiff_t>(per_workload)});
    for (std::uint64_t i = 0; i < per_workload; ++i) a.pareto[m * per_workload + i] = flags[i];
  }
  return a;
}

// ---- pass 2: every design, as CSV or JSON rows -------------------------------------------------

std::string value_text(double v) {
  return format_number("%.10g", v);
}

// Whether rows carry a batch (asked for) and the attention's part (the KV cache on): without
// either option the rows are exactly as before the extension.
bool shows_batch(const hw::sweep_space& s) {
  return s.kv_cache || s.batches.size() != 1 || s.batches.front() != 1;
}

void write_rows(const hw::sweep_space& s, const anda_points& a, std::uint64_t n, bool json) {
  const auto& axes = s.hardware.axes;
  const bool batch = shows_batch(s);
  if (json) {
    nlohmann::ordered_json head;
    head["phase"] = s.ph == hw::phase::prefill ? "prefill" : "decode";
    head["tokens"] = s.tokens;
    if (s.kv_cache) head["kv_cache"] = kv_cache_label;
    head["swept"] = nlohmann::ordered_json::array();
    for (const auto& ax : axes) head["swept"].push_back(ax.field->name);
    head["pareto"] = batch ? "the Anda design over latency_s, energy_j and area_mm2, per model "
                             "and batch"
                           : "the Anda design over latency_s, energy_j and area_mm2, per model";
    std::string text = head.dump();
    text.pop_back();  // reopen the object for "points"
    std::fputs(text.c_str(), stdout);
    std::fputs(",\"points\":[\n", stdout);
  } else {
    std::string h = "point,model,";
    if (batch) h += "batch,";
    h += "modules,group";
    for (const auto& ax : axes) {
      h += ',';
      h += ax.field->name;
    }
    h += ",design,latency_s,energy_j,area_mm2,cycles,pareto";
    if (s.kv_cache) h += ",attention_latency_s,attention_energy_j";
    h += '\n';
    std::fputs(h.c_str(), stdout);
  }
  hw::run_config c;
  progress bar(2, n);
  for (std::uint64_t i = 0; i < n; ++i) {
    bar.at(i);
    const auto p = hw::sweep_point_at(s, i);
    hw::configure(s, p, c);
    const auto& shape = s.models[p.model];
    const auto costs = hw::cost_point(shape, p.tuple_of(s), c);
    if (json) {
      nlohmann::ordered_json j;
      j["point"] = i;
      j["model"] = shape.name;
      if (batch) j["batch"] = c.batch;
      j["modules"] = p.tuple_of(s);
      j["group"] = c.group;
      for (std::size_t k = 0; k < axes.size(); ++k)
        j[axes[k].field->name] = axes[k].values[p.values[k]];
      j["pareto"] = static_cast<bool>(a.pareto[i]);
      auto& designs = j["designs"];
      for (auto d : hw::all_designs) {
        const auto& q = costs[static_cast<std::size_t>(d)];
        auto& row = designs[std::string(hw::pe(d).name)];
        row = {{"latency_s", q.latency_s},
               {"energy_j", q.energy_j},
               {"area_mm2", q.area_mm2},
               {"cycles", q.cycles}};
        if (s.kv_cache) {
          row["attention_latency_s"] = q.attention_latency_s;
          row["attention_energy_j"] = q.attention_energy_j;
        }
      }
      std::string line = j.dump();
      if (i + 1 < n) line += ',';
      line += '\n';
      std::fputs(line.c_str(), stdout);
    } else {
      std::string lead = std::to_string(i);
      lead += ',';
      lead += shape.name;
      lead += ',';
      if (batch) {
        lead += std::to_string(c.batch);
        lead += ',';
      }
      std::string t = tuple_text(p.tuple_of(s));
      std::replace(t.begin(), t.end(), ',', ' ');
      lead += t;
      lead += ',';
      lead += std::to_string(c.group);
      for (std::size_t k = 0; k < axes.size(); ++k) {
        lead += ',';
        lead += value_text(axes[k].values[p.values[k]]);
      }
      std::string rows;
      for (auto d : hw::all_designs) {
        const auto& q = costs[static_cast<std::size_t>(d)];
        rows += lead;
        rows += ',';
        rows += hw::pe(d).name;
        rows += ',';
        rows += value_text(q.latency_s);
        rows += ',';
        rows += value_text(q.energy_j);
        rows += ',';
        rows += value_text(q.area_mm2);
        rows += ',';
        rows += std::to_string(q.cycles);
        rows += ',';
        if (d == hw::design::anda) rows += a.pareto[i] ? "true" : "false";
        if (s.kv_cache) {
          rows += ',';
          rows += value_text(q.attention_latency_s);
          rows += ',';
          rows += value_text(q.attention_energy_j);
        }
        rows += '\n';
      }
      std::fputs(rows.c_str(), stdout);
    }
  }
  if (json) std::fputs("]}\n", stdout);
}

// ---- the table: the Pareto front ---------------------------------------------------------------

// The swept values of a point as "rows=16 clock_mhz=285" (model, tuple and group when several).
std::string point_label(const hw::sweep_space& s, const hw::sweep_point& p) {
  std::string l;
  auto add = [&l](const std::string& name, const std::string& value) {
    if (!l.empty()) l += ' ';
    l += name;
    l += '=';
    l += value;
  };
  if (s.models.size() > 1) add("model", s.models[p.model].name);
  if (s.batches.size() > 1) add("batch", std::to_string(s.batches[p.batch]));
  if (s.tuples.front().size() > 1) add("modules", tuple_text(p.tuple_of(s)));
  if (s.groups.size() > 1) add("group", std::to_string(s.groups[p.group]));
  for (std::size_t k = 0; k < s.hardware.axes.size(); ++k) {
    const auto& ax = s.hardware.axes[k];
    add(ax.field->name, format_number("%g", ax.values[p.values[k]]));
  }
  return l.empty() ? "(one point)" : l;
}

// The paper's design point for the sweep's first model, tuple and group: the built-in hardware.
hw::point_cost paper_point(const hw::sweep_space& s) {
  hw::run_config c;
  c.group = s.groups.front();
  c.ph = s.ph;
  c.tokens = s.tokens;
  c.batch = s.batches.front();
  c.kv_cache = s.kv_cache;
  const auto k = hw::evaluate(hw::design::anda, s.models.front(), s.tuples.front().front(), c);
  return hw::summarize(k);
}

void print_front(const hw::sweep_space& s, const anda_points& a, std::uint64_t n,
                 const std::string& file) {
  std::uint64_t on_front = 0;
  for (bool f : a.pareto) on_front += f ? 1 : 0;
  std::string dims;
  for (const auto& ax : s.hardware.axes) {
    if (!dims.empty()) dims += " x ";
    dims += std::to_string(ax.values.size());
    dims += ' ';
    dims += ax.field->name;
  }
  std::printf(
      "anda sweep: %llu points (%s), %s, %s%s\n", static_cast<unsigned long long>(n),
      dims.empty() ? "no hardware lists" : dims.c_str(),
      s.ph == hw::phase::prefill ? "prefill" : "decode",
      (std::to_string(s.tokens) + " tokens").c_str(),
      s.kv_cache ? ", + attention over the KV cache [our extension, not in the paper]" : "");
  std::printf("hardware: %s\n", file.empty() ? "the paper's accelerator" : file.c_str());
  const auto paper = paper_point(s);
  std::string batch;
  if (shows_batch(s)) {
    batch = ", batch ";
    batch += std::to_string(s.batches.front());
  }
  std::printf("the paper's accelerator at (%s, %s, G = %d%s): %.4gs, %.4gJ, %.3g mm2\n",
              s.models.front().name.c_str(), tuple_text(s.tuples.front().front()).c_str(),
              s.groups.front(), batch.c_str(), paper.latency_s, paper.energy_j, paper.area_mm2);
  if (s.kv_cache)
    std::printf("  of which attention, %s: %.4gs (%.1f%%), %.4gJ (%.1f%%)\n", kv_cache_label,
                paper.attention_latency_s, 100 * paper.attention_latency_s / paper.latency_s,
                paper.attention_energy_j, 100 * paper.attention_energy_j / paper.energy_j);
  std::printf(
      "\nPareto front of the anda design (latency, energy, area; per model%s): %llu of %llu\n",
      s.batches.size() > 1 ? " and batch" : "", static_cast<unsigned long long>(on_front),
      static_cast<unsigned long long>(n));
  std::printf("%12s %10s %8s  %s\n", "latency", "energy", "mm2", "point");
  std::vector<std::uint64_t> front;
  for (std::uint64_t i = 0; i < n; ++i)
    if (a.pareto[i]) front.push_back(i);
  std::stable_sort(front.begin(), front.end(),
                   [&a](std::uint64_t x, std::uint64_t y) { return a.cost[x][2] < a.cost[y][2]; });
  const std::size_t shown = std::min<std::size_t>(front.size(), 40);
  for (std::size_t k = 0; k < shown; ++k) {
    const auto i = front[k];
    std::printf("%11.4gs %9.4gJ %8.3f  %s\n", a.cost[i][0], a.cost[i][1], a.cost[i][2],
                point_label(s, hw::sweep_point_at(s, i)).c_str());
  }
  if (shown < front.size())
    std::printf("... and %zu more (--csv or --json for all)\n", front.size() - shown);
}

// ---- the plot: area against latency, energy as colour ------------------------------------------

std::string colour(double f) {  // 0 -> dark blue, 1 -> yellow (a viridis-like ramp)
  const double stops[4][3] = {{68, 1, 84}, {49, 104, 142}, {53, 183, 121}, {253, 231, 37}};
  f = std::clamp(f, 0.0, 1.0) * 3;
  const int i = std::min(static_cast<int>(f), 2);
  const double t = f - i;
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x",
                static_cast<int>(stops[i][0] + t * (stops[i + 1][0] - stops[i][0])),
                static_cast<int>(stops[i][1] + t * (stops[i + 1][1] - stops[i][1])),
                static_cast<int>(stops[i][2] + t * (stops[i + 1][2] - stops[i][2])));
  return buf;
}

// The first model's points (at most 4000 off the front, evenly picked, and all of the front), the
// front joined in area order, and the paper's design point as a red cross.
void write_plot(const std::string& path, const hw::sweep_space& s, const anda_points& a,
                std::uint64_t n) {
  const std::uint64_t per_model = n / hw::sweep_workloads(s);  // the first model and batch
  const auto paper = paper_point(s);
  std::vector<std::uint64_t> shown, front;
  const std::uint64_t stride = std::max<std::uint64_t>(1, per_model / 4000);
  for (std::uint64_t i = 0; i < per_model; ++i)
    if (a.pareto[i])
      front.push_back(i);
    else if (i % stride == 0)
      shown.push_back(i);
  double x0 = paper.area_mm2, x1 = x0, y0 = paper.latency_s, y1 = y0, e0 = a.cost[0][1], e1 = e0;
  for (std::uint64_t i = 0; i < per_model; ++i) {
    x0 = std::min(x0, a.cost[i][2]), x1 = std::max(x1, a.cost[i][2]);
    y0 = std::min(y0, a.cost[i][0]), y1 = std::max(y1, a.cost[i][0]);
    e0 = std::min(e0, a.cost[i][1]), e1 = std::max(e1, a.cost[i][1]);
  }
  auto widen = [](double& lo, double& hi) {
    const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(0.05 * std::fabs(hi), 1e-12);
    lo -= pad, hi += pad;
  };
  widen(x0, x1);
  widen(y0, y1);
  const double w = 760, h = 560, left = 80, top = 50, pw = 560, ph = 440;
  auto px = [&](double v) { return left + pw * (v - x0) / (x1 - x0); };
  auto py = [&](double v) { return top + ph - ph * (v - y0) / (y1 - y0); };
  auto ef = [&](double e) { return e1 > e0 ? (e - e0) / (e1 - e0) : 0.5; };
  std::ostringstream out;
  std::string title = "anda sweep: ";
  title += s.models.front().name;
  title += ", anda design, ";
  title += std::to_string(per_model);
  title += " points, ";
  title += std::to_string(front.size());
  title += " on the Pareto front";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" viewBox=\"0 0 " << w << " " << h << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << w << "\" height=\"" << h << "\" fill=\"white\"/>\n"
      << "<text x=\"" << w / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">"
      << xml_escape(title) << "</text>\n"
      << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (int k = 0; k <= 4; ++k) {  // ticks
    const double xv = x0 + (x1 - x0) * k / 4, yv = y0 + (y1 - y0) * k / 4;
    out << "<text x=\"" << px(xv) << "\" y=\"" << top + ph + 16 << "\" text-anchor=\"middle\">"
        << format_number("%.3g", xv) << "</text>\n"
        << "<text x=\"" << left - 6 << "\" y=\"" << py(yv) + 4 << "\" text-anchor=\"end\">"
        << format_number("%.3g", yv) << "</text>\n";
  }
  out << "<text x=\"" << left + pw / 2 << "\" y=\"" << top + ph + 36
      << "\" text-anchor=\"middle\">chip area (mm2)</text>\n"
      << "<text x=\"20\" y=\"" << top + ph / 2
      << "\" text-anchor=\"middle\" transform=\"rotate(-90 20 " << top + ph / 2
      << ")\">latency (s)</text>\n";
  auto dot = [&](std::uint64_t i, double r, const char* stroke) {
    const auto& c = a.cost[i];
    out << "<circle cx=\"" << px(c[2]) << "\" cy=\"" << py(c[0]) << "\" r=\"" << r << "\" fill=\""
        << colour(ef(c[1])) << "\" stroke=\"" << stroke << "\"><title>"
        << xml_escape(point_label(s, hw::sweep_point_at(s, i))) << ": "
        << format_number("%.4g", c[0]) << " s, " << format_number("%.4g", c[1]) << " J, "
        << format_number("%.3f", c[2]) << " mm2</title></circle>\n";
  };
  for (auto i : shown) dot(i, 2.5, "none");
  std::vector<std::uint64_t> line = front;  // the front in area order, as a guide for the eye
  std::sort(line.begin(), line.end(),
            [&a](std::uint64_t x, std::uint64_t y) { return a.cost[x][2] < a.cost[y][2]; });
  if (line.size() > 1) {
    out << "<polyline fill=\"none\" stroke=\"#c00\" stroke-width=\"0.8\" points=\"";
    for (auto i : line) out << px(a.cost[i][2]) << "," << py(a.cost[i][0]) << " ";
    out << "\"/>\n";
  }
  for (auto i : front) dot(i, 4, "black");
  const double cx = px(paper.area_mm2), cy = py(paper.latency_s);
  out << "<path d=\"M" << cx - 7 << " " << cy - 7 << " L" << cx + 7 << " " << cy + 7 << " M"
      << cx - 7 << " " << cy + 7 << " L" << cx + 7 << " " << cy - 7
      << "\" stroke=\"#e00\" stroke-width=\"2.5\"><title>the paper's design point: "
      << format_number("%.4g", paper.latency_s) << " s, " << format_number("%.4g", paper.energy_j)
      << " J, " << format_number("%.3f", paper.area_mm2) << " mm2</title></path>\n"
      << "<text x=\"" << cx + 9 << "\" y=\"" << cy - 9 << "\" fill=\"#e00\">paper</text>\n";
  // Legend: the energy colour bar, the front, the paper's point.
  const double lx = left + pw + 30, ly = top + 20;
  out << "<text x=\"" << lx << "\" y=\"" << ly - 8 << "\">energy (J)</text>\n";
  for (int k = 0; k < 20; ++k)
    out << "<rect x=\"" << lx << "\" y=\"" << ly + 200 - (k + 1) * 10
        << "\" width=\"16\" height=\"10\" fill=\"" << colour(k / 19.0) << "\"/>\n";
  out << "<text x=\"" << lx + 20 << "\" y=\"" << ly + 200 << "\">" << format_number("%.3g", e0)
      << "</text>\n<text x=\"" << lx + 20 << "\" y=\"" << ly + 10 << "\">"
      << format_number("%.3g", e1) << "</text>\n<circle cx=\"" << lx + 8 << "\" cy=\"" << ly + 230
      << "\" r=\"4\" fill=\"#888\" stroke=\"black\"/><text x=\"" << lx + 18 << "\" y=\"" << ly + 234
      << "\">Pareto front</text>\n<text x=\"" << lx << "\" y=\"" << ly + 260
      << "\" fill=\"#e00\">x paper</text>\n</svg>\n";
  io::write_output_file(path, out.str());  // atomic, as every output file (output_file.hpp)
}

int run_sweep(const sweep_options& o) {
  if (o.json && o.csv) throw std::runtime_error("--json and --csv are exclusive");
  const auto s = make_space(o);
  const std::uint64_t n = s.size();
  const auto a = cost_anda(s, n);
  if (!o.plot.empty()) write_plot(o.plot, s, a, n);
  if (o.json || o.csv)
    write_rows(s, a, n, o.json);
  else
    print_front(s, a, n, o.hardware);
  return 0;
}

}  // namespace

command add_sweep(CLI::App& parent) {
  auto* app = parent.add_subcommand(
      "sweep", "design-space sweep: a hardware file with lists, models, tuples, group sizes");
  auto o = std::make_shared<sweep_options>();
  app->add_option("--hardware", o->hardware,
                  "the accelerator as a JSON file; any number may be a list of values "
                  "(anda whatif --print-hardware writes one to start from)");
  app->add_option("--model", o->models, "presets, repeated or comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  auto* mods = app->add_option("--modules", o->modules, "an Anda tuple QKV,O,U,D; repeat for more")
                   ->allow_extra_args(false);
  app->add_option("--mantissa", o->mantissas, "uniform Anda mantissa lengths M, comma-separated")
      ->delimiter(',')
      ->check(count_range(1, 16))
      ->excludes(mods);
  app->add_option("--group", o->groups, "activation group sizes G, comma-separated")
      ->delimiter(',')
      ->check(group_sizes())
      ->capture_default_str();
  app->add_option("--tokens", o->tokens,
                  "prefill tokens, or the context length of a decode step (1..10^12)")
      ->check(count_range(1, whatif_max_tokens))
      ->capture_default_str();
  app->add_option("--phase", o->phase, "prefill or decode")->capture_default_str();
  app->add_flag("--kv-cache", o->kv_cache,
                "decode: add the attention over the KV cache of --tokens positions (our extension, "
                "not in the paper)");
  app->add_option("--batch", o->batches,
                  "decode: sequences per step, comma-separated (a front per model and batch)")
      ->delimiter(',')
      ->check(count_range(1, whatif_max_batch))
      ->capture_default_str();
  app->add_flag("--json", o->json, "one JSON object: every point and design, Pareto flags");
  app->add_flag("--csv", o->csv, "one CSV row per point and design");
  app->add_option("--plot", o->plot, "also write the Pareto front as an SVG to this file");
  return {app, [o]() { return run_sweep(*o); }};
}

}  // namespace anda::tools
