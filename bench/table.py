#!/usr/bin/env python3
"""Turns bench_gemm's JSON output into the markdown tables of bench/README.md (ratios in-run).

Backends and peaks are read from the run itself: every anda/<backend>/... row that ran gets its
columns; skipped rows (error_occurred: "skipped: ...") are listed under the table."""
import json
import re
import sys
from collections import defaultdict

data = json.load(open(sys.argv[1]))
rate, time_ms, skipped = {}, {}, defaultdict(list)
for b in data["benchmarks"]:
    # Google Benchmark appends /iterations:N and /real_time to the registered name.
    name = re.sub(r"/(iterations:\d+|real_time)", "", b["name"])
    if b.get("error_occurred"):
        skipped[b.get("error_message", "?")].append(name)
        continue
    if "GOP/s" in b:
        rate[name] = b["GOP/s"] / 1e9
    if "bytes_per_second" in b:
        rate[name] = b["bytes_per_second"] / 1e9
    unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    time_ms[name] = b["real_time"] * unit


def best(prefix):
    """The highest in-run peak among the probes named prefix/*, with its name."""
    found = [(v, n) for n, v in rate.items() if n.startswith(prefix + "/")]
    return max(found) if found else (None, None)


peaks = {n: v for n, v in rate.items() if n.startswith("peak/")}
print("In-run peaks: " + ", ".join(
    f"{n.removeprefix('peak/')} {v:.1f} {'GB/s' if 'dram' in n else 'GOP/s'}"
    for n, v in sorted(peaks.items())) + ".\n")
int8_peak, int8_name = best("peak/int8_dot")
dram = rate.get("peak/dram_read")

backends = []  # in the order of the run
for n in rate:
    m = re.match(r"anda/([^/]+)/", n)
    if m and m.group(1) not in backends:
        backends.append(m.group(1))
shapes = sorted({re.match(r"\w+/[^/]+/(\d+x\d+)/", n).group(1)
                 for n in rate if n.startswith(("anda/", "gemm/"))},
                key=lambda s: [int(v) for v in s.split("x")])
Ms = sorted({int(m.group(1)) for n in rate for m in [re.search(r"/M:(\d+)$", n)] if m})

cols = [f"{b} M={M}" for b in backends for M in Ms]
print("| K x N | T | " + " | ".join(cols) +
      " | eigen_f32 | dequant_f16_panel | onednn_s8 | best anda / eigen | best anda / onednn"
      " | best anda vs bound |")
print("|---|---:|" + "---:|" * (len(cols) + 6))
fmt = lambda v: "-" if v is None else f"{v:.3g}"  # GOP/s, 3 significant digits
for shape in shapes:
    K, N = (int(v) for v in shape.split("x"))
    for T in (1, 16, 128, 512):
        key = f"{shape}/T:{T}"
        anda = {(b, M): rate.get(f"anda/{b}/{key}/M:{M}") for b in backends for M in Ms}
        e, d, o = (rate.get(f"gemm/{impl}/{key}")
                   for impl in ("eigen_f32", "dequant_f16_panel", "onednn_s8"))
        if all(v is None for v in [*anda.values(), e, d, o]):
            continue
        ran = [(v, b, M) for (b, M), v in anda.items() if v is not None]
        a, ab, aM = max(ran) if ran else (None, None, None)
        if a is None:
            bound = "-"
        elif T == 1 and dram:  # memory bound: INT4 codes + FP16 scales per 128
            bound_ms = K * N * (4 + 16 / 128) / 8 / (dram * 1e9) * 1e3
            bound = f"{bound_ms / time_ms[f'anda/{ab}/{key}/M:{aM}']:.0%} DRAM"
        elif T > 1 and int8_peak:
            bound = f"{a / int8_peak:.0%} INT8 dot"
        else:
            bound = "-"
        ratio = lambda x, y: "-" if x is None or y is None else f"{x / y:.2f}x"
        print(f"| {shape} | {T} | " + " | ".join(fmt(anda[(b, M)]) for b in backends for M in Ms) +
              f" | {fmt(e)} | {fmt(d)} | {fmt(o)} | {ratio(a, e)} | {ratio(a, o)} | {bound} |")

print(f"\nbest anda = the fastest anda row of the line; INT8 dot peak = {int8_name} "
      f"(the best int8 dot-product probe this CPU ran); DRAM = peak/dram_read.")
if skipped:
    print("\nSkipped in this run:")
    for why, names in skipped.items():
        print(f"- {why.removeprefix('skipped: ')}: {len(names)} rows, e.g. {names[0]}")
