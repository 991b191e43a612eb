// `anda gemm`: Y = X W^T with X encoded to Anda and W quantized to INT4/INT8 (round to nearest),
// through the exact FP-INT GeMM, from .npy files: what the library computes, for scripts and
// for checking other implementations (the Python module is tested against it).
#include <anda/anda.hpp>
#include <anda/io/npy.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "activation_input.hpp"
#include "commands.hpp"
#include "options.hpp"

namespace anda::tools {
namespace {

struct gemm_cli_options {
  std::string x_path, w_path, output;
  format_options format;
  std::string weights = "int4";
  std::size_t weight_group = 128;
  std::string mode = "fp32";
  int threads = 1;
  bool json = false;
};

int run_gemm(const gemm_cli_options& o) {
  const format fmt = o.format.make();
  const auto type = parse_weight_type(o.weights);
  const auto mode = parse_accumulate(o.mode);
  if (!type || !mode) throw std::invalid_argument("unknown --weights or --mode");

  const io::npy_array xa = io::read_npy(o.x_path);
  const auto [T, K] = activation_shape(xa, o.x_path);
  const activation_tensor X =
      xa.dtype == io::npy_dtype::float16
          ? encode(fmt, reinterpret_cast<const std::uint16_t*>(xa.data.data()), T, K, K)
          : encode_float(fmt, reinterpret_cast<const float*>(xa.data.data()), T, K, K);

  const io::npy_array wa = io::read_npy(o.w_path);
  if (wa.dtype != io::npy_dtype::float32 || wa.shape.size() != 2)
    throw io::npy_error(o.w_path + ": expected float32 weights [N, K]");
  const std::size_t N = wa.shape[0];
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const row_major> wm(reinterpret_cast<const float*>(wa.data.data()),
                                       Eigen::Index(N), Eigen::Index(wa.shape[1]));
  const int_weights W = int_weights::quantize(wm, *type, o.weight_group);

  gemm_stats stats;
  const Eigen::MatrixXf y = gemm(X, W, {*mode, o.threads, nullptr, &stats});
  const row_major rows = y;  // the file is C order
  io::write_npy(o.output, {rows.data(), std::size_t(rows.size())}, {T, N});

  if (o.json) {
    const nlohmann::json j = {{"x", o.x_path},
                              {"w", o.w_path},
                              {"output", o.output},
                              {"t", T},
                              {"k", K},
                              {"n", N},
                              {"group", fmt.group()},
                              {"mantissa", fmt.mantissa()},
                              {"weights", std::string(to_string(*type))},
                              {"weight_group", o.weight_group},
                              {"mode", o.mode},
                              {"fp16_overflows", stats.fp16_overflows},
                              {"backend", std::string(kernels::selected_backend().name)}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("anda gemm: [%zu x %zu] Anda G=%d M=%d x [%zu x %zu]^T %s g%zu (%s) -> %s\n", T, K,
                fmt.group(), fmt.mantissa(), N, K, std::string(to_string(*type)).c_str(),
                o.weight_group, o.mode.c_str(), o.output.c_str());
    if (stats.fp16_overflows)
      std::printf("  FP16 overflows of group results: %zu\n", stats.fp16_overflows);
  }
  return 0;
}

}  // namespace

command add_gemm(CLI::App& parent) {
  auto o = std::make_shared<gemm_cli_options>();
  auto* app = parent.add_subcommand("gemm", "Y = X W^T: Anda activations x INT weights (.npy)");
  app->add_option("x", o->x_path, "activations .npy, float16 or float32, [T, K] or [K]")
      ->required();
  app->add_option("w", o->w_path, "weights .npy, float32 [N, K] (nn.Linear layout)")->required();
  app->add_option("-o,--output", o->output, "output .npy, float32 [T, N]")->required();
  add_format_options(app, o->format, /*group_required=*/false);
  app->add_option("--weights", o->weights, "int4 | int4-asym | int8 (round to nearest)")
      ->check(CLI::IsMember({"int4", "int4-asym", "int8"}))
      ->capture_default_str();
  app->add_option("--weight-group", o->weight_group, "weights per FP16 scale along K")
      ->check(count_range(1, std::int64_t{1} << 30))
      ->capture_default_str();
  app->add_option("--mode", o->mode, "fp32 | paper (group results rounded to FP16)")
      ->check(CLI::IsMember({"fp32", "paper"}))
      ->capture_default_str();
  app->add_option("--threads", o->threads, "threads over output channels")
      ->check(count_range(1, 4096))
      ->capture_default_str();
  app->add_flag("--json", o->json, "print a one-line JSON report");
  return {app, [o] { return run_gemm(*o); }};
}

}  // namespace anda::tools
