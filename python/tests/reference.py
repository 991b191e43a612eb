"""An independent reference of the Anda format, written from docs/format.md in integer
arithmetic on the FP16 bit fields (numpy, vectorized), and the tests' data. The tests hold the
binding to it."""

import numpy as np


def encode_decode(x16, group, mantissa, rounding="truncate"):
    """Decoded values (float32) of float16 array x16 [rows, K], groups along K; non-finite groups
    decode to NaN (the propagate policy)."""
    rows, K = x16.shape
    groups = -(-K // group)
    padded = np.zeros((rows, groups * group), np.uint16)
    padded[:, :K] = x16.view(np.uint16)
    b = padded.reshape(rows, groups, group).astype(np.int64)
    sign, field, frac = b >> 15, (b >> 10) & 31, b & 1023
    significand = np.where(field > 0, 1024 + frac, frac)
    exponent = np.where(field > 0, field, 1)  # subnormals: x = 1
    nonzero = significand > 0
    E = np.where(nonzero, exponent, 0).max(axis=2, keepdims=True)  # all-zero group: E = 0
    nonfinite = (field == 31).any(axis=2, keepdims=True)

    shift = mantissa - 11 - (E - exponent)  # a = S * 2^shift
    right = np.clip(-shift, 0, 40)
    q = np.where(shift >= 0, significand << np.clip(shift, 0, None), significand >> right)
    if rounding != "truncate":
        rem = significand & ((1 << right) - 1)
        half = np.where(right > 0, 1 << np.maximum(right - 1, 0), 0)
        up = rem > half if rounding == "nearest_even" else rem >= half
        if rounding == "nearest_even":
            up |= (rem == half) & (q & 1 == 1)
        q = q + np.where((right > 0) & nonzero, up, 0)
    m = np.minimum(q, (1 << mantissa) - 1)

    scale = np.ldexp(1.0, (np.maximum(E, 1) - 15 - (mantissa - 1)).astype(np.int32))
    magnitude = m * scale
    v = np.where(sign == 1, -magnitude, magnitude)
    v = np.where(nonfinite, np.nan, v)
    return v.reshape(rows, groups * group)[:, :K].astype(np.float32)


def finite_fp16_values():
    """Every finite FP16 value (both zeros included) as float16, 63,488 + 2 of them."""
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    values = bits.view(np.float16)
    return values[np.isfinite(values)]


def same_bits(a, b):
    """Bitwise equality of two float32 arrays (tells -0 from +0; NaN equal only to itself)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint32),
                                                                       b.view(np.uint32))


def llm_rows(rng, rows, K):
    """LLM-like float32 activations: a normal body with a few outlier channels (x60)."""
    x = rng.standard_normal((rows, K)).astype(np.float32)
    x[:, rng.choice(K, size=max(1, K // 64), replace=False)] *= 60
    return x
