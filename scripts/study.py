#!/usr/bin/env python3
"""The accuracy study of the README (the analogue of the paper's Table II for a local model).

Runs `anda eval` and `anda search` and prints markdown tables: FP16 weights and activations,
W4A16, uniform Anda M = 4..13 with INT4 weights, the tuples the search finds at 0.1 % and 1 %,
and per-module sensitivity (one module swept, the others at 13).
Usage: python3 scripts/study.py [--anda build/release/tools/anda] [--model DIR] [--windows 64]
"""
import argparse
import json
import subprocess
import sys

p = argparse.ArgumentParser()
p.add_argument("--anda", default="build/release/tools/anda")
p.add_argument("--model", default="tests/data/models/tiny-llama-en")
p.add_argument("--windows", type=int, default=64, help="held-out windows per evaluation")
p.add_argument("--calib-windows", type=int, default=16)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
tokens = f"{a.model}/eval_tokens.i32"


def run(args):
    out = subprocess.run([a.anda] + args + ["--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def ppl(weights, activations=None, modules=None):
    args = ["eval", "--model", a.model, "--tokens", tokens, "--windows", str(a.windows),
            "--weights", weights, "--threads", str(a.threads)]
    args += ["--activations", activations] if activations else ["--modules", ",".join(map(str, modules))]
    r = run(args)
    print(f"  {weights} {activations or modules}: {r['perplexity']:.4f}", file=sys.stderr)
    return r["perplexity"]


def bops_reduction(m):  # MACs per token of the model's four module types (hwmodel's definition)
    cfg = json.load(open(f"{a.model}/config.json"))
    d, f = cfg["hidden_size"], cfg["intermediate_size"]
    hd = cfg.get("head_dim", d // cfg["num_attention_heads"])
    kv = cfg.get("num_key_value_heads", cfg["num_attention_heads"]) * hd
    macs = [d * (cfg["num_attention_heads"] * hd + 2 * kv), cfg["num_attention_heads"] * hd * d, 2 * d * f, f * d]
    return 16 * sum(macs) / sum(w * x for w, x in zip(macs, m))


fp16 = ppl("fp16", "fp16")
w4a16 = ppl("int4", "fp16")
print(f"Perplexity on the first {a.windows} held-out windows of 256 tokens "
      f"({a.windows * 256} tokens); the change is relative to W4A16 (INT4 g128 weights, FP16 activations).\n")
print("| weights | activations | perplexity | change vs W4A16 | BOPs reduction |")
print("|---|---|---:|---:|---:|")
print(f"| FP16 | FP16 | {fp16:.3f} | | |")
print(f"| INT4 g128 | FP16 (W4A16) | {w4a16:.3f} | 0 | 1.00x |")
for m in range(4, 14):
    v = ppl("int4", modules=[m] * 4)
    print(f"| INT4 g128 | Anda M={m} | {v:.3f} | {100 * (v - w4a16) / w4a16:+.2f} % | {16 / m:.2f}x |")
for tol in (0.001, 0.01):
    r = run(["search", "--model", a.model, "--tolerance", str(tol), "--windows", str(a.calib_windows),
             "--eval-windows", str(a.windows), "--threads", str(a.threads)])
    if "best" in r:
        m = r["best"]
        v = r["eval"]["perplexity"]
        print(f"| INT4 g128 | Anda {m} (search, {100 * tol:g} %, {len(r['trace'])} evaluations) | "
              f"{v:.3f} | {100 * (v - w4a16) / w4a16:+.2f} % | {bops_reduction(m):.2f}x |")
    else:
        print(f"| INT4 g128 | search at {100 * tol:g} %: no tuple accepted | | | |")

print("\nPer-module sensitivity (INT4 g128 weights; one module at M, the others at 13):\n")
print("| M | " + " | ".join(["A_qkv", "A_o", "A_u", "A_d"]) + " |")
print("|---:|---:|---:|---:|---:|")
for m in range(4, 14):
    row = []
    for i in range(4):
        t = [13] * 4
        t[i] = m
        row.append(f"{ppl('int4', modules=t):.3f}")
    print(f"| {m} | " + " | ".join(row) + " |")
