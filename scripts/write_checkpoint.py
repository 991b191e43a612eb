#!/usr/bin/env python3
"""Writes a random-weight checkpoint of a real model's shape, in the Hugging Face layout.

    python3 scripts/write_checkpoint.py tinyllama-1.1b /tmp/tinyllama --dtype float16
    python3 scripts/write_checkpoint.py llama-2-7b /tmp/llama2 --shard-gb 2

The folder gets config.json, model.safetensors.index.json and model-0000i-of-0000N.safetensors
shards (F16 or BF16), with the tensor names, shapes and config keys that transformers writes for
that architecture, so `anda eval` / `anda search` read it as they read the real checkpoint. The
values are random, not a language model: this exists to measure memory and speed at real size
without downloading weights. Only Python's standard library is used.

Values: every weight has a random sign and mantissa and a magnitude in [2^-7, 2^-5) (std ~0.02
like the models' own initialization); norm weights lie in [1, 1.25); OPT's biases are weights too.
"""

import argparse
import json
import os
import struct
import sys

SHAPES = {
    # name: (family, config); sizes from each model's Hugging Face config.json.
    "tinyllama-1.1b": ("llama", dict(hidden_size=2048, num_hidden_layers=22, num_attention_heads=32,
                                     num_key_value_heads=4, intermediate_size=5632, vocab_size=32000,
                                     max_position_embeddings=2048, rope_theta=10000.0,
                                     tie_word_embeddings=False)),
    "llama-2-7b": ("llama", dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                                 num_key_value_heads=32, intermediate_size=11008, vocab_size=32000,
                                 max_position_embeddings=4096, rope_theta=10000.0,
                                 tie_word_embeddings=False)),
    "llama-3-8b": ("llama", dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                                 num_key_value_heads=8, intermediate_size=14336, vocab_size=128256,
                                 max_position_embeddings=8192, rope_theta=500000.0,
                                 tie_word_embeddings=False)),
    "llama-3.1-8b": ("llama", dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                                   num_key_value_heads=8, intermediate_size=14336,
                                   vocab_size=128256, max_position_embeddings=131072,
                                   rope_theta=500000.0, tie_word_embeddings=False,
                                   rope_scaling=dict(rope_type="llama3", factor=8.0,
                                                     low_freq_factor=1.0, high_freq_factor=4.0,
                                                     original_max_position_embeddings=8192))),
    "opt-6.7b": ("opt", dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                             ffn_dim=16384, vocab_size=50272, max_position_embeddings=2048,
                             word_embed_proj_dim=4096, do_layer_norm_before=True,
                             tie_word_embeddings=True)),
}

# Per 16-bit element: bits kept from the random draw, and bits set. F16: exponent 8 or 9
# (2^-7..2^-5); BF16: exponent 120 or 121. Norms: exponent of 1.0, a few random mantissa bits.
PATTERNS = {
    "float16": {"weight": (0x87FF, 0x2000), "norm": (0x00FF, 0x3C00)},
    "bfloat16": {"weight": (0x80FF, 0x3C00), "norm": (0x001F, 0x3F80)},
}
CHUNK = 1 << 22  # elements generated at once (8 MB)


def config_of(name, dtype):
    family, c = SHAPES[name]
    config = dict(c)
    if family == "llama":
        config.update(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu",
                      rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False,
                      head_dim=c["hidden_size"] // c["num_attention_heads"])
    else:
        config.update(architectures=["OPTForCausalLM"], model_type="opt",
                      activation_function="relu", enable_bias=True,
                      layer_norm_elementwise_affine=True, _remove_final_layer_norm=False)
    config["torch_dtype"] = dtype
    return family, config


def tensors_of(family, c):
    """(name, shape, kind) of every tensor, in the order transformers lists them."""
    h, layers, v = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    out = []
    if family == "llama":
        hd = c["head_dim"]
        q, kv, f = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd, c["intermediate_size"]
        out.append(("model.embed_tokens.weight", [v, h], "weight"))
        for i in range(layers):
            p = f"model.layers.{i}."
            out += [(p + "input_layernorm.weight", [h], "norm"),
                    (p + "post_attention_layernorm.weight", [h], "norm"),
                    (p + "self_attn.q_proj.weight", [q, h], "weight"),
                    (p + "self_attn.k_proj.weight", [kv, h], "weight"),
                    (p + "self_attn.v_proj.weight", [kv, h], "weight"),
                    (p + "self_attn.o_proj.weight", [h, q], "weight"),
                    (p + "mlp.gate_proj.weight", [f, h], "weight"),
                    (p + "mlp.up_proj.weight", [f, h], "weight"),
                    (p + "mlp.down_proj.weight", [h, f], "weight")]
        out.append(("model.norm.weight", [h], "norm"))
        if not c["tie_word_embeddings"]:
            out.append(("lm_head.weight", [v, h], "weight"))
        return out
    f, e = c["ffn_dim"], c["word_embed_proj_dim"]
    d = "model.decoder."
    out += [(d + "embed_tokens.weight", [v, e], "weight"),
            (d + "embed_positions.weight", [c["max_position_embeddings"] + 2, h], "weight")]
    if e != h:
        out += [(d + "project_in.weight", [h, e], "weight"), (d + "project_out.weight", [e, h], "weight")]
    for i in range(layers):
        p = f"{d}layers.{i}."
        for m in ("q_proj", "k_proj", "v_proj", "out_proj"):
            out += [(p + f"self_attn.{m}.weight", [h, h], "weight"), (p + f"self_attn.{m}.bias", [h], "weight")]
        for n in ("self_attn_layer_norm", "final_layer_norm"):
            out += [(p + f"{n}.weight", [h], "norm"), (p + f"{n}.bias", [h], "weight")]
        out += [(p + "fc1.weight", [f, h], "weight"), (p + "fc1.bias", [f], "weight"),
                (p + "fc2.weight", [h, f], "weight"), (p + "fc2.bias", [h], "weight")]
    if c["do_layer_norm_before"]:
        out += [(d + "final_layer_norm.weight", [h], "norm"), (d + "final_layer_norm.bias", [h], "weight")]
    return out


def count(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def write_random(f, n, keep, set_bits):
    """n random 16-bit elements: (draw & keep) | set_bits, through Python's big integers."""
    keep_all = int.from_bytes(struct.pack("<H", keep) * CHUNK, "little")
    set_all = int.from_bytes(struct.pack("<H", set_bits) * CHUNK, "little")
    while n > 0:
        m = min(n, CHUNK)
        if m < CHUNK:
            keep_all &= (1 << (16 * m)) - 1
            set_all &= (1 << (16 * m)) - 1
        r = int.from_bytes(os.urandom(2 * m), "little")
        f.write(((r & keep_all) | set_all).to_bytes(2 * m, "little"))
        n -= m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shape", choices=sorted(SHAPES))
    ap.add_argument("out", help="checkpoint folder to create")
    ap.add_argument("--dtype", choices=sorted(PATTERNS), default="float16")
    ap.add_argument("--shard-gb", type=float, default=2.0, help="largest shard in GB (1e9 bytes)")
    a = ap.parse_args()

    family, config = config_of(a.shape, a.dtype)
    tensors = tensors_of(family, config)
    # Shards: consecutive tensors up to --shard-gb each.
    limit, shards, size = int(a.shard_gb * 1e9), [[]], 0
    for t in tensors:
        b = 2 * count(t[1])
        if shards[-1] and size + b > limit:
            shards.append([])
            size = 0
        shards[-1].append(t)
        size += b
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    st_dtype = "F16" if a.dtype == "float16" else "BF16"
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for t_name, shape, _ in shard:
            b = 2 * count(shape)
            header[t_name] = {"dtype": st_dtype, "shape": shape, "data_offsets": [offset, offset + b]}
            offset += b
            weight_map[t_name] = name
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)  # the data section 8-byte aligned, as safetensors writes
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for _, shape, kind in shard:
                write_random(f, count(shape), *PATTERNS[a.dtype][kind])
        total += offset
        print(f"{name}: {offset / 1e9:.2f} GB", file=sys.stderr)
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    print(f"{a.out}: {a.shape}, {a.dtype}, {total / 1e9:.2f} GB in {len(shards)} shards", file=sys.stderr)


if __name__ == "__main__":
    main()
