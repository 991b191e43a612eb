#!/usr/bin/env python3
"""anda.torch.quantize and anda.pytorch.attach on a CUDA GPU: exactness, throughput, a full model.

(a) correctness, for each kernel (the tensor-operations path, and the Triton kernel where it
    imports): anda.torch.quantize on the device equals the CPU result bit for bit, on the
    microxcaling vectors (tests/data/oracles/mx), on every FP16 bit pattern (M = 1..16, every
    rounding) and on LLM-like data (float16, bfloat16, float32; several M and roundings;
    Inf/NaN under both policies). The CPU reference is the C++
    anda.quantize when the compiled module imports, else anda.torch.quantize on the CPU.
(b) throughput: quantize of a [8192, 8192] float16 tensor (M = 7, G = 64) in GB/s of input read
    plus output written, against this device's copy bandwidth (goal: >= 50 %).
(c) a full model: a random-weight LLaMA of TinyLlama-1.1B's shape (transformers'
    LlamaForCausalLM from a config, no download; examples/python/tiny_llama.py in float32
    without transformers), float16, one perplexity pass over 8 x 2048 random tokens; tokens/s without
    and with anda.pytorch.attach(model, (7, 6, 6, 6)) (goal: at most 1.5x the time).

Uses the built anda package where it imports (PYTHONPATH=build/release/python), else this
tree's python/anda without the compiled module (then the CPU reference is anda.torch). Prints
one line per check (PASS, FAIL; INFO for timings off CUDA, which have no goal) and exits 1 on
any FAIL.

    python3 scripts/cuda_check.py                    # on the GPU
    python3 scripts/cuda_check.py --llama2-7b        # also LLaMA-2-7B's shape
    python3 scripts/cuda_check.py --device cpu --quick   # the script itself, small, anywhere
"""

import argparse
import ast
import importlib
import statistics
import sys
import time
import types
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ROUNDINGS = ("truncate", "nearest_even", "nearest_away")
BITS = {torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float32: torch.int32}


def import_anda():
    """(anda package, whether its C++ module imports): the built or installed package if it
    imports, else python/anda of this tree as the package, without running its __init__."""
    try:
        import anda  # noqa: F401  (its __init__ imports anda._core)
        import anda.pytorch
        import anda.torch
        return anda, True
    except ImportError:
        for name in [n for n in sys.modules if n == "anda" or n.startswith("anda.")]:
            del sys.modules[name]
    package = types.ModuleType("anda")
    package.__path__ = [str(ROOT / "python" / "anda")]
    sys.modules["anda"] = package
    import anda.pytorch  # noqa: F811
    import anda.torch  # noqa: F811
    return anda, False


anda, HAVE_CORE = import_anda()

failures = []


def report(ok, what):
    """ok: True (PASS), False (FAIL) or None (INFO: measured, not judged)."""
    tag = "INFO" if ok is None else "PASS" if ok else "FAIL"
    if ok is False:
        failures.append(what)
    print(f"{tag} {what}", flush=True)


def read_npy(path):
    """A C-order little-endian float16/float32 .npy file as a CPU tensor (no NumPy needed)."""
    data = Path(path).read_bytes()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    length_bytes = 2 if data[6] == 1 else 4
    header_len = int.from_bytes(data[8:8 + length_bytes], "little")
    start = 8 + length_bytes
    header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
    dtype = {"<f2": torch.float16, "<f4": torch.float32}[header["descr"]]
    if header["fortran_order"]:
        raise ValueError(f"{path}: Fortran order")
    body = bytearray(data[start + header_len:])
    return torch.frombuffer(body, dtype=dtype).reshape(header["shape"])


def cpu_reference(x, **fmt):
    """The CPU result for x (any device): C++ anda.quantize as anda.pytorch has always fed it
    (float16 as is, float32 and bfloat16 as float32; the result in x's dtype), or
    anda.torch.quantize on the CPU without the C++ module."""
    x = x.cpu()
    if not HAVE_CORE:
        return anda.torch.quantize(x, **fmt)
    array = (x if x.dtype == torch.float16 else x.float()).numpy()
    q = torch.from_numpy(anda.quantize(array.reshape(-1, x.shape[-1]), **fmt)).reshape(x.shape)
    # NaN is the dtype's quiet NaN, as anda.torch writes it (CPU torch makes bfloat16 0xFFFF)
    return q.to(x.dtype).masked_fill_(q.isnan(), float("nan"))


nan_payloads = []  # cases whose NaNs sit in the same places with other bits


def same_bits(a, b, case):
    """Bit for bit; a NaN with another payload (a device's own NaN) is noted, not failed."""
    a, b = a.cpu().contiguous(), b.cpu().contiguous()
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if torch.equal(a.view(BITS[a.dtype]), b.view(BITS[b.dtype])):
        return True
    nan = b.isnan()
    if torch.equal(a.isnan(), nan) and torch.equal(a[~nan].view(BITS[a.dtype]),
                                                   b[~nan].view(BITS[b.dtype])):
        nan_payloads.append(case)
        return True
    return False


def llm_like(rows, cols, generator, device):
    """A normal body with outlier channels (x60), like LLM activations; float32."""
    x = torch.randn(rows, cols, generator=generator)
    x[:, torch.randperm(cols, generator=generator)[: max(1, cols // 64)]] *= 60
    return x.to(device)


def check_correctness(device, quick, kernel):
    mode = f" (kernel {kernel})"
    folder = ROOT / "tests" / "data" / "oracles" / "mx"
    cases = sorted(folder.glob("*.input.npy"))
    bad = []
    for path in cases:
        name = path.name[: -len(".input.npy")]  # g16_m2_truncate
        g, m, rounding = name.split("_", 2)
        # propagate: +-65504 becomes 65536 in bfloat16, which overflows FP16
        fmt = dict(group=int(g[1:]), mantissa=int(m[1:]), rounding=rounding,
                   nonfinite="propagate")
        x16 = read_npy(path)
        expected = read_npy(folder / f"{name}.expected.npy")
        for dtype in (torch.float16, torch.float32, torch.bfloat16):
            x = x16.to(dtype)
            y = anda.torch.quantize(x.to(device), kernel=kernel, **fmt)
            if not same_bits(y, cpu_reference(x, **fmt), f"{name}/{dtype}"):
                bad.append(f"{name}/{dtype}")
            elif dtype != torch.bfloat16 and not torch.equal(y.cpu().float(), expected):
                bad.append(f"{name}/{dtype} vs microxcaling")
    report(len(cases) == 20 and not bad,
           f"microxcaling vectors on {device}{mode}: {len(cases)} cases x 3 dtypes equal the CPU "
           f"and microxcaling{': ' + ', '.join(bad) if bad else ''}")

    # every FP16 bit pattern (shuffled, so groups mix magnitudes) under every M and rounding
    patterns = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).view(torch.float16)
    patterns = patterns[torch.randperm(65536, generator=torch.Generator().manual_seed(5))]
    patterns = patterns.reshape(256, 256)
    count, bad = 0, []
    for group in (8, 64):
        for mantissa in range(1, 17):
            for rounding in ROUNDINGS:
                fmt = dict(group=group, mantissa=mantissa, rounding=rounding,
                           nonfinite="propagate")
                count += 1
                case = f"all FP16 G={group} M={mantissa} {rounding}"
                if not same_bits(anda.torch.quantize(patterns.to(device), kernel=kernel, **fmt),
                                 cpu_reference(patterns, **fmt), case):
                    bad.append(case)
    report(not bad, f"every FP16 bit pattern on {device}{mode}: {count} formats equal the CPU"
           f"{': ' + '; '.join(bad[:5]) if bad else ''}")

    g = torch.Generator().manual_seed(1)
    rows, cols = (16, 1000) if quick else (512, 4160)
    base = llm_like(rows, cols, g, "cpu")
    base[3, 100] = float("inf")  # under propagate only
    base[5, 7] = float("nan")
    base[7, 20] = 70000.0  # overflows FP16
    base[9, :64] = 0.0
    base[9, 5] = -0.0
    base[10, :64] *= 1e-6  # FP16 subnormals
    mantissas = (1, 4, 7) if quick else (1, 3, 4, 6, 7, 8, 11, 13, 16)
    count, bad = 0, []
    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        x = base.to(dtype)
        xd = x.to(device)
        for group in (8, 64, 256):
            for mantissa in mantissas:
                for rounding in ROUNDINGS:
                    fmt = dict(group=group, mantissa=mantissa, rounding=rounding,
                               nonfinite="propagate")
                    count += 1
                    case = f"{dtype} G={group} M={mantissa} {rounding}"
                    if not same_bits(anda.torch.quantize(xd, kernel=kernel, **fmt),
                                     cpu_reference(x, **fmt), case):
                        bad.append(case)
        # 3-D, the reject policy on finite data
        x3 = x[11:].reshape(-1, 1, cols)
        x3 = torch.where(torch.isfinite(x3) & (x3.abs() < 60000), x3, torch.zeros_like(x3))
        count += 1
        if not same_bits(anda.torch.quantize(x3.to(device), kernel=kernel),
                         cpu_reference(x3, group=64, mantissa=7), "3-D"):
            bad.append(f"{dtype} 3-D reject")
        # reject names the same place as the CPU
        want = got = None
        try:
            cpu_reference(x, group=64, mantissa=7)
        except ValueError as e:
            want = (str(e), getattr(e, "row", None), getattr(e, "column", None))
        try:
            anda.torch.quantize(xd, group=64, mantissa=7, kernel=kernel)
        except ValueError as e:
            got = (str(e), e.row, e.column)
        count += 1
        if want is None or want != got:
            bad.append(f"{dtype} reject: {got} vs {want}")
    reference = "C++ anda.quantize" if HAVE_CORE else "anda.torch.quantize on the CPU"
    report(not bad, f"LLM-like data on {device}{mode}: {count} cases equal {reference}"
           f"{': ' + '; '.join(bad[:5]) if bad else ''}")
    if nan_payloads:
        print(f"# NOTE{mode}: NaNs in the right places but with other bits in "
              f"{len(nan_payloads)} cases, e.g. {nan_payloads[0]}", flush=True)
        nan_payloads.clear()


class Timer:
    """Median seconds of fn() over `repeat` runs after `warmup`: CUDA events on a GPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def __call__(self, fn, warmup=3, repeat=10):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeat):
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end) / 1e3)
            else:
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
        return statistics.median(times)


def check_throughput(device, quick, kernels):
    timer = Timer(device)
    n = 1024 if quick else 8192
    x = llm_like(n, n, torch.Generator().manual_seed(2), "cpu").to(device, torch.float16)
    moved = 2 * x.numel() * x.element_size()  # read x, write a tensor of its size
    copy = moved / timer(lambda: torch.empty_like(x).copy_(x)) / 1e9
    # nonfinite="reject" (the default) reads one scalar back per call, which exposes the host's
    # launch overhead; "propagate" reads nothing. The goal is judged on the kernel that
    # kernel="auto" runs (the last one), without that read; the other lines are INFO.
    for name in kernels:
        for nonfinite in ("reject", "propagate"):
            try:
                seconds = timer(lambda: anda.torch.quantize(x, group=64, mantissa=7, kernel=name,
                                                            nonfinite=nonfinite))
            except Exception as e:  # one kernel's failure must not hide the other's numbers
                report(False, f"throughput ({name}): {type(e).__name__}: {str(e)[:200]}")
                continue
            rate = moved / seconds / 1e9
            ratio = rate / copy
            judged = device.type == "cuda" and name == kernels[-1] and nonfinite == "propagate"
            report(ratio >= 0.5 if judged else None,
                   f"throughput (kernel {name}, {nonfinite}) [{n}, {n}] float16 M=7 G=64 on "
                   f"{device}: {rate:.0f} GB/s, {seconds * 1e6:.0f} us; copy {copy:.0f} GB/s; "
                   f"{100 * ratio:.0f} % of copy (goal >= 50 %)")


def build_model(shape, device, quick):
    """(model, what it is): a random-weight LLaMA of the shape on the device, float16 on CUDA."""
    config = dict(hidden_size=shape[0], intermediate_size=shape[1], num_hidden_layers=shape[2],
                  num_attention_heads=shape[3], num_key_value_heads=shape[4], vocab_size=32000,
                  max_position_embeddings=4096, rms_norm_eps=1e-5)
    if quick:
        config.update(hidden_size=128, intermediate_size=352, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, vocab_size=500)
    torch.manual_seed(3)
    dtype = torch.float16 if device.type == "cuda" else torch.float32  # CPU: no fp16 matmul
    try:
        import transformers
    except ImportError:
        transformers = None
    if transformers is not None:
        cfg = transformers.LlamaConfig(**config, use_cache=False)  # one pass: no KV cache
        with torch.device(device):
            model = transformers.LlamaForCausalLM(cfg)
        name = f"transformers {transformers.__version__} LlamaForCausalLM, {dtype}"
        return model.to(dtype).eval(), name
    sys.path.insert(0, str(ROOT / "examples" / "python"))
    import tiny_llama

    model = tiny_llama.LlamaForCausalLM(tiny_llama.LlamaConfig(config))
    # float32: its RoPE tables are float32, which a float16 attention would mix with float16 v
    return (model.to(device).eval(),
            "examples/python/tiny_llama.py (no transformers), torch.float32")


def check_model(device, quick, kernels, shape, label):
    try:
        model, source = build_model(shape, device, quick)
    except Exception as e:
        report(False, f"{label}: cannot build the model: {type(e).__name__}: {e}")
        return
    if quick:
        label += " [--quick: hidden 128, 2 layers]"
    sequences, length = (2, 64) if quick else (8, 2048)
    vocab = 500 if quick else 32000
    generator = torch.Generator().manual_seed(4)
    tokens = torch.randint(0, vocab, (sequences, length), generator=generator).to(device)
    timer = Timer(device)

    def nll():
        with torch.no_grad():
            out = model(tokens)
            logits = getattr(out, "logits", out)[:, :-1].float()
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     tokens[:, 1:].reshape(-1))

    repeat = 2 if quick else 5
    base_loss = float(nll())
    base = timer(nll, warmup=1, repeat=repeat)
    results = {}
    for name in kernels:
        try:
            with anda.pytorch.attach(model, (7, 6, 6, 6), kernel=name) as hooks:
                loss = float(nll())
                seconds = timer(nll, warmup=1, repeat=repeat)
        except Exception as e:
            report(False, f"{label} with Anda ({name}): {type(e).__name__}: {str(e)[:200]}")
            continue
        results[name] = (loss, seconds, len(hooks.modules))
    n = sequences * length
    for name, (loss, seconds, layers) in results.items():
        ratio = seconds / base
        # A random model's loss is about log(vocab); Anda must not change it much.
        sane = abs(loss - base_loss) < 0.05 * base_loss
        # the goal is judged for the kernel that kernel="auto" runs (the last one)
        judged = device.type == "cuda" and name == kernels[-1]
        ok = False if not sane else ratio <= 1.5 if judged else None
        report(ok, f"{label} ({source}), {sequences} x {length} tokens on {device}: "
                   f"{n / base:.0f} tokens/s, with Anda (7,6,6,6) on {layers} Linear layers "
                   f"({name}) {n / seconds:.0f} tokens/s: {ratio:.2f}x the time (goal <= 1.5x); "
                   f"perplexity {torch.tensor(base_loss).exp():.1f} -> "
                   f"{torch.tensor(loss).exp():.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the script)")
    p.add_argument("--llama2-7b", action="store_true", help="also a model of LLaMA-2-7B's shape")
    p.add_argument("--skip-model", action="store_true", help="only (a) and (b)")
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        report(False, f"device {a.device}: CUDA is not available (torch {torch.__version__})")
        return 1
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"# torch {torch.__version__} on {name}; anda from {Path(anda.__path__[0])} "
          f"(C++ module: {'yes' if HAVE_CORE else 'no'})", flush=True)
    kernels = ["torch"]
    if device.type == "cuda":
        try:
            importlib.import_module("anda._triton")
            kernels.append("triton")
        except ImportError as e:
            report(False, f"Triton kernel: cannot import it ({e})")
    checks = [(f"correctness ({k})", lambda k=k: check_correctness(device, a.quick, k))
              for k in kernels]
    checks.append(("throughput", lambda: check_throughput(device, a.quick, kernels)))
    if not a.skip_model:
        # hidden, intermediate, layers, heads, kv heads
        checks.append(("model", lambda: check_model(device, a.quick, kernels,
                                                    (2048, 5632, 22, 32, 4),
                                                    "TinyLlama-1.1B shape")))
        if a.llama2_7b:
            checks.append(("model", lambda: check_model(device, a.quick, kernels,
                                                        (4096, 11008, 32, 32, 32),
                                                        "LLaMA-2-7B shape")))
    for name, check in checks:
        try:
            check()
        except Exception as e:  # one broken check must not hide the others
            report(False, f"{name}: {type(e).__name__}: {str(e)[:300]}")
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print(f"# {len(failures)} failed" if failures else "# all passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
