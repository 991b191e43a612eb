#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (standard library only).

safetensors: small valid files of every dtype (with metadata, empty and scalar tensors) and the
header of each test-data checkpoint file with its data section cut (realistic JSON to mutate).
npy: the small oracle .npy files. hf_config: the test-data config.json files.
tokenizer: each reference tokenizer.json cut down to a few hundred tokens and their merges (under
-max_len), a NUL byte, and one of its edge-case texts.
"""
import json, os, struct, sys

data, out = sys.argv[1], sys.argv[2]


def st(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def put(kind, name, blob):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(blob)


f16 = struct.pack("<6H", 0x0000, 0x8000, 0x3C00, 0x7BFF, 0x7C00, 0x0001)
bf16 = struct.pack("<4H", 0x3F80, 0xC0A0, 0x7F80, 0x7FC1)
f32 = struct.pack("<3f", 1.5, -2.0, 1e-40)
put("safetensors", "mixed", st([("a", "F16", [2, 3], f16), ("b", "BF16", [4], bf16),
                                ("c", "F32", [3, 1], f32)], {"format": "pt"}))
put("safetensors", "empty_and_scalar", st([("e", "F32", [0, 5], b""), ("s", "F16", [], f16[:2])]))
put("safetensors", "no_tensors", st([], {"format": "pt"}))
put("safetensors", "llama_names", st([("model.layers.0.self_attn.q_proj.weight", "F16", [2, 2], f16[:8]),
                                      ("model.norm.weight", "BF16", [2], bf16[:4])]))
models = os.path.join(data, "models")
for model in sorted(os.listdir(models)):
    for fn in sorted(os.listdir(os.path.join(models, model))):
        path = os.path.join(models, model, fn)
        if fn.endswith(".safetensors"):
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                put("safetensors", model + "_" + fn + ".header", struct.pack("<Q", n) + f.read(n))
        if fn == "config.json":
            with open(path, "rb") as f:
                put("hf_config", model + ".json", f.read())
# An OPT config (whatif --config reads OPT too; no OPT checkpoint is in the test data).
put("hf_config", "opt.json", json.dumps({
    "model_type": "opt", "hidden_size": 768, "ffn_dim": 3072, "num_hidden_layers": 12,
    "num_attention_heads": 12, "vocab_size": 50272, "max_position_embeddings": 2048,
    "word_embed_proj_dim": 768, "do_layer_norm_before": True}).encode())
oracles = os.path.join(data, "oracles", "mx")
small = sorted(fn for fn in os.listdir(oracles)
               if fn.endswith(".npy") and os.path.getsize(os.path.join(oracles, fn)) <= 20000)
for fn in small[:8]:
    with open(os.path.join(oracles, fn), "rb") as f:
        put("npy", fn, f.read())


def npy(descr, shape, raw, major):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    lead = 8 + (2 if major == 1 else 4)
    text += " " * (-(lead + len(text) + 1) % 64) + "\n"
    size = struct.pack("<H" if major == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + size + text.encode() + raw


put("npy", "tiny_f2_v1.npy", npy("<f2", [2, 3], f16, 1))
put("npy", "tiny_f4_v2.npy", npy("<f4", [3], f32, 2))
put("npy", "tiny_f4_v3.npy", npy("<f4", [1, 3, 1], f32, 3))


# tokenizer: small but complete tokenizer.json files (same components, fewer tokens) + NUL + text.
tokenizers = os.path.join(data, "tokenizers")
for name in sorted(os.listdir(tokenizers)):
    folder = os.path.join(tokenizers, name)
    if not os.path.isdir(folder):
        continue
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    with open(os.path.join(folder, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    model = tok["model"]
    vocab = {t: i for t, i in model["vocab"].items() if i < 300}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    model["vocab"], model["merges"] = vocab, merges[:40]
    small = json.dumps(tok, ensure_ascii=False, separators=(",", ":")).encode()
    for i, case in enumerate(cases[:16]):
        put("tokenizer", "%s_%02d" % (name, i), small + b"\0" + case["text"].encode()[:400])
