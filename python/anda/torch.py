# anda.torch: Anda fake quantization written in PyTorch tensor operations, on the tensor's own
# device. Bit for bit anda.quantize (docs/format.md sections 2, 3 and 5); no NumPy, no host copy.
"""Anda fake quantization of PyTorch tensors, on their own device (CPU or GPU).

    import anda.torch
    y = anda.torch.quantize(x, group=64, mantissa=7)   # same dtype, device and shape as x

``quantize`` gives, bit for bit, what ``anda.quantize`` (the C++ library) gives for the same
values, with the conventions of ``anda.pytorch``: groups of ``group`` values along the last axis
(a short last group is zero-padded), float16 encoded as is, float32 and bfloat16 rounded to FP16
first (nearest even; 65520 and more become Inf); the result in x's dtype (for bfloat16 the exact
float32 result rounded to nearest even, exact for M <= 8). Inf/NaN under ``nonfinite="reject"``
raise anda.NonFiniteError (a ValueError) naming the first bad row, group and column; under
"propagate" their groups become the dtype's quiet NaN (0x7FC00000, 0x7E00, 0x7FC0). Other dtypes
raise TypeError, bad format arguments the errors ``anda.quantize`` raises.

How: the FP16 bit patterns (an int16 view) give each group's largest magnitude, hence its shared
exponent E and grid step q = 2^(max(E, 1) - 15 - (M - 1)), built as float32 bits; x / q is exact
in float32 (a power of two, no subnormals: the exact aligned magnitude of docs/format.md), is
rounded as ``rounding`` says (trunc, round half even, floor(|a| + 1/2)) and saturated at
2^M - 1, and times q is the exact decoded value. The only host synchronisation is one scalar
under "reject", to raise.

On CUDA, ``kernel="auto"`` (the default) runs one Triton kernel where Triton imports
(anda/_triton.py: one read of x, one write, the same arithmetic); ``kernel="torch"`` forces the
tensor operations above, ``kernel="triton"`` the kernel (an error where it cannot run).
"""

import math
import operator

import torch

try:
    from ._core import Error, NonFiniteError
except ImportError:  # loaded from the source tree without the compiled extension

    class Error(ValueError):
        """A bad value (as anda.Error)."""

    class NonFiniteError(Error):
        """Inf or NaN under nonfinite="reject" (as anda.NonFiniteError): row, group, column."""


__all__ = ["quantize", "check_format", "Error", "NonFiniteError"]

GROUPS = (8, 16, 32, 64, 128, 256)
ROUNDINGS = ("truncate", "nearest_even", "nearest_away")
NONFINITE = ("reject", "propagate")

_INF_BITS = 0x7C00  # FP16 magnitude bits from here up: Inf or NaN


def _int_arg(fn, name, value):
    """An integer argument as the C++ module takes it: bool and non-integers are TypeError."""
    if isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value)}")
    try:
        i = operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an integer, got {type(value)}") from None
    if not -(2**31) <= i < 2**31:
        raise ValueError(f"{fn}: {name} = {i} is out of range (-2147483648..2147483647)")
    return i


def check_format(group, mantissa, rounding="truncate", nonfinite="reject", fn="quantize"):
    """(G, M, rounding, nonfinite) validated with the C++ module's checks and messages."""
    G = _int_arg(fn, "group", group)
    M = _int_arg(fn, "mantissa", mantissa)
    for name, value, known in (("rounding", rounding, ROUNDINGS),
                               ("nonfinite", nonfinite, NONFINITE)):
        if not isinstance(value, str):
            raise TypeError(f"{fn}: {name} must be a str, got {type(value)}")
        if value not in known:
            raise ValueError(f'{name} "{value}" is not known ({", ".join(known)})')
    if G not in GROUPS:
        raise Error(f"group size G = {G} is not supported (use 8, 16, 32, 64, 128 or 256)")
    if not 1 <= M <= 16:
        raise Error(f"mantissa length M = {M} is out of range (use 1..16, hidden bit included)")
    return G, M, rounding, nonfinite


def _quantize_groups(h, out, M, rounding, propagate):
    """Quantizes h (float16 [rows, groups, n], n <= G: whole groups) into out (same shape, the
    result dtype); returns each group's largest FP16 magnitude bits (int16 [rows, groups, 1])."""
    top = (h.view(torch.int16) & 0x7FFF).amax(dim=-1, keepdim=True)
    # q as float32 bits: exponent max(E, 1) - 15 - (M - 1) + 127 (an all-zero group scales as
    # E = 1 and a non-finite one as E = 31, whose values are replaced below or rejected).
    e = (top.to(torch.int32) >> 10).clamp_(min=1)
    q = ((e + (113 - M)) << 23).view(torch.float32)
    if rounding == "truncate":  # never saturates: S < 2^11 gives a < 2^M
        # trunc(a) < 2^M is an integer, exact in float16 for M <= 11: half the traffic
        a = torch.empty(h.shape, dtype=torch.float16 if M <= 11 else torch.float32,
                        device=h.device)
        torch.div(h, q, rounding_mode="trunc", out=a)
    else:
        r = ((141 + M - e) << 23).view(torch.float32)  # 1 / q: a product is exact on any backend
        a = torch.mul(h, r)
        if rounding == "nearest_even":
            a.round_()
        else:  # ties away: floor(|a| + 1/2) (exact in float32) with a's sign, -0 included
            a = a.abs().add_(0.5).floor_().copysign_(a)
        limit = float((1 << M) - 1)
        a.clamp_(-limit, limit)
    torch.mul(a, q, out=out)
    if propagate:
        out.masked_fill_(top >= _INF_BITS, float("nan"))  # the dtype's quiet NaN, as C++ decodes
    return top


def _quantize_2d(x, G, M, rounding, propagate):
    """The device computation: x [rows, K] (float16, bfloat16 or float32) -> (quantized x, the
    largest FP16 magnitude bits of all groups, a 0-d int16 tensor)."""
    h = x if x.dtype == torch.float16 else x.to(torch.float16)  # IEEE round to nearest even
    rows, K = h.shape
    out = torch.empty((rows, K), dtype=x.dtype, device=x.device)
    body = K // G * G
    tops = []
    # Whole groups as [rows, K // G, G] views, then the short last group, without padding copies.
    if body:
        tops.append(_quantize_groups(h[:, :body].reshape(rows, K // G, G),
                                     out[:, :body].view(rows, K // G, G), M, rounding, propagate))
    if body < K:
        tops.append(_quantize_groups(h[:, body:].reshape(rows, 1, K - body),
                                     out[:, body:].view(rows, 1, K - body), M, rounding, propagate))
    worst = tops[0].max() if len(tops) == 1 else torch.maximum(tops[0].max(), tops[1].max())
    return out, worst


def _triton():
    """anda._triton where Triton imports (else None), imported once."""
    global _triton_module
    if _triton_module is False:
        try:
            from . import _triton as module
        except ImportError:
            module = None
        _triton_module = module
    return _triton_module


_triton_module = False
KERNELS = ("auto", "torch", "triton")


def _nonfinite_error(x2, h2, G):
    """The C++ error for the first non-finite group (row-major) and its first bad column."""
    bits = h2.view(torch.int16) & 0x7FFF
    rows, K = bits.shape
    groups = -(-K // G)
    padded = torch.zeros((rows, groups * G), dtype=torch.int16, device=bits.device)
    padded[:, :K] = bits
    bad = padded.view(rows, groups, G) >= _INF_BITS
    first = int(bad.any(dim=-1).flatten().nonzero()[0])
    row, group = divmod(first, groups)
    column = group * G + int(bad[row, group].nonzero()[0])
    where = f" at row {row}, group {group} (column {column}) under nonfinite::reject"
    value = float(x2[row, column])
    if x2.dtype != torch.float16 and math.isfinite(value):  # a finite float that overflowed FP16
        e = NonFiniteError(f"input {value:.9g} overflows FP16 (largest finite 65504; it rounds "
                           f"to Inf){where}")
    else:
        e = NonFiniteError("non-finite input (Inf or NaN)" + where)
    e.row, e.group, e.column = row, group, column
    return e


def quantize(x, group=64, mantissa=7, rounding="truncate", nonfinite="reject", *,
             kernel="auto"):
    """Anda fake quantization of a tensor: groups along the last axis; x's dtype, device, shape.

    Args:
        x: a float16, float32 or bfloat16 tensor with at least one axis (any device).
        group: G, 8, 16, 32, 64, 128 or 256. mantissa: M, 1..16 (hidden bit included).
        rounding: "truncate" (the paper's), "nearest_even" or "nearest_away".
        nonfinite: "reject" (an Inf/NaN group raises anda.NonFiniteError) or "propagate" (it
            becomes NaN).
        kernel: "auto" (Triton on CUDA where it imports, else tensor operations), "torch" or
            "triton" (CUDA only): how it is computed, never what.

    Returns a new contiguous tensor equal, bit for bit, to ``anda.quantize`` of x (float16 as
    is; float32 and bfloat16 through FP16, see the module docstring); no gradient is tracked.
    """
    G, M, rounding, nonfinite = check_format(group, mantissa, rounding, nonfinite)
    if kernel not in KERNELS:
        raise ValueError(f'kernel "{kernel}" is not known ({", ".join(KERNELS)})')
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"quantize: x must be a torch.Tensor, got {type(x)}")
    if x.dtype not in (torch.float16, torch.float32, torch.bfloat16):
        raise TypeError(f"the input dtype is {x.dtype}; anda.torch.quantize takes float32, "
                        "float16 or bfloat16")
    if x.dim() < 1:
        raise ValueError("quantize: x must have at least one axis (groups run along the last)")
    if x.numel() == 0:
        return torch.empty(x.shape, dtype=x.dtype, device=x.device)
    x2 = x.detach().reshape(-1, x.shape[-1])
    propagate = nonfinite == "propagate"
    run = _quantize_2d
    if kernel != "torch" and x.is_cuda and _triton() is not None:
        run = _triton().quantize_2d
        x2 = x2.contiguous()
    elif kernel == "triton":
        raise ValueError("kernel \"triton\" needs a CUDA tensor and the triton package")
    out, worst = run(x2, G, M, rounding, propagate)
    # Under reject the one host read, once all the work is queued.
    if not propagate and int(worst) >= _INF_BITS:
        raise _nonfinite_error(x2, x2 if x2.dtype == torch.float16 else x2.to(torch.float16), G)
    return out.view(x.shape)
