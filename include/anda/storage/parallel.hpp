// Work split into parts run at once: part 0 on the calling thread, the others on std::jthreads
// started for the call. Callers split their work by fixed rules (blocks of output channels, heads)
// so that results never depend on how many parts run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace anda {

// Runs fn(part) for part = 0 .. parts - 1 concurrently and returns when all are done. An
// exception thrown by a part is rethrown here: that of the lowest part that threw.
template <class Fn>
void run_parts(std::size_t parts, const Fn& fn) {
  if (parts <= 1) {
    if (parts == 1) fn(std::size_t{0});
    return;
  }
  std::vector<std::exception_ptr> errors(parts);
  auto run = [&](std::size_t part) {
    try {
      fn(part);
    } catch (...) {
      errors[part] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> workers;
    workers.reserve(parts - 1);
    for (std::size_t part = 1; part < parts; ++part) workers.emplace_back(run, part);
    run(0);
  }  // joined
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Items [0, count) split into min(threads, count) contiguous ranges of nearly equal size, run
// at once: fn(part, begin, end) with range p = [count * p / parts, count * (p + 1) / parts).
template <class Fn>
void run_ranges(std::size_t count, std::size_t threads, const Fn& fn) {
  const std::size_t parts = std::min(threads, count);
  run_parts(parts,
            [&](std::size_t part) { fn(part, count * part / parts, count * (part + 1) / parts); });
}

}  // namespace anda
