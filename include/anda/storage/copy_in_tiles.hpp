// Copying between Eigen matrices of opposite storage orders (a transpose in memory).
#pragma once

#include <Eigen/Core>

#include <algorithm>

namespace anda {

// out = x for matrices of the same shape and opposite storage orders, copied in 16 x 16 tiles so
// that both sides stay in cache (a plain assignment walks one of them with a large stride).
template <class From, class To>
void copy_in_tiles(const From& x, To&& out) {
  constexpr Eigen::Index tile = 16;
  for (Eigen::Index c0 = 0; c0 < x.cols(); c0 += tile)
    for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += tile) {
      const Eigen::Index nr = std::min(tile, x.rows() - r0), nc = std::min(tile, x.cols() - c0);
      out.block(r0, c0, nr, nc) = x.block(r0, c0, nr, nc);
    }
}

}  // namespace anda
