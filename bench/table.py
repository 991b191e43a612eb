#!/usr/bin/env python3
"""Turns bench_gemm's JSON output into the markdown tables of bench/README.md (ratios in-run)."""
import json
import re
import sys
from collections import defaultdict

data = json.load(open(sys.argv[1]))
rate, time_ms = {}, {}
for b in data["benchmarks"]:
    name = b["name"].replace("/real_time", "")
    if "GOP/s" in b:
        rate[name] = b["GOP/s"] / 1e9
    if "bytes_per_second" in b:
        rate[name] = b["bytes_per_second"] / 1e9
    time_ms[name] = b["real_time"] if b.get("time_unit") == "ms" else b["real_time"] / 1e6

int8_peak, int16_peak, dram = rate["peak/vnni_int8"], rate["peak/vnni_int16"], rate["peak/dram_read"]
print(f"In-run peaks: INT8 VNNI {int8_peak:.0f} GOP/s, INT16 VNNI {int16_peak:.0f} GOP/s, "
      f"DRAM read {dram:.1f} GB/s.\n")
print("| K x N | T | anda M=4 | M=7 | M=11 | eigen_f32 | dequant_f16_panel | onednn_s8 | "
      "M=4 / eigen | M=4 / onednn | M=4 vs bound | M=11 vs bound |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
shapes = sorted({re.match(r"gemm/\w+/(\d+x\d+)/", n).group(1) for n in rate if n.startswith("gemm/")},
                key=lambda s: [int(v) for v in s.split("x")])
for shape in shapes:
    K, N = (int(v) for v in shape.split("x"))
    for T in (1, 16, 128, 512):
        g = lambda impl, M=None: rate.get(f"gemm/{impl}/{shape}/T:{T}" + (f"/M:{M}" if M else ""))
        a4, a7, a11 = g("anda", 4), g("anda", 7), g("anda", 11)
        if a4 is None:
            continue
        e, d, o = g("eigen_f32"), g("dequant_f16_panel"), g("onednn_s8")
        if T == 1:  # memory bound: INT4 codes + FP16 scales per 128
            bound_ms = K * N * (4 + 16 / 128) / 8 / (dram * 1e9) * 1e3
            t4 = time_ms[f"gemm/anda/{shape}/T:{T}/M:4"]
            t11 = time_ms[f"gemm/anda/{shape}/T:{T}/M:11"]
            b4, b11 = f"{bound_ms / t4:.0%} DRAM", f"{bound_ms / t11:.0%} DRAM"
        else:
            b4, b11 = f"{a4 / int8_peak:.0%} INT8", f"{a11 / int16_peak:.0%} INT16"
        print(f"| {shape} | {T} | {a4:.0f} | {a7:.0f} | {a11:.0f} | {e:.1f} | {d:.1f} | {o:.0f} | "
              f"{a4 / e:.1f}x | {a4 / o:.2f}x | {b4} | {b11} |")
