// `anda quantize`: encode a .npy array to Anda and write the decoded values, with a report of
// what the format cost (bits per element, error, flushes to zero, saturations).
#include <anda/anda.hpp>
#include <anda/io/npy.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>

#include "activation_input.hpp"
#include "commands.hpp"

namespace anda::tools {
namespace {

struct quantize_options {
  format_options format;
  std::string input, output;
  bool json = false;
};

struct quantize_report {
  std::size_t elements = 0, flushed = 0, saturated = 0, nonfinite_groups = 0;
  double max_abs_error = 0, signal = 0, noise = 0;
};

// Compares the decoded tensor with the input (as given, float32 or float16) element by element;
// saturations are re-derived from the reference encoder under each group's stored exponent.
quantize_report measure(const activation_tensor& t, const std::vector<std::uint16_t>& fp16_bits,
                        const std::vector<float>& input, const std::vector<float>& decoded) {
  quantize_report rep;
  const format& fmt = t.fmt();
  for (std::size_t r = 0; r < t.rows(); ++r) {
    for (std::size_t g = 0; g < t.groups_per_row(); ++g) {
      const unsigned E = t.exponent(r, g);
      if (E == reference::nonfinite_exponent) {
        ++rep.nonfinite_groups;
        continue;
      }
      const std::size_t end = std::min(t.cols(), (g + 1) * fmt.group());
      for (std::size_t c = g * fmt.group(); c < end; ++c) {
        const double x = input[r * t.cols() + c];
        const double v = decoded[r * t.cols() + c];
        const auto h = fp16::from_bits(fp16_bits[r * t.cols() + c]);
        ++rep.elements;
        rep.max_abs_error = std::max(rep.max_abs_error, std::abs(x - v));
        rep.signal += x * x;
        rep.noise += (x - v) * (x - v);
        if (!h.is_zero() && v == 0) ++rep.flushed;  // by Anda, not by the FP16 conversion
        if (reference::rounded_magnitude(h, E, fmt.mantissa(), fmt.round()) > fmt.max_magnitude())
          ++rep.saturated;
      }
    }
  }
  return rep;
}

int run_quantize(const quantize_options& o) {
  const format fmt = o.format.make();

  const io::npy_array a = io::read_npy(o.input);
  const auto [rows, cols] = activation_shape(a, o.input);

  // The input as float (for the error report) and as FP16 bits (what gets encoded).
  std::vector<float> input(a.size());
  std::vector<std::uint16_t> bits(a.size());
  if (a.dtype == io::npy_dtype::float16) {  // the reader refuses empty arrays
    std::memcpy(bits.data(), a.data.data(), a.data.size());
    for (std::size_t i = 0; i < bits.size(); ++i) input[i] = fp16::from_bits(bits[i]).to_float();
  } else {
    std::memcpy(input.data(), a.data.data(), a.data.size());
    kernels::selected_backend().float_to_fp16(input.data(), bits.data(), input.size());
  }
  const auto t = [&] {
    try {
      return encode(fmt, bits.data(), rows, cols, cols);
    } catch (const nonfinite_error& e) {
      throw explain_nonfinite(e, input.data(), cols);  // "overflows FP16" for a finite float
    }
  }();
  std::vector<float> out(a.size());  // decoded once, row-major: the report and the file
  t.decode_to(out.data(), cols);
  const quantize_report rep = measure(t, bits, input, out);
  io::write_npy(o.output, out, a.shape);

  const double sqnr = rep.noise > 0 ? 10 * std::log10(rep.signal / rep.noise)
                                    : std::numeric_limits<double>::infinity();
  const double flushed_share = rep.elements ? double(rep.flushed) / double(rep.elements) : 0.0;
  if (o.json) {
    nlohmann::json j = {{"input", o.input},
                        {"output", o.output},
                        {"shape", a.shape},
                        {"group", fmt.group()},
                        {"mantissa", fmt.mantissa()},
                        {"rounding", std::string(to_string(fmt.round()))},
                        {"nonfinite", std::string(to_string(fmt.nonfinite_policy()))},
                        {"bits_per_element", t.bits_per_element()},
                        {"max_abs_error", rep.max_abs_error},
                        {"sqnr_db", std::isfinite(sqnr) ? nlohmann::json(sqnr) : nlohmann::json()},
                        {"flushed_to_zero", flushed_share},
                        {"flushed_to_zero_count", rep.flushed},
                        {"saturations", rep.saturated},
                        {"nonfinite_groups", rep.nonfinite_groups},
                        {"elements", rep.elements}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("Anda G=%d M=%d (%s, nonfinite %s): %zu x %zu -> %s\n", fmt.group(), fmt.mantissa(),
                std::string(to_string(fmt.round())).c_str(),
                std::string(to_string(fmt.nonfinite_policy())).c_str(), rows, cols,
                o.output.c_str());
    std::printf("  bits per element   %.4f (1 sign + %d mantissa + 8/%d exponent)\n",
                t.bits_per_element(), fmt.mantissa(), fmt.group());
    std::printf("  max abs error      %.6g\n", rep.max_abs_error);
    std::printf("  SQNR               %.2f dB\n", sqnr);
    std::printf("  flushed to zero    %.4f %% (%zu of %zu)\n", 100 * flushed_share, rep.flushed,
                rep.elements);
    std::printf("  saturations        %zu\n", rep.saturated);
    if (rep.nonfinite_groups)
      std::printf("  non-finite groups  %zu (decoded as NaN, left out of the error)\n",
                  rep.nonfinite_groups);
  }
  return 0;
}

}  // namespace

command add_quantize(CLI::App& parent) {
  auto o = std::make_shared<quantize_options>();
  auto* app = parent.add_subcommand("quantize", "encode a .npy array to Anda and decode it back");
  add_format_options(app, o->format, /*group_required=*/true);
  app->add_option("input", o->input, "input .npy (float16 or float32, 1-D or 2-D [rows, K])")
      ->required();
  app->add_option("-o,--output", o->output, "output .npy (float32, same shape)")->required();
  app->add_flag("--json", o->json, "print the report as one JSON object");
  return {app, [o] { return run_quantize(*o); }};
}

}  // namespace anda::tools
