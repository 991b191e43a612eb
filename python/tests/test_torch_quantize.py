"""anda.torch.quantize (PyTorch tensor operations) against anda.quantize (the C++ library), bit
for bit: microxcaling's vectors, every finite FP16 value under every shared exponent for every M
and rounding, FP32 -> FP16 rounding boundaries, every bfloat16 value, Inf/NaN, -0, shapes and
the argument checks; and scripts/cuda_check.py on the CPU, without the C++ module."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import anda
import anda.torch
import seeds
from reference import llm_rows

ROOT = Path(__file__).resolve().parents[2]
ROUNDINGS = ["truncate", "nearest_even", "nearest_away"]
BITS = {torch.float16: torch.int16, torch.bfloat16: torch.int16, torch.float32: torch.int32}


def cpp(x, **fmt):
    """anda.quantize of tensor x as anda.pytorch has always fed it: float16 as is, float32 and
    bfloat16 as float32, groups along the last axis; the result in x's dtype, NaN as the dtype's
    quiet NaN (CPU torch would make a bfloat16 NaN 0xFFFF)."""
    array = (x if x.dtype == torch.float16 else x.float()).numpy()
    q = torch.from_numpy(anda.quantize(array.reshape(-1, x.shape[-1]), **fmt)).reshape(x.shape)
    return q.to(x.dtype).masked_fill_(q.isnan(), float("nan"))


def assert_same_bits(actual, expected, what=""):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    a = actual.contiguous().view(BITS[actual.dtype])
    e = expected.contiguous().view(BITS[expected.dtype])
    if not torch.equal(a, e):
        where = tuple((a != e).nonzero()[0].tolist())
        pytest.fail(f"{what}: {int((a != e).sum())} elements differ, the first at {where}: "
                    f"{actual[where].item()!r} (0x{int(a[where]) & 0xFFFFFFFF:x}) instead of "
                    f"{expected[where].item()!r} (0x{int(e[where]) & 0xFFFFFFFF:x})")


# ---------------------------------------------------------------------------------------------
# Exhaustive and boundary inputs


@pytest.fixture(scope="module")
def every_value_under_every_exponent():
    """float16 [n, 8]: groups of 8 = an exponent setter (field e = 0..30, varied fraction and
    sign; +-0 for e = 0) and 7 finite values of fields <= e, in magnitude order, so that every
    finite FP16 value meets every shared exponent E >= its own (1,161,000 values)."""
    bits = torch.arange(1 << 16, dtype=torch.int32)
    magnitude = bits & 0x7FFF
    finite = bits[magnitude < 0x7C00]
    finite = finite[torch.sort(finite & 0x7FFF, stable=True).indices]  # +v, -v side by side
    blocks = []
    for e in range(31):
        values = finite[(finite & 0x7FFF) < ((e + 1) << 10)]
        groups = -(-values.numel() // 7)
        body = torch.zeros(groups * 7, dtype=torch.int32)
        body[: values.numel()] = values
        i = torch.arange(groups, dtype=torch.int32)
        fraction = (i * 389) & 0x3FF if e else torch.zeros_like(i)  # 0x3FF: saturation at d = 0
        setter = ((i & 1) << 15) | (e << 10) | fraction
        blocks.append(torch.cat([setter[:, None], body.view(groups, 7)], dim=1))
    x = torch.cat(blocks)
    return torch.where(x >= 0x8000, x - 0x10000, x).to(torch.int16).view(torch.float16)


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_every_fp16_value_under_every_shared_exponent(every_value_under_every_exponent, rounding):
    x16 = every_value_under_every_exponent
    x32 = x16.float()  # exact: the same FP16 values through the float32 path
    for mantissa in range(1, 17):
        want = cpp(x16, group=8, mantissa=mantissa, rounding=rounding)
        what = f"M={mantissa} {rounding}"
        assert_same_bits(anda.torch.quantize(x16, 8, mantissa, rounding), want, what)
        assert_same_bits(anda.torch.quantize(x32, 8, mantissa, rounding), want.float(), what)


def fp32_boundaries():
    """Float32 values at every FP16 rounding boundary: the midpoints between neighbouring finite
    FP16 values (ties) and the floats just beside them, the overflow limit 65520 and the
    subnormal/zero limit 2^-25, FP32 subnormals; both signs."""
    bits = torch.arange(0x7C00, dtype=torch.int32).to(torch.int16).view(torch.float16)
    v = bits.float()  # every non-negative finite FP16 value, ascending
    ties = torch.cat([(v[:-1] + v[1:]) / 2, torch.tensor([65520.0])])  # exact in float32
    up, down = torch.full_like(ties, float("inf")), torch.zeros_like(ties)
    extra = torch.tensor([65504.0, 65519.0, 65519.996, 2.0**-25, 2.0**-26, 3 * 2.0**-26, 1e-45,
                          1e-40, 2.0**-126, 0.0])
    x = torch.cat([ties, torch.nextafter(ties, up), torch.nextafter(ties, down), v, extra])
    return torch.cat([x, -x])


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_fp32_inputs_round_to_fp16_as_the_library(rounding):
    x = fp32_boundaries()
    rng = torch.Generator().manual_seed(seeds.torch_seed(5))
    shuffled = x[torch.randperm(x.numel(), generator=rng)]
    sorted_ = x[torch.sort(x.abs(), stable=True).indices]  # groups of alike magnitudes
    for order, xs in (("shuffled", shuffled), ("sorted", sorted_)):
        xs = torch.cat([xs, torch.zeros(-xs.numel() % 64)]).view(-1, 64)
        for mantissa in range(1, 17):
            # 65520 and beyond become Inf: their groups NaN
            fmt = dict(group=16, mantissa=mantissa, rounding=rounding, nonfinite="propagate")
            assert_same_bits(anda.torch.quantize(xs, **fmt), cpp(xs, **fmt),
                             f"{order} M={mantissa}")


def test_random_fp32_bit_patterns():
    rng = seeds.rng(6)
    bits = rng.integers(0, 1 << 32, size=(300, 96), dtype=np.uint64).astype(np.uint32)
    exponents = rng.integers(96, 144, (150, 96), dtype=np.uint32)  # 2^-31 .. 2^16
    bits[:150] = (bits[:150] & 0x807FFFFF) | (exponents << 23)
    x = torch.from_numpy(bits.view(np.float32))  # half of them near FP16's range, half anywhere
    for group in (8, 32, 256):
        for rounding in ROUNDINGS:
            for mantissa in (1, 5, 9, 16):
                fmt = dict(group=group, mantissa=mantissa, rounding=rounding, nonfinite="propagate")
                assert_same_bits(anda.torch.quantize(x, **fmt), cpp(x, **fmt), str(fmt))


def test_every_bfloat16_value():
    bits = torch.arange(1 << 16, dtype=torch.int32)
    bits = bits[torch.sort(bits & 0x7FFF, stable=True).indices]
    x = torch.where(bits >= 0x8000, bits - 0x10000, bits).to(torch.int16).view(torch.bfloat16)
    # as they come (shared exponents from the values) and under setters of E = 1, 15, 30
    body = x.view(-1, 8)
    blocks = [body]
    for e in (1, 15, 30):
        setter = torch.full((body.shape[0], 1), 2.0 ** (e - 15), dtype=torch.bfloat16)
        blocks.append(torch.cat([setter, body[:, :7]], dim=1))
        blocks.append(torch.cat([-setter, body[:, 1:]], dim=1))
    x = torch.cat(blocks)
    for rounding in ROUNDINGS:
        for mantissa in range(1, 17):
            fmt = dict(group=8, mantissa=mantissa, rounding=rounding, nonfinite="propagate")
            assert_same_bits(anda.torch.quantize(x, **fmt), cpp(x, **fmt), str(fmt))


# ---------------------------------------------------------------------------------------------
# The external oracle, shapes and special values


def mx_cases(data_dir):
    import json

    folder = data_dir / "oracles" / "mx"
    manifest = json.loads((folder / "manifest.json").read_text())
    return [(c, torch.from_numpy(np.load(folder / c["input"])),
             torch.from_numpy(np.load(folder / c["expected"]))) for c in manifest["cases"]]


def test_every_microxcaling_case(data_dir):
    cases = mx_cases(data_dir)
    assert len(cases) == 20
    for case, x, expected in cases:
        fmt = dict(group=case["G"], mantissa=case["M"], rounding=case["rounding"])
        y = anda.torch.quantize(x, **fmt)
        assert torch.equal(y.float(), expected), case["id"]  # -0 == +0: microxcaling drops -0
        assert_same_bits(y, cpp(x, **fmt), case["id"])
        assert_same_bits(anda.torch.quantize(x.float(), **fmt), y.float(), case["id"])
        # bfloat16 rounds +-65504 to 65536, beyond FP16: those groups become NaN
        xb, fmt_b = x.to(torch.bfloat16), dict(fmt, nonfinite="propagate")
        assert_same_bits(anda.torch.quantize(xb, **fmt_b), cpp(xb, **fmt_b), case["id"])


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 63), (2, 3, 65), (2, 1, 3, 200), (4, 300),
                                   (7, 4096)])
def test_shapes_and_partial_groups(dtype, shape):
    rng = seeds.rng(sum(shape))
    x = torch.from_numpy(llm_rows(rng, int(np.prod(shape[:-1])), shape[-1])).view(shape)
    x = x.to(dtype)
    for group in (8, 64, 256):
        for rounding in ROUNDINGS:
            fmt = dict(group=group, mantissa=5, rounding=rounding)
            y = anda.torch.quantize(x, **fmt)
            assert y.is_contiguous() and y.device == x.device
            assert_same_bits(y, cpp(x, **fmt), f"{shape} {fmt}")


def test_views_empty_tensors_and_gradients():
    x = torch.randn(40, 130) * 4
    t = x.t()  # non-contiguous: groups still run along the last axis of what is passed
    assert_same_bits(anda.torch.quantize(t, mantissa=4),
                     anda.torch.quantize(t.contiguous(), mantissa=4))
    s = x[::3, 1::2]
    assert_same_bits(anda.torch.quantize(s, mantissa=4), cpp(s.contiguous(), mantissa=4))
    for shape in [(0,), (0, 5), (3, 0), (2, 0, 4)]:
        y = anda.torch.quantize(torch.zeros(shape, dtype=torch.bfloat16))
        assert y.shape == shape and y.dtype == torch.bfloat16
    g = x.clone().requires_grad_()
    y = anda.torch.quantize(g, mantissa=4)
    assert not y.requires_grad and y.grad_fn is None
    # kernel="auto" on the CPU is the tensor-operations path; "triton" needs CUDA; others refused
    assert_same_bits(anda.torch.quantize(x, mantissa=4, kernel="torch"),
                     anda.torch.quantize(x, mantissa=4))
    with pytest.raises(ValueError, match="CUDA"):
        anda.torch.quantize(x, mantissa=4, kernel="triton")
    with pytest.raises(ValueError, match="not known"):
        anda.torch.quantize(x, mantissa=4, kernel="cuda")


def test_signed_zeros_and_vanishing_values():
    x = torch.tensor([[-0.0, 0.0, -0.0, 1.0, -2.0**-12, 2.0**-12, -3.0, -0.0]]).half()
    for rounding in ROUNDINGS:
        y = anda.torch.quantize(x, group=8, mantissa=4, rounding=rounding)
        assert_same_bits(y, cpp(x, group=8, mantissa=4, rounding=rounding), rounding)
        assert torch.equal(torch.signbit(y), torch.signbit(x))  # -0 stays, -tiny becomes -0
        assert y[0, 4] == 0 and y[0, 6] == -3.0
    zeros = torch.tensor([[-0.0] * 8, [0.0] * 8])
    assert torch.equal(torch.signbit(anda.torch.quantize(zeros, group=8, mantissa=1)),
                       torch.signbit(zeros))


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.bfloat16])
def test_nonfinite_policies(dtype):
    x = torch.ones(2, 3, 100)
    x[1, 1, 70] = float("inf")  # row 4, group 1, column 70
    x[1, 1, 80] = float("nan")
    x[1, 2, 5] = 1e6  # overflows FP16 (float32, bfloat16) or is Inf (float16)
    x[0, 0, 1] = -float("inf")
    x = x.to(dtype)
    fmt = dict(group=64, mantissa=4, nonfinite="propagate")
    y = anda.torch.quantize(x, **fmt)
    assert_same_bits(y, cpp(x, **fmt), "propagate")
    assert torch.isnan(y[1, 1, 64:]).all() and torch.isfinite(y[1, 1, :64]).all()

    for case in (x, x[1:, 2:]):  # the first bad group: an Inf, then an FP16 overflow
        with pytest.raises(anda.NonFiniteError) as want:
            cpp(case, group=64, mantissa=4)
        with pytest.raises(anda.NonFiniteError) as got:
            anda.torch.quantize(case, group=64, mantissa=4)
        assert isinstance(got.value, ValueError) and str(got.value) == str(want.value)
        assert ((got.value.row, got.value.group, got.value.column)
                == (want.value.row, want.value.group, want.value.column))


def test_argument_checks_as_the_library():
    x = torch.ones(2, 64)
    cases = [dict(group=48), dict(group=0), dict(group=2**40), dict(mantissa=0),
             dict(mantissa=17), dict(mantissa=-1), dict(mantissa=4.0), dict(mantissa=True),
             dict(group="64"), dict(rounding="stochastic"), dict(rounding="Truncate"),
             dict(nonfinite="ignore"), dict(group=48, mantissa=0)]
    for kw in cases:
        kw = dict(dict(mantissa=4), **kw)
        with pytest.raises(Exception) as want:
            anda.quantize(x.numpy(), **kw)
        with pytest.raises(Exception) as got:
            anda.torch.quantize(x, **kw)
        assert type(got.value) is type(want.value) and str(got.value) == str(want.value), kw
    # integers of other types are integers
    assert_same_bits(anda.torch.quantize(x, group=np.int64(8), mantissa=torch.tensor(3)),
                     cpp(x, group=8, mantissa=3))
    for bad in (torch.zeros(2, 8, dtype=torch.float64), torch.zeros(2, 8, dtype=torch.int16),
                torch.zeros(2, 8, dtype=torch.complex64)):
        with pytest.raises(TypeError, match=str(bad.dtype)):
            anda.torch.quantize(bad)
    with pytest.raises(TypeError, match="torch.Tensor"):
        anda.torch.quantize(np.ones((2, 8), np.float32))
    with pytest.raises(ValueError, match="at least one axis"):
        anda.torch.quantize(torch.tensor(1.0))
    with pytest.raises(TypeError):
        anda.torch.quantize(x, rounding=None)


# ---------------------------------------------------------------------------------------------
# Without the C++ module


def test_the_module_file_works_alone():
    """python/anda/torch.py loaded on its own (no package, no anda._core) as cuda_check.py may."""
    path = ROOT / "python" / "anda" / "torch.py"
    spec = importlib.util.spec_from_file_location("anda_torch_alone", path)
    alone = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(alone)
    assert alone.NonFiniteError is not anda.NonFiniteError  # its own classes, still ValueErrors
    x = torch.randn(3, 100).half()
    assert_same_bits(alone.quantize(x, 16, 6, "nearest_even"), cpp(x, group=16, mantissa=6,
                                                                    rounding="nearest_even"))
    x[2, 99] = float("nan")
    with pytest.raises(alone.NonFiniteError, match="row 2, group 6 .column 99.") as info:
        alone.quantize(x, 16, 6)
    assert isinstance(info.value, ValueError) and info.value.column == 99
    with pytest.raises(alone.Error, match="group size G = 12"):
        alone.quantize(x, 12)


def test_cuda_check_script_runs_on_the_cpu_without_the_cpp_module():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no built anda
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "cuda_check.py"), "--device",
                             "cpu", "--quick"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "(C++ module: no)" in lines[0]
    # (a) three checks of the one kernel there is on a CPU; (b) reject and propagate; (c)
    assert sum(line.startswith("PASS ") for line in lines) == 3, result.stdout
    assert sum(line.startswith("INFO ") for line in lines) == 3, result.stdout
    assert lines[-1] == "# all passed"
