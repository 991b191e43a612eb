"""Fake-quantizing a 4096 x 4096 float32 array from Python (anda.quantize) against the same work
in C++ (bench_encode's quantize/float32_4096x4096: encode_float + decode_to into a reused
buffer), in one run; ratio = Python time / C++ time.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/bench_python.py build/release/bench/bench_encode
"""

import json
import statistics
import subprocess
import sys
import time

import numpy as np

import anda


def python_ms(x, mantissa, out=None, repeats=15):
    """Median wall time of anda.quantize; out=None allocates the result array each call (its
    pages are touched for the first time), out=array reuses one, as the C++ benchmark does."""
    anda.quantize(x, mantissa=mantissa, out=out)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        anda.quantize(x, mantissa=mantissa, out=out)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def cpp_ms(bench_encode):
    out = subprocess.run([bench_encode, "--benchmark_filter=quantize/",
                          "--benchmark_format=json", "--benchmark_min_time=1"],
                         capture_output=True, text=True, check=True).stdout
    return {int(b["name"].split("M:")[1]): b["real_time"] for b in json.loads(out)["benchmarks"]}


def main():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4096, 4096)).astype(np.float32)
    x[:, 13::97] *= 40  # outlier channels, as in bench_encode
    cpp = cpp_ms(sys.argv[1])
    print(f"backend: {anda.backend()}")
    out = np.empty_like(x)
    print(f"{'M':>3} {'C++ ms':>8} {'Python ms':>10} {'ratio':>6} {'out= ms':>8} {'ratio':>6}")
    for mantissa in sorted(cpp):
        fresh, reused = python_ms(x, mantissa), python_ms(x, mantissa, out)
        c = cpp[mantissa]
        print(f"{mantissa:>3} {c:>8.1f} {fresh:>10.1f} {fresh / c:>6.3f} {reused:>8.1f} "
              f"{reused / c:>6.3f}")


if __name__ == "__main__":
    main()
