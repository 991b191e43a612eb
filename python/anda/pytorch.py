# anda.pytorch: Anda activations in a PyTorch LLaMA, by forward pre-hooks on its nn.Linear layers.
# Pure Python on top of anda.torch.quantize (PyTorch operations on the activations' own device,
# bit for bit the C++ library's encoder and decoder); needs torch >= 1.13.
"""Anda activations in a PyTorch LLaMA model: forward pre-hooks on its ``nn.Linear`` layers.

The Anda paper quantizes the inputs of the four kinds of linear modules of a LLaMA decoder layer,
each with its own mantissa length, the same in every layer (the tuple [M_qkv, M_o, M_u, M_d]):

    A_qkv  input of q_proj, k_proj, v_proj (the output of input_layernorm)
    A_o    input of o_proj (the attention output)
    A_u    input of gate_proj and up_proj (the output of post_attention_layernorm)
    A_d    input of down_proj (silu(gate) * up)

Everything else (attention products, norms, RoPE, softmax, the embedding and the head) keeps its
precision. ``attach()`` finds these layers by their Hugging Face module names (the last
component of the qualified name: ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``, ``gate_proj``,
``up_proj``, ``down_proj`` in LLaMA, Mistral, Qwen2 and Qwen3; ``q_proj``, ``k_proj``,
``v_proj``, ``out_proj``, ``fc1``, ``fc2`` in OPT; see ``MODULE_INPUTS``) and replaces each one's
input with ``anda.torch.quantize`` of it, computed on the input's device without NumPy or a host
copy: groups of ``group`` values along the input features, one shared exponent per group, M-bit
mantissas. These are, bit for bit, the values the C++ library's ``anda.quantize`` and ``anda eval
--modules`` give, so the perplexity of a hooked model matches ``anda eval`` up to float32
summation order::

    import anda.pytorch
    with anda.pytorch.attach(model, (7, 6, 6, 6)) as hooks:
        logits = model(tokens)          # the seven projections of every layer see Anda inputs
    print(hooks.calls)                  # how many inputs each layer received

A tensor that several layers read in one forward pass (q_proj, k_proj and v_proj; gate_proj and
up_proj) is quantized once, with or without autograd, and the layers share the result.

Dtypes: float32 and float16 inputs come back exactly quantized. bfloat16 inputs are, like
float32, rounded to FP16 before encoding (exact for bfloat16 values in FP16's normal range); the
quantized values are rounded back to bfloat16, which has 8 significant bits: exact for M <= 8
only. A magnitude of 65520 or more becomes Inf in FP16 (65504 < |x| < 65520 rounds to 65504), so
its group raises ValueError under ``nonfinite="reject"``. Other dtypes raise TypeError. The
gradient is a straight-through estimator: it passes through unchanged. Under
``nonfinite="reject"`` each quantization reads one scalar back from the device (to raise).
"""

import numbers
import weakref

import torch

import anda
import anda.torch

__all__ = ["AndaHooks", "attach", "quantize_weights", "MODULE_INPUTS"]

# The last component of a Linear layer's name -> its index in the tuple [M_qkv, M_o, M_u, M_d],
# for every family the C++ model implements: LLaMA, Mistral, Qwen2 and Qwen3 share the LLaMA
# names; OPT names its attention output out_proj and its MLP fc1, fc2 (its project_in and
# project_out are not quantization points, as in the paper).
MODULE_INPUTS = {
    "q_proj": 0,
    "k_proj": 0,
    "v_proj": 0,
    "o_proj": 1,
    "out_proj": 1,
    "gate_proj": 2,
    "up_proj": 2,
    "fc1": 2,
    "down_proj": 3,
    "fc2": 3,
}

# The Linear layers that carry anda hooks now (to refuse a second attach: no double quantization).
_hooked = weakref.WeakSet()


class _StraightThrough(torch.autograd.Function):
    """Forward: exactly the quantized values. Backward: the gradient passes through unchanged."""

    @staticmethod
    def forward(ctx, x, mantissa, group, rounding, nonfinite, kernel):
        # Looked up on each call (not bound at import), so that tests can count the calls.
        return anda.torch.quantize(x, group=group, mantissa=mantissa, rounding=rounding,
                                   nonfinite=nonfinite, kernel=kernel)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, None, None, None


class AndaHooks:
    """The forward pre-hooks that ``attach()`` registered; remove them with ``remove()``.

    Also a context manager: ``with anda.pytorch.attach(model, (7, 6, 6, 6)): ...`` removes the
    hooks on leaving the block.

    Attributes:
        modules: dict, qualified Linear name -> its mantissa length M, in model order.
        calls: dict, qualified Linear name -> how many quantized inputs it received so far.
        tuple: the [M_qkv, M_o, M_u, M_d] tuple; group, rounding, nonfinite: the Anda format.
        kernel: how anda.torch.quantize computes ("auto", "torch" or "triton").
        active: True until ``remove()``.
    """

    def __init__(self, tuple_, group, rounding, nonfinite, kernel="auto"):
        self.tuple = tuple_
        self.group = group
        self.rounding = rounding
        self.nonfinite = nonfinite
        self.kernel = kernel
        self.modules = {}
        self.calls = {}
        self._handles = []
        self._linears = []
        self._last = None  # (weakref to x, (version, M, grad mode), quantized x): see _quantized

    def _quantized(self, x, mantissa):
        """x quantized with M bits, once for the layers that read the same tensor in a row
        (q_proj, k_proj, v_proj; gate_proj, up_proj). Under autograd they share one
        straight-through node, whose gradient is the sum of theirs, as for x itself. The result is
        kept until the next call, the end of the model's forward pass or remove()."""
        # An inference tensor has no version counter; a layer input is not changed in place
        # between the layers that read it.
        version = None if x.is_inference() else x._version
        key = (version, mantissa, torch.is_grad_enabled())
        last = self._last
        if last is not None and last[0]() is x and last[1] == key:
            return last[2]
        q = _StraightThrough.apply(x, mantissa, self.group, self.rounding, self.nonfinite,
                                   self.kernel)
        self._last = (weakref.ref(x), key, q)
        return q

    def _forget(self, *_):
        """Drops the kept result (a forward hook on the model: no tensor outlives its pass)."""
        self._last = None

    def _add(self, name, linear, mantissa):
        """Registers the pre-hook that quantizes ``linear``'s input with mantissa length M."""

        def hook(module, inputs):
            x = inputs[0]
            try:
                q = self._quantized(x, mantissa)
            except (TypeError, ValueError) as e:  # anda.Error is a ValueError
                raise type(e)(f"anda.pytorch: input of {name}: {e}") from e
            self.calls[name] += 1
            return (q,) + tuple(inputs[1:])

        self._handles.append(linear.register_forward_pre_hook(hook))
        self._linears.append(linear)
        _hooked.add(linear)
        self.modules[name] = mantissa
        self.calls[name] = 0

    @property
    def active(self):
        return bool(self._handles)

    def remove(self):
        """Removes all hooks; the model computes as before. Calling it again does nothing."""
        for handle in self._handles:
            handle.remove()
        for linear in self._linears:
            _hooked.discard(linear)
        self._handles = []
        self._linears = []
        self._last = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        m = ",".join(str(v) for v in self.tuple)
        state = "active" if self.active else "removed"
        return (f"AndaHooks(modules=[{m}], group={self.group}, rounding={self.rounding!r}, "
                f"{len(self.modules)} Linear layers, {state})")


def _check_tuple(modules):
    """[M_qkv, M_o, M_u, M_d] as a tuple of 4 ints in 1..16, or ValueError."""
    message = ("modules must be four mantissa lengths [M_qkv, M_o, M_u, M_d], "
               f"each an integer in 1..16 (e.g. (7, 6, 6, 6)); got {modules!r}")
    if isinstance(modules, (str, bytes)):
        raise ValueError(message)
    try:
        values = tuple(modules)
    except TypeError:
        raise ValueError(message) from None
    if len(values) != 4:
        raise ValueError(message)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= v <= 16:
            raise ValueError(message)
    return tuple(int(v) for v in values)


def attach(model, modules=(7, 6, 6, 6), *, group=64, rounding="truncate", nonfinite="reject",
           kernel="auto"):
    """Quantizes the inputs of a LLaMA model's projections to Anda; returns the ``AndaHooks``.

    Args:
        model: a torch.nn.Module with Hugging Face module names (a transformers
            ``LlamaForCausalLM``, ``MistralForCausalLM``, ``Qwen2ForCausalLM``,
            ``Qwen3ForCausalLM`` or ``OPTForCausalLM``, or any model whose Linear layers are named
            as ``MODULE_INPUTS`` lists).
        modules: the mantissa lengths [M_qkv, M_o, M_u, M_d], four integers in 1..16.
        group: the Anda group size along the input features (the tail group is zero-padded).
        rounding: "truncate" (the paper's), "nearest_even" or "nearest_away".
        nonfinite: "reject" (an Inf/NaN group raises ValueError) or "propagate".
        kernel: how anda.torch.quantize computes: "auto" (a Triton kernel on CUDA where Triton
            imports), "torch" (tensor operations) or "triton"; the values are the same.

    Every matching ``nn.Linear`` gets a forward pre-hook that replaces its input x by
    ``anda.torch.quantize(x, group=group, mantissa=M, ...)`` of the right M, in x's dtype and
    device, with a straight-through gradient.

    Raises:
        ValueError: a bad tuple, group, rounding or nonfinite; no matching Linear layer; a layer
            that already carries anda hooks (remove those first).
        TypeError: a module with one of those names that is not a torch.nn.Linear (it would not
            be measured).
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    tuple_ = _check_tuple(modules)
    # Check the format now rather than at the first forward pass (ValueError, as anda.quantize).
    anda.torch.check_format(group, tuple_[0], rounding, nonfinite, fn="attach")
    if kernel not in anda.torch.KERNELS:
        raise ValueError(f'kernel "{kernel}" is not known ({", ".join(anda.torch.KERNELS)})')

    layers = _projections(model)
    for name, module in layers:
        if module in _hooked:
            raise ValueError(f"anda.pytorch: {name} already has anda hooks attached; "
                             "remove them first (hooks.remove()) to avoid quantizing twice")
    hooks = AndaHooks(tuple_, group, rounding, nonfinite, kernel)
    for name, module in layers:
        hooks._add(name, module, tuple_[MODULE_INPUTS[name.rsplit(".", 1)[-1]]])
    for register in (model.register_forward_pre_hook, model.register_forward_hook):
        hooks._handles.append(register(hooks._forget))
    return hooks


def _projections(model):
    """(name, Linear) of every layer named in MODULE_INPUTS; TypeError for a non-Linear."""
    found = []
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] not in MODULE_INPUTS:
            continue
        if not isinstance(module, torch.nn.Linear):
            raise TypeError(f"anda.pytorch: {name} is a {type(module).__name__}, not a "
                            "torch.nn.Linear")
        found.append((name, module))
    if not found:
        raise ValueError("anda.pytorch: the model has no torch.nn.Linear named "
                         + ", ".join(MODULE_INPUTS) + " (Hugging Face LLaMA/OPT names)")
    return found


def quantize_weights(model, kind="int4", *, group_size=128):
    """Replaces the projection weights by their round-to-nearest integer values, in place.

    The weight of every ``nn.Linear`` named in ``MODULE_INPUTS`` (q/k/v/o/gate/up/down_proj;
    OPT's out_proj, fc1, fc2) becomes
    ``anda.quantize_weights(w, kind=kind, group_size=group_size).dequantize()``: (q - zero) * scale
    with one FP16 scale per output channel and group of ``group_size`` inputs, as
    ``anda eval --weights int4`` (kind "int4", "int4-asym" or "int8"). Exact in a float32 model;
    a float16 or bfloat16 weight rounds the dequantized values to its dtype. Combine with
    ``attach()`` for a W4 + Anda study. Returns the names of the layers changed.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = _projections(model)
    with torch.no_grad():
        for _, module in layers:
            w = module.weight.detach().to("cpu", torch.float32).numpy()
            q = anda.quantize_weights(w, kind=kind, group_size=group_size)
            module.weight.copy_(torch.from_numpy(q.dequantize()))
    return [name for name, _ in layers]
