# The Triton kernel behind anda.torch.quantize(kernel="triton") on CUDA: one pass over the tensor
# (read x, write the result), the same arithmetic as the PyTorch-operations path of anda/torch.py.
"""One Triton kernel for Anda fake quantization of a CUDA tensor (see anda.torch.quantize).

Each program takes GB whole groups (about 2048 values): it rounds them to FP16, finds each
group's largest FP16 magnitude (hence E and the grid step q = 2^(max(E, 1) - 15 - (M - 1))),
rounds |x| / q as ``rounding`` says (exact in float32: q is a power of two), saturates at
2^M - 1, multiplies back by q, puts the sign back as a bit (so -0 stays -0) and converts to x's
dtype. The result is written through an integer view so that a non-finite group under
"propagate" gets exactly the quiet NaN the C++ library decodes to. Each program also writes the
largest magnitude it saw, for the "reject" check on the host.
"""

import torch
import triton
import triton.language as tl
from triton.language.extra import libdevice

_ROUNDINGS = {"truncate": 0, "nearest_even": 1, "nearest_away": 2}
# The quiet NaN of each dtype (as the C++ library decodes a non-finite group), as stored bits.
_NAN_BITS = {torch.float16: 0x7E00, torch.bfloat16: 0x7FC0, torch.float32: 0x7FC00000}
_VALUES_PER_PROGRAM = 2048


@triton.jit
def _quantize_kernel(x_ptr, out_ptr, top_ptr, total_groups, groups_per_row, K,
                     G: tl.constexpr, GB: tl.constexpr, M: tl.constexpr, ROUNDING: tl.constexpr,
                     PROPAGATE: tl.constexpr, NAN_BITS: tl.constexpr, WHOLE: tl.constexpr):
    group = tl.program_id(0) * GB + tl.arange(0, GB)  # [GB] groups, row-major over the tensor
    if WHOLE:  # K % G == 0: the program's groups are one contiguous run (vector loads)
        offsets = (tl.program_id(0).to(tl.int64) * (GB * G) + tl.arange(0, GB)[:, None] * G +
                   tl.arange(0, G)[None, :])
        valid = (group < total_groups)[:, None]
    else:
        row = group // groups_per_row
        col = (group % groups_per_row)[:, None] * G + tl.arange(0, G)[None, :]  # [GB, G]
        valid = (group < total_groups)[:, None] & (col < K)  # a short last group reads zeros
        offsets = row.to(tl.int64)[:, None] * K + col
    x = tl.load(x_ptr + offsets, mask=valid, other=0.0)
    h = x.to(tl.float16)  # round to nearest even; 65520 and up become Inf
    bits = h.to(tl.int16, bitcast=True).to(tl.int32)
    top = tl.max(bits & 0x7FFF, axis=1)  # [GB] the largest FP16 magnitude bits
    e = tl.maximum(top >> 10, 1)
    q = ((e + (113 - M)) << 23).to(tl.float32, bitcast=True)  # 2^(max(E,1) - 15 - (M-1))
    r = ((141 + M - e) << 23).to(tl.float32, bitcast=True)  # 1 / q
    a = tl.abs(h.to(tl.float32)) * r[:, None]  # the exact aligned magnitude
    if ROUNDING == 0:
        n = a.to(tl.int32)  # truncation (a >= 0)
    elif ROUNDING == 1:
        n = libdevice.rint(a).to(tl.int32)  # nearest, ties to even
    else:
        n = (a + 0.5).to(tl.int32)  # nearest, ties away: exact (a has at most 11 bits)
    n = tl.minimum(n, (1 << M) - 1)
    y = n.to(tl.float32) * q[:, None]  # exact
    y = (y.to(tl.int32, bitcast=True) | ((bits & 0x8000) << 16)).to(tl.float32, bitcast=True)
    out = y.to(x.dtype).to(out_ptr.dtype.element_ty, bitcast=True)
    if PROPAGATE:
        out = tl.where((top >= 0x7C00)[:, None], NAN_BITS, out).to(out_ptr.dtype.element_ty)
    tl.store(out_ptr + offsets, out, mask=valid)
    tl.store(top_ptr + tl.program_id(0), tl.max(top, axis=0))


def quantize_2d(x, G, M, rounding, propagate):
    """x [rows, K] contiguous on CUDA (float16, bfloat16 or float32) -> (quantized x, the largest
    FP16 magnitude bits of all groups as a 0-d int32 tensor)."""
    rows, K = x.shape
    groups_per_row = -(-K // G)
    total = rows * groups_per_row
    GB = _VALUES_PER_PROGRAM // G
    programs = -(-total // GB)
    out = torch.empty_like(x)
    tops = torch.empty(programs, dtype=torch.int32, device=x.device)
    integers = torch.int16 if x.element_size() == 2 else torch.int32
    _quantize_kernel[(programs,)](x, out.view(integers), tops, total, groups_per_row, K, G=G,
                                  GB=GB, M=M, ROUNDING=_ROUNDINGS[rounding],
                                  PROPAGATE=propagate, NAN_BITS=_NAN_BITS[x.dtype],
                                  WHOLE=K % G == 0)
    return out, tops.max()
