// The README's first example, compiled against the installed or added-as-subdirectory package.
#include <anda/anda.hpp>
#include <anda/hw/hwmodel.hpp>

#include <cstdio>

int main() {
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(4, 4096);  // 4 tokens, K = 4096
  auto t = anda::encode(anda::format{64, 7}, x);         // G = 64, M = 7, truncate
  Eigen::MatrixXf y = t.decode_float();                  // exact decode of the planes
  double bits = t.bits_per_element();                    // 1 + 7 + 8/64 = 8.125

  Eigen::MatrixXf w = Eigen::MatrixXf::Random(1024, 4096);               // a 4096 -> 1024 layer
  auto W = anda::int_weights::quantize(w, anda::weight_type::int4_sym);  // INT4, FP16 scale/128
  Eigen::MatrixXf out = anda::gemm(t, W);  // exact FP-INT GeMM: 4 x 1024

  // The cost model (anda::hwmodel): Anda [7,6,6,6] on LLaMA-2-7B, against FP-FP.
  const auto shape = anda::hw::find_preset("llama2-7b");
  if (!shape) return 1;
  const auto c = anda::hw::compare(*shape, {7, 6, 6, 6}, anda::hw::run_config{});
  const double speedup = c.ratio(anda::hw::design::anda).speedup;

  const float err = (x - y).cwiseAbs().maxCoeff();
  std::printf("consumer: %.3f bits/element, max error %g, output %ld x %ld, Anda speedup %.2fx\n",
              bits, err, long(out.rows()), long(out.cols()), speedup);
  return err < 1.0f / 64 && bits == 8.125 && out.rows() == 4 && out.cols() == 1024 && speedup > 1
             ? 0
             : 1;
}
