"""The Python module and the C++ `anda` command give identical results: quantize, GeMM, what-if."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import anda
import seeds
from reference import llm_rows, same_bits


def test_quantize_matches_anda_quantize(tmp_path, anda_tool):
    rng = seeds.rng(11)
    x32 = llm_rows(rng, 9, 333)
    # zeros, subnormals, the FP16 maximum, just below and at the overflow tie 65520
    x32[0, :7] = [0.0, -0.0, 6e-8, -3e-5, 65504.0, 65519.0, -65520.0]
    x32[1, 10] = 1e5  # FP16 overflow: Inf under propagate
    x32[2, 100] = np.nan
    x16 = llm_rows(rng, 4, 200).astype(np.float16)
    cases = [(x32, dict(group=64, mantissa=5, rounding="truncate", nonfinite="propagate")),
             (x32, dict(group=32, mantissa=9, rounding="nearest_even", nonfinite="propagate")),
             (x32[3:], dict(group=256, mantissa=3, rounding="nearest_away", nonfinite="reject")),
             (x16, dict(group=8, mantissa=13, rounding="nearest_even", nonfinite="reject")),
             (x16[0], dict(group=128, mantissa=1, rounding="truncate", nonfinite="reject"))]
    for i, (x, kw) in enumerate(cases):
        src, out = tmp_path / f"in{i}.npy", tmp_path / f"out{i}.npy"
        np.save(src, x)
        r = anda_tool("quantize", "-g", kw["group"], "-m", kw["mantissa"], "--rounding",
                      kw["rounding"], "--nonfinite", kw["nonfinite"], src, "-o", out)
        assert r.returncode == 0, r.stderr
        assert same_bits(anda.quantize(x, **kw), np.load(out)), (i, kw)


def test_nonfinite_rejected_by_both(tmp_path, anda_tool):
    x = np.ones((2, 64), np.float32)
    x[1, 3] = np.inf
    np.save(tmp_path / "x.npy", x)
    r = anda_tool("quantize", "-g", 64, "-m", 4, tmp_path / "x.npy", "-o", tmp_path / "y.npy")
    with pytest.raises(anda.NonFiniteError) as info:
        anda.quantize(x, mantissa=4)
    assert r.returncode == 1 and str(info.value) in r.stderr


GEMM_CASES = [
    # T, K, N, group, mantissa, rounding, weights, weight group, mode
    (1, 4096, 96, 64, 4, "truncate", "int4", 128, "fp32"),
    (5, 300, 33, 64, 7, "truncate", "int4", 128, "fp32"),
    (17, 200, 15, 8, 16, "nearest_even", "int8", 64, "fp32"),
    (3, 512, 48, 128, 11, "truncate", "int4-asym", 128, "paper"),
    (2, 256, 64, 256, 13, "nearest_away", "int8", 512, "paper"),
    (4, 192, 17, 32, 1, "truncate", "int4", 192, "fp32"),
]


@pytest.mark.parametrize("T,K,N,group,mantissa,rounding,weights,wg,mode", GEMM_CASES)
def test_gemm_matches_anda_gemm(tmp_path, anda_tool, T, K, N, group, mantissa, rounding, weights,
                                wg, mode):
    rng = seeds.rng(T * K + N)
    x = llm_rows(rng, T, K)
    w = (rng.standard_normal((N, K)) * 0.02).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "w.npy", w)
    r = anda_tool("gemm", tmp_path / "x.npy", tmp_path / "w.npy", "-o", tmp_path / "y.npy",
                  "-g", group, "-m", mantissa, "--rounding", rounding, "--weights", weights,
                  "--weight-group", wg, "--mode", mode, "--json")
    assert r.returncode == 0, r.stderr
    X = anda.encode(x, group=group, mantissa=mantissa, rounding=rounding)
    W = anda.quantize_weights(w, kind=weights, group_size=wg)
    y = anda.gemm(X, W, mode=mode)
    assert y.shape == (T, N) and y.dtype == np.float32 and y.flags.c_contiguous
    assert same_bits(y, np.load(tmp_path / "y.npy"))
    # any thread count gives the same bits
    assert same_bits(anda.gemm(X, W, mode=mode, threads=3), y)
    # and the product is the product: close to float64 of the decoded operands
    exact = X.decode().astype(np.float64) @ W.dequantize().astype(np.float64).T
    tolerance = 1e-5 if mode == "fp32" else 2e-3
    assert np.abs(y - exact).max() <= tolerance * np.abs(exact).max()


def test_backends_list_and_every_supported_backend_agrees(tmp_path):
    backends = anda.backends()
    names = [b["name"] for b in backends]
    assert names[0] == "scalar" and len(set(names)) == len(names)
    assert set(names) <= {"scalar", "avx2", "avx_vnni", "avx512", "amx", "neon"}
    for b in backends:
        assert b["supported"] == (b["missing"] == "")
        assert set(b["missing"].split()) <= set(b["needs"])
    supported = [b["name"] for b in backends if b["supported"]]
    if "ANDA_ISA" not in os.environ:
        assert anda.backend() == supported[-1]  # the default: the most specialised supported
    skipped = [b["name"] for b in backends if not b["supported"]]
    print(f"backends run: {supported}; skipped (CPU lacks their features): {skipped}")
    # A fresh interpreter per choice (ANDA_ISA is read once per process).
    script = (
        "import sys, numpy as np, anda\n"
        "rng = np.random.default_rng([int(sys.argv[2]), 5])\n"
        "x = rng.standard_normal((6, 640)).astype(np.float32)\n"
        "w = rng.standard_normal((40, 640)).astype(np.float32)\n"
        "y = anda.gemm(anda.encode(x, mantissa=9), anda.quantize_weights(w))\n"
        "q = anda.quantize(x, group=32, mantissa=6)\n"
        "np.save(sys.argv[1], np.concatenate([y.ravel(), q.ravel()]))\n"
        "print(anda.backend())\n")
    results = {}
    for name in supported:
        out = tmp_path / f"{name}.npy"
        r = subprocess.run([sys.executable, "-c", script, str(out), str(seeds.SEED)], capture_output=True, text=True,
                           env={**os.environ, "ANDA_ISA": name})
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == name
        results[name] = np.load(out)
    for name in supported:
        assert same_bits(results["scalar"], results[name]), name
    # A backend this CPU lacks, and an unknown name, are errors naming what is missing.
    for name in skipped + ["sse9"]:
        r = subprocess.run([sys.executable, "-c", "import anda; anda.backend()"],
                           capture_output=True, text=True, env={**os.environ, "ANDA_ISA": name})
        assert r.returncode != 0
        assert f"ANDA_ISA={name}" in r.stderr


def test_gemm_paper_mode_counts_overflows():
    x = np.full((1, 64), 60000.0, np.float32)
    w = np.full((16, 64), 1.0, np.float32)
    y, stats = anda.gemm(anda.encode(x, mantissa=11), anda.quantize_weights(w, kind="int8"),
                         mode="paper", stats=True)
    assert np.isinf(y).all() and stats == {"fp16_overflows": 16}
    y32 = anda.gemm(anda.encode(x, mantissa=11), anda.quantize_weights(w, kind="int8"))
    assert np.isfinite(y32).all()


def test_gemm_bad_arguments():
    x = anda.encode(np.ones((2, 128), np.float32), mantissa=4)
    w = anda.quantize_weights(np.ones((8, 128), np.float32))
    with pytest.raises(ValueError, match="K"):
        anda.gemm(x, anda.quantize_weights(np.ones((8, 64), np.float32)))
    with pytest.raises(ValueError, match="multiple"):
        anda.gemm(anda.encode(np.ones((2, 512), np.float32), group=256, mantissa=4),
                  anda.quantize_weights(np.ones((8, 512), np.float32), group_size=128))
    with pytest.raises(ValueError, match="2-D"):
        anda.gemm(anda.encode(np.ones(128, np.float32), mantissa=4), w)
    with pytest.raises(ValueError, match="mode"):
        anda.gemm(x, w, mode="fp16")
    with pytest.raises(ValueError, match="threads"):
        anda.gemm(x, w, threads=0)
    with pytest.raises(ValueError, match="threads"):
        anda.gemm(x, w, threads=10**9)
    with pytest.raises(TypeError):
        anda.gemm(np.ones((2, 128), np.float32), w)  # encode first


WHATIF_CASES = [
    ([], {}),
    (["--modules", "7,6,6,6"], {"modules": [7, 6, 6, 6]}),
    (["--mantissa", "5", "--phase", "decode", "--tokens", "4096"],
     {"mantissa": 5, "phase": "decode", "tokens": 4096}),
    (["--model", "opt-6.7b", "--dataset", "c4", "--group", "128"],
     {"model": "opt-6.7b", "dataset": "c4", "group": 128}),
    (["--model", "llama3-8b", "--modules", "9,7,8,8", "--tokens", "512"],
     {"model": "llama3-8b", "modules": (9, 7, 8, 8), "tokens": 512}),
]


@pytest.mark.parametrize("args,kwargs", WHATIF_CASES)
def test_whatif_matches_anda_whatif_json(anda_tool, args, kwargs):
    r = anda_tool("whatif", "--json", *args)
    assert r.returncode == 0, r.stderr
    assert anda.whatif(**kwargs) == json.loads(r.stdout)


def test_whatif_from_a_config_file(anda_tool, data_dir):
    config = data_dir / "models" / "tiny-gqa-random" / "config.json"
    r = anda_tool("whatif", "--json", "--config", config, "--modules", "6,5,6,6")
    assert r.returncode == 0, r.stderr
    result = anda.whatif(config=config, modules=[6, 5, 6, 6])
    assert result == json.loads(r.stdout) and result["shape"]["kv_heads"] < result["shape"]["heads"]


def test_whatif_bad_arguments(anda_tool):
    r = anda_tool("whatif", "--model", "gpt-5")
    with pytest.raises(ValueError, match="unknown model") as info:
        anda.whatif("gpt-5")
    assert "unknown model" in r.stderr and "opt-125m" in str(info.value)
    for kwargs, message in [({"modules": [7, 6, 6]}, "four"), ({"modules": [7, 6, 6, 0]}, "1..16"),
                            ({"mantissa": 17}, "1..16"), ({"phase": "train"}, "phase"),
                            ({"tokens": 0}, "tokens"), ({"dataset": "pile"}, "dataset"),
                            ({"modules": [7, 6, 6, 6], "mantissa": 4}, "exclude"),
                            ({"model": "llama2-7b", "config": "config.json"}, "not both"),
                            ({"config": "/nonexistent/config.json"}, "cannot open")]:
        with pytest.raises(ValueError, match=message):
            anda.whatif(**kwargs)
    for modules in [["7", "6", "6", "6"], [7.5, 6, 6, 6], [True, 6, 6, 6], "7,6,6,6"]:
        with pytest.raises(TypeError, match="modules"):
            anda.whatif(modules=modules)
    with pytest.raises(TypeError, match="tokens"):
        anda.whatif(tokens=2048.0)
    with pytest.raises(ValueError, match="tokens"):
        anda.whatif(tokens=2**70)
    # numpy integers and path-likes (str, bytes, pathlib) are fine
    assert anda.whatif(modules=np.array([7, 6, 6, 6]), tokens=np.int64(512))["tokens"] == 512
    with pytest.raises(ValueError, match="/nonexistent.json: cannot open"):
        anda.whatif(config=b"/nonexistent.json")


def test_whatif_config_and_counts_as_strict_as_the_command(anda_tool, data_dir, tmp_path):
    # Issue 15, items 4, 5 and 10: the strict config reader of `anda eval`, the format's group
    # sizes and a bounded token count, with the same messages as the command line.
    base = json.loads((data_dir / "models" / "tiny-gqa-random" / "config.json").read_text())
    config = tmp_path / "config.json"
    for patch, key in [({"hidden_size": 384.7}, "'hidden_size'"),
                       ({"hidden_size": 1e30}, "'hidden_size'"),
                       ({"num_hidden_layers": "2"}, "'num_hidden_layers'"),
                       ({"num_attention_heads": 1000, "num_key_value_heads": 1000,
                         "head_dim": None}, "num_attention_heads")]:
        config.write_text(json.dumps({**base, **patch}))
        r = anda_tool("whatif", "--config", config)
        assert r.returncode == 1 and key in r.stderr
        with pytest.raises(ValueError, match=key) as info:
            anda.whatif(config=config)
        assert r.stderr.strip() == "anda: error: " + str(info.value)[len("whatif: "):]
    for kwargs, message in [({"group": 48}, "group"), ({"group": 4096}, "group"),
                            ({"tokens": 10**12 + 1}, "tokens"), ({"tokens": 2**63 - 1}, "tokens")]:
        with pytest.raises(ValueError, match=message):
            anda.whatif(**kwargs)


def test_anda_gemm_errors_leave_no_output(tmp_path, anda_tool):
    np.save(tmp_path / "x.npy", np.ones((2, 64), np.float32))
    np.save(tmp_path / "x3.npy", np.ones((2, 2, 64), np.float32))
    np.save(tmp_path / "w.npy", np.ones((8, 64), np.float32))
    np.save(tmp_path / "w16.npy", np.ones((8, 64), np.float16))
    np.save(tmp_path / "wk.npy", np.ones((8, 32), np.float32))
    out = tmp_path / "y.npy"
    for args, message in [(["x3.npy", "w.npy", "-m", 4], "1-D or 2-D"),
                          (["x.npy", "w16.npy", "-m", 4], "float32 weights"),
                          (["x.npy", "wk.npy", "-m", 4], "K"),
                          (["x.npy", "w.npy", "-m", 0], "M = 0"),
                          (["x.npy", "w.npy", "-m", 4, "--weights", "int2"], "int2"),
                          (["x.npy", "w.npy", "-m", 4, "--threads", 0], "threads")]:
        paths = [tmp_path / a if str(a).endswith(".npy") else a for a in args]
        r = anda_tool("gemm", *paths, "-o", out)
        assert r.returncode == 1 and message in r.stderr and r.stderr.startswith("anda: error:"), r
        assert not out.exists()
