// Encode a batch of LLM-like activations to Anda at several mantissa lengths and see what each
// costs in bits and error; then drop planes to go from M = 8 to M = 4 without re-encoding.
#include <anda/anda.hpp>

#include <cstdio>

int main() {
  // 8 tokens x 4096 channels, with a few outlier channels as real LLM activations have.
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(8, 4096);
  x.col(17) *= 40.0f;
  x.col(2049) *= 60.0f;

  for (int m : {4, 6, 8, 11}) {
    const auto t = anda::encode(anda::format{64, m}, x);
    const Eigen::MatrixXf y = t.decode_float();
    const double rel = (x - y).norm() / x.norm();
    std::printf("G=64 M=%-2d %6.3f bits/element  relative error %.2e\n", m, t.bits_per_element(),
                rel);
  }

  // Planes are progressive under truncation: the 4-bit tensor is the 8-bit one minus 4 planes.
  const auto t8 = anda::encode(anda::format{64, 8}, x);
  const auto t4 = anda::encode(anda::format{64, 4}, x);
  const bool same = t8.drop_planes(4).decode_float() == t4.decode_float();
  std::printf("drop_planes(8 -> 4) equals encoding with M = 4: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
