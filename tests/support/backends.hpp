// The backends every encoder and GeMM test runs: each one in anda::kernels::backends() that
// this CPU supports. The first call prints which run and which are skipped, and why.
#pragma once

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <anda/kernels/registry.hpp>

namespace anda::test {

inline const std::vector<const kernels::backend*>& runnable_backends() {
  static const std::vector<const kernels::backend*> list = [] {
    std::vector<const kernels::backend*> run;
    std::string ran, skipped;
    for (const kernels::backend* b : kernels::backends()) {
      if (b->supported()) {
        run.push_back(b);
        ran.append(" ").append(b->name);
      } else {
        skipped.append(" ").append(b->name).append(" (this CPU lacks ").append(b->missing());
        skipped.append(")");
      }
    }
    std::cout << "backends tested:" << ran << "; skipped:" << (skipped.empty() ? " none" : skipped)
              << std::endl;
    return run;
  }();
  return list;
}

// The runnable backends other than the scalar reference (what "agrees with scalar" tests check).
inline std::vector<const kernels::backend*> runnable_simd_backends() {
  std::vector<const kernels::backend*> simd;
  for (const kernels::backend* b : runnable_backends())
    if (b != &kernels::scalar::record) simd.push_back(b);
  return simd;
}

// The runnable SIMD backends with an encoder of their own: one that shares another's (avx_vnni
// has avx2's) is tested once, under the first name, and said so once.
inline const std::vector<const kernels::backend*>& runnable_simd_encoders() {
  static const std::vector<const kernels::backend*> list = [] {
    std::vector<const kernels::backend*> distinct;
    for (const kernels::backend* b : runnable_simd_backends()) {
      const auto same = std::ranges::find(distinct, b->encode, &kernels::backend::encode);
      if (same == distinct.end())
        distinct.push_back(b);
      else
        std::cout << "encoder of " << b->name << " is " << (*same)->name << "'s: tested as "
                  << (*same)->name << std::endl;
    }
    return distinct;
  }();
  return list;
}

}  // namespace anda::test
