#!/usr/bin/env python3
# Example: measure Anda on your own LLaMA checkpoint in PyTorch. Prints the perplexity with FP32
# module inputs, then with Anda module inputs (anda.pytorch hooks), and the relative change.
"""Perplexity of a LLaMA checkpoint with FP32 and with Anda activations, in PyTorch.

    PYTHONPATH=<build>/python python3 examples/python/anda_perplexity.py \\
        --model /path/to/checkpoint --tokens eval_tokens.i32 --modules 7,6,6,6 --windows 16

The model is this folder's tiny_llama.py (plain PyTorch, float32), or with --hf a transformers
LlamaForCausalLM. Windows of the token stream are fed alone, without BOS, as `anda eval` does, so
the numbers can be compared with `anda eval --modules 7,6,6,6`.
"""

import argparse
import sys

import torch

import anda
import anda.pytorch
import tiny_llama


def load_model(folder, hf):
    """A float32 LLaMA in eval mode: transformers' LlamaForCausalLM with --hf, else tiny_llama."""
    if hf:
        from transformers import LlamaForCausalLM  # only needed with --hf

        return LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    return tiny_llama.load_llama(folder)


def show_progress(label):
    """A progress callback that writes 'label: window i/n' to stderr."""

    def progress(done, total):
        end = "\n" if done == total else "\r"
        print(f"{label}: window {done}/{total}", end=end, file=sys.stderr, flush=True)

    return progress


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="checkpoint folder (config.json, *.safetensors)")
    parser.add_argument("--tokens", required=True, help="token ids, int32 little-endian (.i32)")
    parser.add_argument("--modules", default="7,6,6,6", help="Anda M_qkv,M_o,M_u,M_d (default 7,6,6,6)")
    parser.add_argument("--windows", type=int, default=None, help="windows (default: all whole windows)")
    parser.add_argument("--window-len", type=int, default=256, help="tokens per window (default 256)")
    parser.add_argument("--group", type=int, default=64, help="Anda group size (default 64)")
    parser.add_argument("--rounding", default="truncate", help="truncate (default), nearest_even, nearest_away")
    parser.add_argument("--weights", choices=["fp32", "int4"], default="fp32",
                        help="fp32 (as loaded) or int4 (RTN, scale group 128, dequantized)")
    parser.add_argument("--hf", action="store_true", help="load with transformers' LlamaForCausalLM")
    args = parser.parse_args()
    try:
        modules = [int(m) for m in args.modules.split(",")]
    except ValueError:
        parser.error(f"--modules {args.modules!r}: expected four integers like 7,6,6,6")

    model = load_model(args.model, args.hf)
    if args.weights == "int4":
        anda.pytorch.quantize_weights(model, "int4", group_size=128)
    tokens = tiny_llama.read_tokens(args.tokens)

    fp32 = tiny_llama.perplexity(model, tokens, args.window_len, args.windows, show_progress("fp32"))
    with anda.pytorch.attach(model, modules, group=args.group, rounding=args.rounding):
        quantized = tiny_llama.perplexity(model, tokens, args.window_len, args.windows,
                                          show_progress("anda"))

    windows = len(fp32["window_nll"])
    change = quantized["perplexity"] / fp32["perplexity"] - 1
    print(f"FP32 perplexity: {fp32['perplexity']:.6f} "
          f"(weights {args.weights}, {windows} windows x {args.window_len} tokens)")
    print(f"Anda perplexity: {quantized['perplexity']:.6f} "
          f"(modules [{args.modules}], group {args.group}, {args.rounding})")
    print(f"relative change: {change:+.3%}")


if __name__ == "__main__":
    main()
