// Encodes a row with Anda<64, 4> and checks the decoded values: proves the package is usable.
#include <anda/anda.hpp>

#include <cstdio>

int main() {
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(2, 100);
  const auto t = anda::activation_tensor::encode(anda::format{64, 4}, x);
  const Eigen::MatrixXf y = t.decode_float();
  const float err = (x - y).cwiseAbs().maxCoeff();
  std::printf("consumer: %zu x %zu, %.3f bits/element, max error %g\n", t.rows(), t.cols(),
              t.bits_per_element(), err);
  return err < 0.125f ? 0 : 1;
}
