"""INT4/INT8 weights from Python: round-to-nearest quantization against a numpy reference,
ready-made integers, storage cost, errors."""

import numpy as np
import pytest

import anda
import seeds

QMAX = {"int4": 7, "int8": 127}


def round_half_away(q32):
    """std::round of float32 quotients (exact in float64)."""
    q = q32.astype(np.float64)
    return np.sign(q) * np.floor(np.abs(q) + 0.5)


def rtn_reference(w, kind, group_size):
    """q, zeros, scales (float16) as the library's RTN defines them (int_weights.hpp)."""
    N, K = w.shape
    groups = -(-K // group_size)
    q = np.zeros((N, K), np.int64)
    zeros = np.zeros((N, groups), np.int64)
    scales = np.zeros((N, groups), np.float16)
    for g in range(groups):
        block = w[:, g * group_size:(g + 1) * group_size]
        lo = np.minimum(block.min(axis=1), np.float32(0))
        hi = np.maximum(block.max(axis=1), np.float32(0))
        if kind == "int4-asym":
            s = ((hi - lo) / np.float32(15)).astype(np.float16)
        else:
            absmax = np.where(hi < -lo, -lo, hi)  # std::max(hi, -lo): +0 for an all-zero group
            s = (absmax / np.float32(QMAX[kind])).astype(np.float16)
        s32 = s.astype(np.float32)
        safe = np.where(s32 > 0, s32, np.float32(1))[:, None]
        r = np.where(s32[:, None] > 0, round_half_away(block / safe), 0)
        if kind == "int4-asym":
            z = np.where(s32 > 0, np.clip(round_half_away(-lo / np.where(s32 > 0, s32, 1)), 0, 15), 0)
            zeros[:, g] = z
            r = np.clip(r + z[:, None], 0, 15)
        else:
            r = np.clip(r, -QMAX[kind], QMAX[kind])
        q[:, g * group_size:(g + 1) * group_size] = r
        scales[:, g] = s
    return q, zeros, scales


@pytest.mark.parametrize("kind", ["int4", "int4-asym", "int8"])
@pytest.mark.parametrize("N,K,group_size", [(16, 128, 128), (33, 300, 128), (5, 64, 32),
                                            (7, 200, 1000)])
def test_rtn_matches_reference(kind, N, K, group_size):
    rng = seeds.rng(N * K)
    w = (rng.standard_normal((N, K)) * 0.05).astype(np.float32)
    w[0, :] = 0  # an all-zero channel: scale 0
    w[1, 3] = 1.5  # an outlier
    w[2] = np.abs(w[2])  # one sign only
    W = anda.quantize_weights(w, kind=kind, group_size=group_size)
    q, zeros, scales = rtn_reference(w, kind, group_size)
    assert W.kind == kind and W.shape == (N, K) and W.group_size == group_size
    assert np.array_equal(W.q, q) and W.q.dtype == np.int8
    assert np.array_equal(W.scales.view(np.uint16), scales.view(np.uint16))
    if kind == "int4-asym":
        assert np.array_equal(W.zeros, zeros) and W.zeros.dtype == np.uint8
    else:
        assert W.zeros is None
    # dequantize is exactly (q - z) * scale
    s = np.repeat(scales.astype(np.float32), group_size, axis=1)[:, :K]
    z = np.repeat(zeros, group_size, axis=1)[:, :K]
    assert np.array_equal(W.dequantize(), ((q - z) * s).astype(np.float32))
    # within half a step of the input (plus the scale's FP16 rounding; a step for asym's ends)
    step = np.where(s > 0, s, 1)
    assert (np.abs(W.dequantize() - w) <= (1.0 if kind == "int4-asym" else 0.51) * step + 1e-6).all()


@pytest.mark.parametrize("kind,bits", [("int4", 4), ("int4-asym", 4), ("int8", 8)])
def test_storage_cost(kind, bits):
    W = anda.quantize_weights(np.ones((32, 1024), np.float32), kind=kind, group_size=128)
    extra = 16 + (8 if kind == "int4-asym" else 0)
    assert W.bits_per_element == bits + extra / 128
    assert W.nbytes == 32 * 1024 * W.bits_per_element / 8  # N and K fill the blocks here
    anda.gemm(anda.encode(np.ones((1, 1024), np.float32), mantissa=4), W)
    assert W.nbytes == 32 * 1024 * W.bits_per_element / 8  # one copy: a GeMM adds none
    assert "IntWeights(kind='" + kind in repr(W)


def test_from_quantized_round_trip_and_checks():
    rng = seeds.rng(2)
    w = rng.standard_normal((20, 256)).astype(np.float32)
    for kind in ["int4", "int4-asym", "int8"]:
        W = anda.quantize_weights(w, kind=kind)
        V = anda.IntWeights.from_quantized(W.q, W.scales, zeros=W.zeros, kind=kind)
        assert np.array_equal(V.dequantize(), W.dequantize())
        x = anda.encode(rng.standard_normal((3, 256)).astype(np.float32), mantissa=8)
        assert np.array_equal(anda.gemm(x, V), anda.gemm(x, W))
    q = np.zeros((4, 64), np.int8)
    s = np.ones((4, 1), np.float16)
    q[2, 5] = 8
    with pytest.raises(ValueError, match=r"q = 8 at \(2, 5\)"):
        anda.IntWeights.from_quantized(q, s)
    assert anda.IntWeights.from_quantized(q, s, kind="int8").q[2, 5] == 8
    q[2, 5] = -128
    assert anda.IntWeights.from_quantized(q, s, kind="int8").q[2, 5] == -128
    with pytest.raises(ValueError, match="zero point"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int8), s, kind="int4-asym",
                                       zeros=np.full((4, 1), 16, np.uint8))
    with pytest.raises(ValueError, match="zero points"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int8), s, kind="int4-asym")
    with pytest.raises(ValueError, match="not finite"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int8), np.full((4, 1), np.inf, np.float16))
    with pytest.raises(ValueError, match="scales"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int8), np.ones((4, 2), np.float16),
                                       group_size=64)
    with pytest.raises(TypeError, match="dtype"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int16), s)
    with pytest.raises(TypeError, match="dtype"):
        anda.IntWeights.from_quantized(np.zeros((4, 64), np.int8), s.astype(np.float32))


def test_quantize_weights_bad_arguments():
    with pytest.raises(TypeError, match="float64"):
        anda.quantize_weights(np.ones((4, 64)))
    with pytest.raises(ValueError, match="2-D"):
        anda.quantize_weights(np.ones(64, np.float32))
    with pytest.raises(ValueError, match="kind"):
        anda.quantize_weights(np.ones((4, 64), np.float32), kind="int3")
    w = np.ones((4, 64), np.float32)
    w[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"\(1, 2\) is not finite"):
        anda.quantize_weights(w)
    with pytest.raises(ValueError, match="FP16 range"):
        anda.quantize_weights(np.full((4, 64), 1e9, np.float32))
    with pytest.raises(ValueError, match="positive"):
        anda.quantize_weights(np.ones((0, 64), np.float32))
    for bad in [0, -1, 2**64 - 1]:
        with pytest.raises(ValueError, match="group_size"):
            anda.quantize_weights(np.ones((4, 64), np.float32), group_size=bad)
    with pytest.raises(TypeError, match="group_size"):
        anda.quantize_weights(np.ones((4, 64), np.float32), group_size=128.0)
    # a scale group at or beyond K is per channel, however large
    w = seeds.rng(4).standard_normal((3, 48)).astype(np.float32)
    huge = anda.quantize_weights(w, group_size=2**62)
    assert huge.scales.shape == (3, 1)
    assert np.array_equal(huge.dequantize(), anda.quantize_weights(w, group_size=48).dequantize())
