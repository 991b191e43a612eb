// The one list of backends. Everything that needs "every ISA" (the library's default choice,
// the tests, the benchmarks, the Python module, the docs) iterates over backends(); a new
// backend is its header and one line below.
#pragma once

#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "anda/format/error.hpp"
#include "anda/kernels/amx.hpp"
#include "anda/kernels/avx2.hpp"
#include "anda/kernels/avx512.hpp"
#include "anda/kernels/avx_vnni.hpp"
#include "anda/kernels/backend.hpp"
#include "anda/kernels/neon.hpp"
#include "anda/kernels/scalar.hpp"

namespace anda::kernels {

// The backends compiled into this build, from the most portable to the most specialised: the
// default is the last one this CPU supports.
inline std::span<const backend* const> backends() {
  static constexpr const backend* compiled[] = {
      &scalar::record,  // any CPU
#ifdef ANDA_KERNELS_X86
      &avx2::record,      // Haswell, Zen 1
      &avx_vnni::record,  // Alder Lake, Zen 5
      &avx512::record,    // Ice Lake Xeon, Zen 4
      &amx::record,       // Sapphire Rapids
#endif
#ifdef ANDA_KERNELS_ARM64
      &neon::record,  // every ARM64 CPU
#endif
  };
  return compiled;
}

// Every backend name anda knows, compiled into this build or not (for ANDA_ISA's messages).
inline constexpr std::string_view known_backends[] = {"scalar", "avx2", "avx_vnni",
                                                      "avx512", "amx",  "neon"};

// The backend named `name` in this build, or null.
inline const backend* find_backend(std::string_view name) {
  for (const backend* b : backends())
    if (b->name == name) return b;
  return nullptr;
}

// The best backend this CPU runs.
inline const backend& best_backend() {
  const backend* best = backends().front();
  for (const backend* b : backends())
    if (b->supported()) best = b;
  return *best;
}

// The backend named `name`, which this CPU must run; throws anda::error saying why not.
inline const backend& require_backend(std::string_view name) {
  // Built with append(): GCC 12 reports false -Wrestrict warnings for chains of operator+ at -O3.
  std::string message{"ANDA_ISA="};
  message.append(name);
  const backend* b = find_backend(name);
  if (b && b->supported()) return *b;
  if (b) {
    message.append(": this CPU lacks ").append(b->missing());
  } else {
    bool known = false;
    for (const auto k : known_backends) known = known || k == name;
    message.append(known ? ": this build of anda has no such backend (it has "
                         : " is not a known backend (this build has ");
    for (const backend* each : backends())
      message.append(each == backends().front() ? "" : ", ").append(each->name);
    message.append(")");
  }
  throw error(message);
}

// ANDA_ISA if set (read once per process), else the best backend this CPU runs.
inline const backend& selected_backend() {
  static const backend& chosen = []() -> const backend& {
    const char* requested = std::getenv("ANDA_ISA");
    return requested && *requested ? require_backend(requested) : best_backend();
  }();
  return chosen;
}

}  // namespace anda::kernels
