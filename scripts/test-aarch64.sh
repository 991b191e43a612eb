#!/usr/bin/env bash
# Cross-compiles the format, storage, kernel and GeMM tests for aarch64 (no -march: plain
# armv8-a) and runs them under qemu twice: on a Cortex-A72 (no dotprod: the NEON backend's
# widening-multiply GeMM) and on a Neoverse N1 (dotprod: its sdot GeMM). Exits non-zero on any
# failure. The x86 machine's own headers never enter the build: the compiler's standard include
# dirs minus /usr/include, plus a private dir of links to the header-only libraries.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(g++-aarch64-linux-gnu qemu-user libeigen3-dev catch2 libboost-dev nlohmann-json3-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

cxx=aarch64-linux-gnu-g++
build=build/aarch64
mkdir -p "$build/include" "$build/obj"
ln -sfn /usr/include/eigen3/Eigen "$build/include/Eigen"
for lib in catch2 boost nlohmann; do ln -sfn "/usr/include/$lib" "$build/include/$lib"; done

# The cross compiler's search list ends in the host's /usr/include (x86 glibc): drop it.
sys=()
while read -r dir; do
  case "$dir" in /usr/include | /usr/local/include) ;; *) sys+=(-isystem "$dir") ;; esac
done < <(echo | $cxx -xc++ -E -v - 2>&1 | sed -n '/<\.\.\.> search starts/,/End of/p' | grep '^ /')
flags=(-std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -pthread -nostdinc "${sys[@]}"
       -isystem "$build/include" -Iinclude -Itests/support)

sources=(tests/support/catch_main.cpp tests/format/*.cpp tests/storage/*.cpp tests/kernels/*.cpp
         tests/gemm/*.cpp)
start=$SECONDS
echo "compiling ${#sources[@]} test sources with $cxx"
objects=()
for src in "${sources[@]}"; do objects+=("$build/obj/$src.o"); done
mkdir -p "$build/obj/tests/"{support,format,storage,kernels,gemm}
# One compiler per core, only for objects older than their source or one of its headers
# (the dependency lists of the last build).
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} sh -c '
  cxx=$0 src=$1 out=$2; shift 2
  if [ -s "$out" ] && [ -s "$out.d" ]; then
    stale=0
    for dep in $(sed -e "s/^[^:]*://" -e "s/\\\\$//" "$out.d"); do
      [ "$dep" -nt "$out" ] && stale=1 && break
    done
    [ $stale = 0 ] && exit 0
  fi
  "$cxx" "$@" -MMD -MF "$out.d" -c "$src" -o "$out.tmp" && mv "$out.tmp" "$out"' \
  "$cxx" {} "$build/obj/{}.o" "${flags[@]}" || {
  echo "compilation failed" >&2
  exit 1
}
$cxx "${flags[@]}" -static "${objects[@]}" -o "$build/anda_tests"

# Which backend and GeMM path a CPU model gets, from the library itself.
cat >"$build/probe.cpp" <<'EOF'
#include <anda/kernels/registry.hpp>
#include <cstdio>
int main() {
  using namespace anda::kernels;
  const bool dot = cpu_has(cpu_feature::dotprod);
  std::printf("default backend %s; dotprod %s: the NEON GeMM runs %s\n",
              std::string(best_backend().name).c_str(), dot ? "present" : "absent",
              dot ? "sdot" : "smull/smlal + sadalp");
}
EOF
if [ ! -x "$build/probe" ] || [ -n "$(find include -newer "$build/probe" -print -quit)" ]; then
  $cxx "${flags[@]}" -static "$build/probe.cpp" -o "$build/probe"
fi
echo "built in $((SECONDS - start)) s"

# Left out under qemu, where each takes several minutes: the [exhaustive] oracle cases (every
# FP16 value under every group maximum, against the exact oracle) and "LLM-like rows match the
# exact rational oracle" (boost::multiprecision rationals). They check the selected encoder
# against oracles; "[exhaustive][kernels]", which runs, compares the NEON encoder's bytes with
# the scalar backend's on the same exhaustive inputs, and the x86 build runs them all.
filter='~[exhaustive]~"LLM-like rows match the exact rational oracle",[exhaustive][kernels]'
cpus=(cortex-a72 neoverse-n1)
for cpu in "${cpus[@]}"; do
  echo "qemu-aarch64 -cpu $cpu: $(qemu-aarch64 -cpu "$cpu" "$build/probe")"
done
# Both models at once (qemu runs one thread each), each into its own log.
t0=$SECONDS
pids=()
for cpu in "${cpus[@]}"; do
  qemu-aarch64 -cpu "$cpu" "$build/anda_tests" "$filter" >"$build/test-$cpu.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!cpus[@]}"; do
  cpu=${cpus[$i]}
  if wait "${pids[$i]}"; then result=passed; else result=FAILED; status=1; fi
  echo "== qemu-aarch64 -cpu $cpu: $result"
  cat "$build/test-$cpu.log"
done
echo "tests ran in $((SECONDS - t0)) s, $((SECONDS - start)) s in all"
[ $status = 0 ] && echo "aarch64: all passed" || echo "aarch64: FAILED" >&2
exit $status
