"""anda: the Anda activation format (HPCA 2025) from Python, with the C++ library's exact semantics.

Groups of FP16 activations share one exponent; each value keeps a sign and an M-bit mantissa,
stored as bit-planes. This package is built from the same headers as the C++ library and the
``anda`` command, so its numbers are the library's, bit for bit:

    quantize(x, group=64, mantissa=7)       fake-quantized float32 array (= ``anda quantize``)
    encode(x, group=64, mantissa=7)         ActivationTensor: planes/exponents as zero-copy views
    quantize_weights(w, kind="int4")        IntWeights (INT4/INT8, FP16 scales per group)
    gemm(encode(x, ...), quantize_weights(w))  the exact FP-INT GeMM, float32 [T, N]
    whatif(modules=[7, 6, 6, 6])            the hwmodel what-if dict (= ``anda whatif --json``)
    anda.torch.quantize(x, group=64, mantissa=7)  quantize's bits in PyTorch ops, on x's device
    anda.pytorch.attach(model, (7, 6, 6, 6))  Anda at the inputs of a LLaMA model's nn.Linear layers
    backends(), backend()                   the kernel backends of this build; the one in use

Errors: wrong dtypes or types raise TypeError; bad values raise ValueError (anda.Error, and
anda.NonFiniteError for Inf/NaN groups under nonfinite="reject").
"""

from ._core import (
    ActivationTensor,
    Error,
    IntWeights,
    NonFiniteError,
    backend,
    backends,
    encode,
    gemm,
    quantize,
    quantize_weights,
    whatif,
)

__version__ = "@PROJECT_VERSION@"

__all__ = [
    "ActivationTensor",
    "Error",
    "IntWeights",
    "NonFiniteError",
    "backend",
    "backends",
    "encode",
    "gemm",
    "quantize",
    "quantize_weights",
    "whatif",
]
