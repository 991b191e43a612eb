"""The format through the Python API: microxcaling's vectors, an independent integer reference
(reference.py) over every finite FP16 value, the bit-plane views, and the argument checks."""

import json

import numpy as np
import pytest

import anda
import seeds
from reference import encode_decode, finite_fp16_values, llm_rows, same_bits

ROUNDINGS = ["truncate", "nearest_even", "nearest_away"]


def assert_same(actual, expected):
    """Bit for bit, except that NaNs only need to sit in the same places."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    nan = np.isnan(expected)
    assert np.array_equal(np.isnan(actual), nan)
    assert np.array_equal(actual[~nan].view(np.uint32), expected[~nan].view(np.uint32))


def mx_cases(data_dir):
    folder = data_dir / "oracles" / "mx"
    manifest = json.loads((folder / "manifest.json").read_text())
    return [(c, np.load(folder / c["input"]), np.load(folder / c["expected"]))
            for c in manifest["cases"]]


def test_every_microxcaling_case(data_dir):
    cases = mx_cases(data_dir)
    assert len(cases) == 20
    for case, x, expected in cases:
        assert x.dtype == np.float16 and expected.dtype == np.float32
        kw = dict(group=case["G"], mantissa=case["M"], rounding=case["rounding"])
        # Exact FP32 equality (microxcaling writes +0 where Anda keeps the sign of a -0 or of a
        # flushed negative; the reference test below checks our signs)
        y = anda.quantize(x, **kw)
        assert y.dtype == np.float32 and np.array_equal(y, expected), case["id"]
        # float32 input (a lossless widening) takes the same way through FP16
        assert same_bits(anda.quantize(x.astype(np.float32), **kw), y), case["id"]
        # the encoded tensor decodes to the same values, in float16 too (exact there)
        t = anda.encode(x, **kw)
        assert same_bits(t.decode(), y), case["id"]
        assert np.array_equal(t.decode(np.float16), expected.astype(np.float16)), case["id"]


def test_reference_agrees_with_microxcaling(data_dir):
    # The reference of these tests is itself checked against the external oracle.
    for case, x, expected in mx_cases(data_dir):
        assert np.array_equal(encode_decode(x, case["G"], case["M"], case["rounding"]), expected)


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_every_finite_fp16_value_under_fixed_maxima(rounding):
    values = finite_fp16_values()  # 63,490 values: 1,008 groups of 63 plus a tail
    n = -(-values.size // 63) * 63
    body = np.zeros(n, np.float16)
    body[:values.size] = values
    body = body.reshape(-1, 63)
    # The first element of each group of 64 sets the shared exponent: the FP16 maximum, 1.0,
    # a tiny normal, the largest subnormal.
    for top in [65504.0, -1.0, 6.1035156e-05, 6.0975552e-05]:
        x = np.concatenate([np.full((body.shape[0], 1), top, np.float16), body], axis=1)
        for mantissa in [1, 2, 4, 7, 8, 11, 12, 16]:
            expected = encode_decode(x, 64, mantissa, rounding)
            assert same_bits(anda.quantize(x, group=64, mantissa=mantissa, rounding=rounding),
                             expected), (top, mantissa)


@pytest.mark.parametrize("group", [8, 16, 32, 64, 128, 256])
def test_shuffled_fp16_values_every_group_size(group):
    rng = seeds.rng(group)
    values = rng.permutation(finite_fp16_values())
    x = values[: values.size // 256 * 256].reshape(-1, 256)
    for rounding in ROUNDINGS:
        for mantissa in [3, 6, 13]:
            assert same_bits(anda.quantize(x, group=group, mantissa=mantissa, rounding=rounding),
                             encode_decode(x, group, mantissa, rounding))


@pytest.mark.parametrize("K", [1, 2, 3, 7, 15, 17, 63, 65, 200, 4096])
def test_awkward_lengths_and_float32_input(K):
    rng = seeds.rng(K)
    x = llm_rows(rng, 5, K)
    expected = encode_decode(x.astype(np.float16), 64, 5)  # float32 -> FP16 (nearest even) first
    assert same_bits(anda.quantize(x, mantissa=5), expected)


def test_edge_values():
    sub = np.float16(2.0**-24)
    rows = [
        [0.0, -0.0, 0.0, -0.0],  # zeros: -0 stays -0
        [65504.0, -65504.0, 1.0, -2.0**-14],
        [sub, -sub, 3 * sub, 1023 * sub],  # subnormal-only group: E = 1
        [3.0, 3.0, 3.0, 3.0],  # all equal
        [1000.0, 1.0, 0.5, 0.001],  # one outlier
        [1.5, 1.25, 1.75, 1.125],  # ties at M = 2, 3
    ]
    x = np.array(rows, np.float16)
    for rounding in ROUNDINGS:
        for mantissa in range(1, 17):
            y = anda.quantize(x, group=8, mantissa=mantissa, rounding=rounding)
            assert same_bits(y, encode_decode(x, 8, mantissa, rounding))
    y = anda.quantize(x, group=8, mantissa=4)
    assert np.signbit(y[0, 1]) and np.signbit(y[0, 3]) and not np.signbit(y[0, 0])
    assert y[1, 0] == 15 * 2.0**12  # 65504 saturates at m = 2^M - 1 = 15, scale 2^(30 - 15 - 3)
    assert np.array_equal(anda.quantize(x[3:4], group=8, mantissa=11), x[3:4].astype(np.float32))


def test_nonfinite_policies():
    x = np.ones((3, 128), np.float32)
    x[1, 70] = np.inf
    x[2, 5] = 1e6  # beyond FP16: +Inf after the FP16 rounding
    with pytest.raises(anda.NonFiniteError) as info:
        anda.quantize(x, mantissa=4)
    assert (info.value.row, info.value.group, info.value.column) == (1, 1, 70)
    assert isinstance(info.value, ValueError) and "row 1" in str(info.value)
    y = anda.quantize(x, mantissa=4, nonfinite="propagate")
    assert np.isnan(y[1, 64:]).all() and np.isnan(y[2, :64]).all()
    assert (y[0] == 1).all() and (y[1, :64] == 1).all() and (y[2, 64:] == 1).all()
    x16 = np.array([[np.nan, 1.0]], np.float16)
    assert np.isnan(anda.quantize(x16, mantissa=7, nonfinite="propagate")).all()
    with pytest.raises(anda.NonFiniteError):
        anda.encode(x16, mantissa=7)


def test_shapes_layouts_and_empty_arrays():
    rng = seeds.rng(7)
    x = llm_rows(rng, 24, 96).reshape(2, 3, 4, 96)
    y = anda.quantize(x, group=32, mantissa=6)
    assert y.shape == x.shape and y.dtype == np.float32
    assert same_bits(y.reshape(-1, 96), anda.quantize(x.reshape(-1, 96), group=32, mantissa=6))
    one = anda.quantize(x[0, 0, 0], group=32, mantissa=6)  # 1-D: one row
    assert one.shape == (96,) and same_bits(one, y[0, 0, 0])
    # Non-contiguous and Fortran-ordered views are read as the values they show.
    view = x.reshape(-1, 96)[::3, ::2]
    assert same_bits(anda.quantize(view, group=16, mantissa=6),
                     anda.quantize(np.ascontiguousarray(view), group=16, mantissa=6))
    misaligned = np.zeros(4 * 96 + 1, np.uint8)[1:].view(np.float32)
    assert not misaligned.flags.aligned
    misaligned[:] = x.reshape(-1)[:96]
    assert same_bits(anda.quantize(misaligned, mantissa=6), anda.quantize(x.reshape(-1)[:96], mantissa=6))
    fortran = np.asfortranarray(x.reshape(-1, 96))
    assert same_bits(anda.quantize(fortran, mantissa=6), anda.quantize(x.reshape(-1, 96), mantissa=6))
    for empty in [np.zeros((0, 64), np.float32), np.zeros((3, 0), np.float16), np.zeros(0, np.float32)]:
        out = anda.quantize(empty, mantissa=4)
        assert out.shape == empty.shape and out.dtype == np.float32


def test_bad_arguments():
    x = np.ones((2, 64), np.float32)
    for bad in [x.astype(np.float64), x.astype(np.int32), x.astype(">f4"), x.astype(np.complex64)]:
        with pytest.raises(TypeError, match="dtype"):
            anda.quantize(bad, mantissa=4)
    with pytest.raises(TypeError, match="numpy array"):
        anda.quantize([[1.0, 2.0]], mantissa=4)
    with pytest.raises(TypeError):
        anda.quantize(x, 64, 4)  # group, mantissa are keywords
    with pytest.raises(TypeError):
        anda.quantize(x)  # mantissa is required
    with pytest.raises(ValueError, match="at least one axis"):
        anda.quantize(np.array(1.0, np.float32), mantissa=4)
    with pytest.raises(ValueError, match="M = 0"):
        anda.quantize(x, mantissa=0)
    with pytest.raises(ValueError, match="M = 17"):
        anda.quantize(x, mantissa=17)
    with pytest.raises(ValueError, match="G = 48"):
        anda.quantize(x, group=48, mantissa=4)
    with pytest.raises(ValueError, match="rounding"):
        anda.quantize(x, mantissa=4, rounding="nearest")
    with pytest.raises(ValueError, match="nonfinite"):
        anda.quantize(x, mantissa=4, nonfinite="ignore")
    with pytest.raises(anda.Error):
        anda.quantize(x, mantissa=0)
    for bad in [True, 7.0, "7", None]:
        with pytest.raises(TypeError, match="mantissa must be an integer"):
            anda.quantize(x, mantissa=bad)
    with pytest.raises(ValueError, match="mantissa = 1099511627776 is out of range"):
        anda.quantize(x, mantissa=2**40)
    assert same_bits(anda.quantize(x, group=np.int32(64), mantissa=np.uint8(4)),
                     anda.quantize(x, mantissa=4))
    with pytest.raises(TypeError, match="masked"):
        anda.quantize(np.ma.masked_array(x, mask=x > 0), mantissa=4)


@pytest.mark.parametrize("group,mantissa", [(8, 1), (16, 5), (64, 7), (128, 11), (256, 16)])
def test_planes_and_exponents_are_the_storage(group, mantissa):
    rng = seeds.rng(group + mantissa)
    x = llm_rows(rng, 6, 3 * group - 5).astype(np.float16)
    t = anda.encode(x, group=group, mantissa=mantissa)
    groups = 3
    assert t.shape == x.shape and (t.group, t.mantissa) == (group, mantissa)
    assert (t.rounding, t.nonfinite) == ("truncate", "reject")
    planes, exps = t.planes, t.exponents
    assert planes.shape == (6, groups, 1 + mantissa, group // 8) and planes.dtype == np.uint8
    assert exps.shape == (6, groups) and exps.dtype == np.uint8
    # zero-copy: two reads are the same memory, owned by the tensor, and read-only
    assert np.shares_memory(planes, t.planes) and np.shares_memory(exps, t.exponents)
    assert planes.base is not None and not planes.flags.writeable and not exps.flags.writeable
    with pytest.raises(ValueError):
        planes[0, 0, 0, 0] = 1
    # bits per element, and the bytes held (planes + exponents)
    assert t.bits_per_element == 1 + mantissa + 8 / group
    assert t.nbytes == planes.nbytes + exps.nbytes == 6 * groups * group * t.bits_per_element / 8
    # decode the planes with numpy: sign plane, then magnitude bits MSB first (bit i%8 of byte i//8)
    bits = np.unpackbits(planes, axis=3, bitorder="little")  # [rows, groups, planes, G]
    magnitude = np.zeros(bits.shape[:2] + (group,), np.int64)
    for k in range(mantissa):
        magnitude = (magnitude << 1) | bits[:, :, 1 + k]
    scale = np.ldexp(1.0, np.maximum(exps.astype(np.int32), 1) - 15 - (mantissa - 1))[..., None]
    values = magnitude * scale
    values = np.where(bits[:, :, 0] == 1, -values, values)  # -0 for a negative zero
    values = values.reshape(6, -1)[:, : x.shape[1]].astype(np.float32)
    assert same_bits(values, t.decode())
    # the tensor outlives its owner's name: views keep it alive
    del t
    assert planes.sum() >= 0 and exps.max() <= 30


def test_drop_planes_is_truncation_to_fewer_bits():
    rng = seeds.rng(3)
    x = llm_rows(rng, 4, 320)
    t = anda.encode(x, mantissa=12)
    for m in range(1, 13):
        smaller = t.drop_planes(m)
        assert smaller.mantissa == m and smaller.shape == t.shape
        assert same_bits(smaller.decode(), anda.quantize(x, mantissa=m))
    with pytest.raises(ValueError, match="exceeds"):
        t.drop_planes(13)
    assert "group=64, mantissa=12" in repr(t)
    with pytest.raises(TypeError, match="float32 or float16"):
        t.decode(np.float64)


def test_decode_into_out_arrays():
    rng = seeds.rng(9)
    x = llm_rows(rng, 8, 130)
    y = anda.quantize(x, mantissa=6)
    out = np.full_like(x, 7.0)
    assert anda.quantize(x, mantissa=6, out=out) is out and same_bits(out, y)
    inplace = x.copy()
    anda.quantize(inplace, mantissa=6, out=inplace)  # in place
    assert same_bits(inplace, y)
    t = anda.encode(x, mantissa=6)
    half = np.empty(x.shape, np.float16)
    assert t.decode(out=half) is half and np.array_equal(half, y.astype(np.float16))
    with pytest.raises(TypeError, match="float32"):
        anda.quantize(x, mantissa=6, out=np.empty(x.shape, np.float64))
    with pytest.raises(TypeError, match="float32"):
        anda.quantize(x, mantissa=6, out=[0.0])
    with pytest.raises(ValueError, match="shape"):
        anda.quantize(x, mantissa=6, out=np.empty((8, 131), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        anda.quantize(x, mantissa=6, out=np.empty((130, 8), np.float32).T)
    with pytest.raises(ValueError, match="aligned"):
        anda.quantize(x, mantissa=6, out=np.zeros(x.size * 4 + 1, np.uint8)[1:].view(np.float32).reshape(x.shape))
    frozen = np.empty_like(x)
    frozen.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        anda.quantize(x, mantissa=6, out=frozen)
    with pytest.raises(TypeError, match="differ"):
        t.decode(np.float16, out=out)
