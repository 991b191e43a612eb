// A linear layer y = x W^T with INT4 weights and Anda activations, written as Eigen code, and
// what each mantissa length costs numerically against the FP32 product.
#include <anda/anda.hpp>

#include <cstdio>
#include <random>

int main() {
  // 16 tokens of LLM-like activations (Gaussian, a few outlier channels), a 4096 -> 1024 layer.
  std::mt19937 rng(42);
  std::normal_distribution<float> gauss;
  Eigen::MatrixXf x(16, 4096);
  for (Eigen::Index k = 0; k < x.cols(); ++k)
    for (Eigen::Index t = 0; t < x.rows(); ++t)
      x(t, k) = gauss(rng) * (k % 97 == 13 ? 30.0f : 1.0f);
  const Eigen::MatrixXf w = Eigen::MatrixXf::Random(1024, 4096) * 0.02f;

  // Weights: INT4, round to nearest, one FP16 scale per 128 inputs of each output channel.
  const auto W = anda::int_weights::quantize(w, anda::weight_type::int4_sym, 128);
  const Eigen::MatrixXf y_fp32 = x * W.dequantize().transpose();  // FP32 baseline

  std::printf("M   bits/elem  rel. error of y vs FP32 GEMM (same INT4 weights)\n");
  for (int M = 4; M <= 13; ++M) {
    const auto X = anda::encode(anda::format{64, M}, x);
    const Eigen::MatrixXf y = anda::gemm(X, W);  // exact FP-INT GeMM, FP32 accumulation
    std::printf("%-3d %9.3f  %.3e\n", M, X.bits_per_element(), (y - y_fp32).norm() / y_fp32.norm());
  }

  // The result can also go straight into part of a larger matrix.
  Eigen::MatrixXf all_heads = Eigen::MatrixXf::Zero(16, 2048);
  anda::gemm(anda::encode(anda::format{64, 7}, x), W, all_heads.middleCols(1024, 1024));
  std::printf("written into columns 1024..2047: |y| = %.3f\n", all_heads.norm());
  return 0;
}
