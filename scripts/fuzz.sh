#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang, ASan + UBSan) and runs each for a bounded time,
# seeded from the test-data checkpoints, configs and oracle .npy files; prints executions and
# findings. Not part of CI (scripts/test.sh): run it by hand.
#   scripts/fuzz.sh [seconds per target, default 60] [targets..., default all]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy hf_config tokenizer)
out=build/fuzz

# clang with libFuzzer's runtime (Debian: libclang-rt-<version>-dev).
cxx=${CXX_FUZZ:-clang++}
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    "$cxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  version=$("$cxx" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang "libclang-rt-${version}-dev"
fi

mkdir -p "$out"
rm -rf "$out/seeds"
python3 fuzz/make_seeds.py tests/data "$out/seeds"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -Iinclude -isystem /usr/include/eigen3)

status=0
summary=()
for t in "${targets[@]}"; do
  echo "== building fuzz_$t"
  extra=()
  # The tokenizer target: PCRE2 and utf8proc, and the reference tokenizers of the test data.
  [ "$t" = tokenizer ] && extra=(-DANDA_TEST_DATA_DIR="\"$PWD/tests/data\""
                                 $(pkg-config --cflags --libs libpcre2-8 libutf8proc))
  "$cxx" "${flags[@]}" "fuzz/fuzz_$t.cpp" "${extra[@]}" -o "$out/fuzz_$t"
  corpus="$out/corpus/$t"
  crashes="$out/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  echo "== running fuzz_$t for ${seconds}s"
  log="$out/fuzz_$t.log"
  set +e
  "$out/fuzz_$t" "$corpus" "$out/seeds/$t" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$crashes" -type f | wc -l)
  [ "$rc" -eq 0 ] || status=1
  [ "$found" -eq 0 ] || status=1
  line="fuzz_$t: ${runs:-?} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs, $found findings (exit $rc)"
  summary+=("$line")
  echo "$line"
  [ "$rc" -eq 0 ] || tail -40 "$log"
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
