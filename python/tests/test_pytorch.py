# Tests of anda.pytorch (Anda hooks on a PyTorch LLaMA) and of the PyTorch examples in
# examples/python: the hooks feed each Linear exactly anda.quantize of its input, and the
# tiny-llama-en perplexity in PyTorch reproduces `anda eval` (FP32, Anda, INT4 weights).
# Environment (set by ctest): PYTHONPATH=<build>/python, ANDA_TEST_DATA_DIR (the folder with
# models/) and ANDA_TOOL (the built `anda` command), through conftest.py's fixtures.
import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import torch  # Debian's python3-torch; scripts/deps.sh python installs it

import anda  # noqa: E402
import anda.pytorch  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
sys.path.insert(0, str(EXAMPLES))

import tiny_llama  # noqa: E402
import seeds  # noqa: E402


@pytest.fixture(autouse=True)
def seeded_torch(request):
    """torch's global generator (layer init, randn) seeded per test, whatever ran before."""
    torch.manual_seed(seeds.torch_seed(zlib.crc32(request.node.name.encode())))


TUPLE = (7, 5, 4, 3)  # distinct M per module input, all <= 8 (exact in bfloat16 too)
EXPECTED_M = {"q_proj": 7, "k_proj": 7, "v_proj": 7, "o_proj": 5, "gate_proj": 4, "up_proj": 4,
              "down_proj": 3}


# ---------------------------------------------------------------------------------------------
# A toy model with the LLaMA module names whose Linear layers record the input they receive.


class RecordingLinear(torch.nn.Linear):
    """An nn.Linear that keeps the input its forward receives (after the pre-hooks ran)."""

    def forward(self, x):
        self.seen = x
        if x.dtype == torch.float16:  # CPU torch 1.13 has no float16 matmul
            return torch.nn.functional.linear(x.float(), self.weight.float()).half()
        return super().forward(x)


class Toy(torch.nn.Module):
    """self_attn.{q,k,v,o}_proj and mlp.{gate,up,down}_proj; forward feeds each its own input."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.self_attn = torch.nn.Module()
        self.mlp = torch.nn.Module()
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(self.self_attn, name, RecordingLinear(96, 8, bias=False))
        for name in ("gate_proj", "up_proj"):
            setattr(self.mlp, name, RecordingLinear(96, 8, bias=False))
        self.mlp.down_proj = RecordingLinear(160, 8, bias=False)  # 2.5 groups of 64
        self.to(dtype)

    def linears(self):
        return {name: m for name, m in self.named_modules() if isinstance(m, RecordingLinear)}

    def forward(self, inputs):
        return {name: m(inputs[name]) for name, m in self.linears().items()}


def toy_inputs(model, shape, dtype, seed=0):
    """Random inputs with outliers (a spread of magnitudes), one per Linear, [*shape, K]."""
    g = torch.Generator().manual_seed(seeds.torch_seed(seed))
    inputs = {}
    for name, m in model.linears().items():
        size = (*shape, m.in_features)
        x = torch.randn(size, generator=g) * torch.exp(2 * torch.randn(size, generator=g))
        inputs[name] = x.to(dtype)
    return inputs


def expected(x, mantissa, **fmt):
    """anda.quantize of a tensor (groups along the last axis) in the tensor's dtype."""
    array = x.numpy() if x.dtype == torch.float16 else x.float().numpy()
    q = anda.quantize(array.reshape(-1, x.shape[-1]), mantissa=mantissa, **fmt)
    return torch.from_numpy(q.reshape(x.shape)).to(x.dtype)


def same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    view = torch.int32 if a.dtype == torch.float32 else torch.int16
    return torch.equal(a.contiguous().view(view), b.contiguous().view(view))


# ---------------------------------------------------------------------------------------------
# The hooks


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(5,), (2, 3)], ids=["2d", "3d"])
def test_hooks_feed_exactly_the_quantized_input(dtype, shape):
    model = Toy(dtype)
    inputs = toy_inputs(model, shape, dtype)
    with anda.pytorch.attach(model, TUPLE) as hooks:
        model(inputs)
    for name, m in model.linears().items():
        mantissa = EXPECTED_M[name.rsplit(".", 1)[-1]]
        assert hooks.modules[name] == mantissa
        assert hooks.calls[name] == 1
        want = expected(inputs[name], mantissa)
        assert same_bits(m.seen, want), name
        assert not torch.equal(m.seen, inputs[name]), name  # the quantization did something
        if dtype == torch.bfloat16:  # M <= 8: the quantized values are exact in bfloat16
            exact = anda.quantize(inputs[name].float().reshape(-1, m.in_features).numpy(),
                                  mantissa=mantissa)
            assert np.array_equal(want.float().reshape(-1, m.in_features).numpy(), exact)


def test_format_options_reach_the_encoder():
    model = Toy()
    inputs = toy_inputs(model, (4,), torch.float32, seed=1)
    fmt = dict(group=32, rounding="nearest_even")
    with anda.pytorch.attach(model, (9, 8, 7, 6), **fmt) as hooks:
        model(inputs)
    for name, m in model.linears().items():
        assert same_bits(m.seen, expected(inputs[name], hooks.modules[name], **fmt)), name


def test_remove_and_context_manager_restore_the_model():
    model = Toy()
    inputs = toy_inputs(model, (2, 3), torch.float32, seed=2)
    before = model(inputs)
    hooks = anda.pytorch.attach(model, (4, 4, 4, 4))
    assert hooks.active and "7 Linear layers" in repr(hooks)
    hooked = model(inputs)
    assert all(not torch.equal(before[n], hooked[n]) for n in before)
    hooks.remove()
    hooks.remove()  # a second remove does nothing
    assert not hooks.active and "removed" in repr(hooks)
    after = model(inputs)
    assert all(same_bits(before[n], after[n]) for n in before)

    with anda.pytorch.attach(model, (4, 4, 4, 4)) as hooks:
        assert all(same_bits(hooked[n], v) for n, v in model(inputs).items())
    assert not hooks.active
    assert all(same_bits(before[n], v) for n, v in model(inputs).items())


def test_remove_restores_tiny_llama_logits():
    config = tiny_llama.LlamaConfig(dict(
        hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=50, tie_word_embeddings=True))
    torch.manual_seed(seeds.torch_seed(0))
    model = tiny_llama.LlamaForCausalLM(config).eval()
    tokens = torch.randint(0, 50, (2, 12))
    with torch.no_grad():
        before = model(tokens)
        with anda.pytorch.attach(model, (4, 4, 4, 4)) as hooks:
            hooked = model(tokens)
        after = model(tokens)
    assert len(hooks.modules) == 2 * 7 and set(hooks.calls.values()) == {1}
    assert not torch.equal(before, hooked)
    assert same_bits(before, after)


def test_straight_through_gradient():
    model = Toy()
    linear = model.self_attn.q_proj
    with torch.no_grad():
        linear.weight.copy_(torch.eye(8, 96))  # the output is the first 8 quantized inputs
    x = (torch.randn(3, 96) * 10).requires_grad_()
    upstream = torch.randn(3, 8)
    with anda.pytorch.attach(model, (3, 3, 3, 3)):
        out = linear(x)
    assert same_bits(linear.seen.detach(), expected(x.detach(), 3))
    assert torch.equal(out.detach(), linear.seen.detach()[:, :8])
    out.backward(upstream)
    want = torch.zeros(3, 96)
    want[:, :8] = upstream
    assert torch.equal(x.grad, want)


@pytest.mark.parametrize("modules", [
    (7, 6, 6), (7, 6, 6, 6, 6), (0, 6, 6, 6), (7, 6, 6, 17), (7.0, 6, 6, 6), ("7", 6, 6, 6),
    (True, 6, 6, 6), "7,6,6,6", 7, None,
])
def test_bad_tuples_raise(modules):
    with pytest.raises(ValueError, match="four mantissa lengths"):
        anda.pytorch.attach(Toy(), modules)


def test_bad_format_raises_at_attach():
    with pytest.raises(ValueError, match="group"):
        anda.pytorch.attach(Toy(), group=48)
    with pytest.raises(ValueError, match="rounding"):
        anda.pytorch.attach(Toy(), rounding="stochastic")


def test_opt_module_names_map_to_the_four_inputs():
    """OPT's q/k/v_proj, out_proj, fc1, fc2 (the paper's A_qkv, A_o, A_u, A_d); project_in and
    project_out are not quantization points."""
    model = torch.nn.Module()
    model.self_attn = torch.nn.Module()
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        setattr(model.self_attn, name, torch.nn.Linear(8, 8))
    model.fc1 = torch.nn.Linear(8, 16)
    model.fc2 = torch.nn.Linear(16, 8)
    model.project_in = torch.nn.Linear(4, 8, bias=False)
    with anda.pytorch.attach(model, TUPLE) as hooks:
        assert hooks.modules == {"self_attn.q_proj": 7, "self_attn.k_proj": 7,
                                 "self_attn.v_proj": 7, "self_attn.out_proj": 5, "fc1": 4,
                                 "fc2": 3}
        x = torch.randn(3, 8)
        assert torch.equal(model.fc1(x), torch.nn.functional.linear(
            expected(x, 4), model.fc1.weight, model.fc1.bias))


def test_model_without_llama_linears_raises():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())
    with pytest.raises(ValueError, match="q_proj"):
        anda.pytorch.attach(model)
    with pytest.raises(TypeError):
        anda.pytorch.attach(object())


def test_non_linear_with_a_llama_name_raises():
    model = Toy()
    model.mlp.down_proj = torch.nn.Conv1d(160, 8, 1)
    with pytest.raises(TypeError, match="mlp.down_proj"):
        anda.pytorch.attach(model)


def test_quantize_weights_replaces_each_projection_by_its_integers():
    model = Toy()
    before = {name: m.weight.detach().clone() for name, m in model.linears().items()}
    names = anda.pytorch.quantize_weights(model, "int4-asym", group_size=32)
    assert sorted(names) == sorted(before)
    for name, m in model.linears().items():
        want = anda.quantize_weights(before[name].numpy(), kind="int4-asym", group_size=32)
        assert np.array_equal(m.weight.detach().numpy(), want.dequantize())
        assert not torch.equal(m.weight, before[name])
    with pytest.raises(ValueError, match="kind"):
        anda.pytorch.quantize_weights(Toy(), "int2")
    with pytest.raises(ValueError, match="q_proj"):
        anda.pytorch.quantize_weights(torch.nn.Sequential(torch.nn.Linear(4, 4)))


def test_q_k_v_share_one_quantization_of_their_common_input():
    model = Toy()
    x = toy_inputs(model, (3,), torch.float32)["self_attn.q_proj"]
    inputs = {name: x for name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                   "self_attn.o_proj")}
    inputs.update({n: v for n, v in toy_inputs(model, (3,), torch.float32).items()
                   if n not in inputs})
    with anda.pytorch.attach(model, TUPLE) as hooks, torch.no_grad():
        model(inputs)
        assert hooks._last is None  # released at the end of the model's forward pass
    q, k, v, o = (model.linears()[f"self_attn.{p}_proj"].seen for p in "qkvo")
    assert q is k and k is v  # quantized once
    assert torch.equal(q, expected(x, 7)) and torch.equal(o, expected(x, 5))  # o: its own M
    assert hooks.calls["self_attn.k_proj"] == 1

    # With autograd too: one straight-through node, whose gradient is the sum of the three
    # layers' (small integers throughout, so every sum is exact and the order does not matter).
    with torch.no_grad():
        for name in ("q_proj", "k_proj", "v_proj"):
            getattr(model.self_attn, name).weight.copy_(torch.randint(-3, 4, (8, 96)))
    upstream = {p: torch.randint(-3, 4, (3, 8)).float() for p in "qkv"}

    def grad_of_x(hooked):
        xg = x.clone().requires_grad_()
        feed = {**inputs, "self_attn.q_proj": xg, "self_attn.k_proj": xg, "self_attn.v_proj": xg}
        with anda.pytorch.attach(model, TUPLE) if hooked else torch.enable_grad():
            out = model(feed)
        sum((out[f"self_attn.{p}_proj"] * upstream[p]).sum() for p in "qkv").backward()
        return xg.grad

    hooked_grad = grad_of_x(True)
    q, k = model.linears()["self_attn.q_proj"].seen, model.linears()["self_attn.k_proj"].seen
    assert q is k and q.requires_grad and torch.equal(q, expected(x, 7))
    assert torch.equal(hooked_grad, grad_of_x(False))  # straight through: as without Anda
    # A result computed without a graph is not reused where one is wanted.
    xg = x.clone().requires_grad_()
    with anda.pytorch.attach(model, TUPLE):
        with torch.no_grad():
            model.self_attn.q_proj(xg)
        model.self_attn.k_proj(xg).sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0


def tiny_random_llama(layers=2):
    config = tiny_llama.LlamaConfig(dict(
        hidden_size=64, intermediate_size=96, num_hidden_layers=layers, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=50))
    torch.manual_seed(seeds.torch_seed(1))
    return tiny_llama.LlamaForCausalLM(config)


@pytest.mark.parametrize("mode", ["no_grad", "autograd", "inference_mode"])
def test_each_layer_input_is_quantized_once_per_forward(monkeypatch, mode):
    """q/k/v (and gate/up) share one anda.torch.quantize call per forward pass, with and without
    autograd: 4 calls per decoder layer, counted at the quantizer itself."""
    model = tiny_random_llama(layers=3)
    tokens = torch.randint(0, 50, (2, 9))
    calls = []
    quantize = anda.torch.quantize

    def counting(x, **kw):
        calls.append((x.shape, kw["mantissa"]))
        return quantize(x, **kw)

    monkeypatch.setattr(anda.torch, "quantize", counting)
    context = {"no_grad": torch.no_grad, "autograd": torch.enable_grad,
               "inference_mode": torch.inference_mode}[mode]
    with anda.pytorch.attach(model, TUPLE) as hooks:
        for passes in (1, 2):
            with context():
                logits = model(tokens)
            assert len(calls) == passes * 3 * 4
            assert [m for _, m in calls[:4]] == [7, 5, 4, 3]
            assert set(hooks.calls.values()) == {passes} and hooks._last is None
    if mode == "autograd":  # the straight-through gradient reaches the embedding
        logits.sum().backward()
        grad = model.model.embed_tokens.weight.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
    # and the values are those of a layer-by-layer quantization
    with torch.no_grad():
        reference = model(tokens)  # hooks removed: compare the hooked logits with another run
        with anda.pytorch.attach(model, TUPLE):
            again = model(tokens)
    assert torch.equal(logits.detach(), again) and not torch.equal(again, reference)


def test_a_hooked_forward_calls_no_numpy(monkeypatch):
    model = tiny_random_llama()
    tokens = torch.randint(0, 50, (2, 9))
    toy = Toy(torch.bfloat16)
    toy_in = toy_inputs(toy, (2, 3), torch.bfloat16)

    def forbidden(*args, **kwargs):
        raise AssertionError("NumPy was called during a hooked forward pass")

    with anda.pytorch.attach(model, TUPLE), anda.pytorch.attach(toy, TUPLE):
        with monkeypatch.context() as m:
            for name in ("asarray", "array", "ascontiguousarray", "frombuffer", "empty", "zeros"):
                m.setattr(np, name, forbidden)
            m.setattr(torch.Tensor, "numpy", forbidden)
            m.setattr(torch, "from_numpy", forbidden)
            m.setattr(anda, "quantize", forbidden)
            logits = model(tokens)
            model(tokens).sum().backward()
            toy(toy_in)
            with pytest.raises(AssertionError, match="NumPy"):  # the trap is armed
                np.asarray([1.0])
    assert torch.isfinite(logits).all()


def test_hooked_tiny_llama_logits_equal_the_numpy_path(tiny):
    """The logits of hooked tiny-llama-en are, bit for bit, those of the former implementation:
    every input copied to the host and quantized by the C++ anda.quantize."""
    model, tokens = tiny
    window = tokens[:128][None]

    def numpy_path(x, group, mantissa, rounding, nonfinite, kernel):
        array = (x if x.dtype == torch.float16 else x.float()).detach().cpu().numpy()
        q = anda.quantize(array.reshape(-1, array.shape[-1]), group=group, mantissa=mantissa,
                          rounding=rounding, nonfinite=nonfinite)
        return torch.from_numpy(q.reshape(array.shape)).to(x.device, x.dtype)

    with torch.no_grad(), anda.pytorch.attach(model, (7, 6, 6, 6)):
        logits = model(window)
        quantize = anda.torch.quantize
        try:
            anda.torch.quantize = numpy_path
            before = model(window)
        finally:
            anda.torch.quantize = quantize
    assert torch.equal(logits.view(torch.int32), before.view(torch.int32))


def test_double_attach_raises():
    model = Toy()
    hooks = anda.pytorch.attach(model)
    with pytest.raises(ValueError, match="already"):
        anda.pytorch.attach(model)
    hooks.remove()
    anda.pytorch.attach(model).remove()  # fine once removed


def test_bad_inputs_raise_naming_the_layer():
    model = Toy()
    inputs = toy_inputs(model, (2,), torch.float32)
    inputs["mlp.up_proj"][1, 70] = float("inf")
    with anda.pytorch.attach(model):
        with pytest.raises(ValueError, match="mlp.up_proj"):
            model(inputs)
    with anda.pytorch.attach(model, nonfinite="propagate"):
        out = model(inputs)["mlp.up_proj"]
    assert torch.isfinite(out[0]).all() and not torch.isfinite(out[1]).any()
    model = Toy(torch.float64)
    with anda.pytorch.attach(model):
        with pytest.raises(TypeError, match="q_proj.*float64"):
            model.self_attn.q_proj(torch.zeros(2, 96, dtype=torch.float64))


# ---------------------------------------------------------------------------------------------
# The checkpoints in ANDA_TEST_DATA_DIR/models; tiny-llama-en against `anda eval` (ANDA_TOOL)


@pytest.fixture(scope="module")
def model_dir(data_dir):
    return data_dir / "models" / "tiny-llama-en"


@pytest.fixture(scope="module")
def anda_eval(anda_tool, model_dir):
    """`anda eval --json` on tiny-llama-en's eval_tokens.i32, as a dict."""

    def run(windows, *options):
        result = anda_tool("eval", "--model", model_dir, "--tokens", model_dir / "eval_tokens.i32",
                           "--windows", windows, "--json", *options)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


@pytest.fixture(scope="module")
def tiny(model_dir):
    return tiny_llama.load_llama(model_dir), tiny_llama.read_tokens(model_dir / "eval_tokens.i32")


@pytest.fixture(scope="module")
def fp32_run(tiny):
    model, tokens = tiny
    return tiny_llama.perplexity(model, tokens, windows=4)


def test_tiny_llama_gqa_bf16_tied_matches_reference_logits(data_dir):
    folder = data_dir / "models" / "tiny-gqa-random"
    model = tiny_llama.load_llama(folder)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    tokens = tiny_llama.read_tokens(folder / "ref_tokens.i32")
    ref = np.fromfile(folder / "ref_logits.f32", dtype="<f4").reshape(len(tokens), -1)
    with torch.no_grad():
        logits = model(tokens).numpy()
    assert np.abs(logits - ref).max() < 1e-4


def test_fp32_perplexity_matches_anda_eval(fp32_run, model_dir, anda_eval):
    ref_json = json.loads((model_dir / "ref.json").read_text())
    assert fp32_run["window_nll"] == pytest.approx(ref_json["window_mean_nll"][:4], abs=1e-5)
    ref = anda_eval(4)
    assert ref["activations"] == "fp32" and ref["weights"] == "fp32"
    assert fp32_run["perplexity"] == pytest.approx(ref["perplexity"], rel=1e-4)
    assert fp32_run["window_nll"] == pytest.approx(ref["window_nll"], abs=1e-5)


def test_anda_perplexity_matches_anda_eval(tiny, fp32_run, anda_eval):
    model, tokens = tiny
    ref = anda_eval(4, "--modules", "7,6,6,6")
    ref_fp32 = anda_eval(4)
    with anda.pytorch.attach(model, (7, 6, 6, 6)) as hooks:
        run = tiny_llama.perplexity(model, tokens, windows=4)
    # The quantized values are the library's, but an FP32 rounding difference upstream can move a
    # value across a truncation step, and such flips change a window's NLL by up to ~5e-3.
    # The issue asks for 0.5 %; seen here: 6.5e-5, so hold it to 0.1 %.
    assert run["perplexity"] == pytest.approx(ref["perplexity"], rel=1e-3)
    assert run["window_nll"] == pytest.approx(ref["window_nll"], abs=2e-2)
    # The hooks ran on all 8 x 7 projections, each with its point's M (the M reaching the
    # encoder is checked bit for bit by test_hooks_feed_exactly_the_quantized_input).
    assert len(hooks.calls) == 56 and set(hooks.calls.values()) == {4}
    want_m = {"q_proj": 7, "k_proj": 7, "v_proj": 7, "o_proj": 6, "gate_proj": 6, "up_proj": 6,
              "down_proj": 6}
    assert all(m == want_m[name.rsplit(".", 1)[-1]] for name, m in hooks.modules.items())
    # What Anda costs agrees only as far as the truncation flips allow: the anda eval cost was
    # +0.100 on Zen 3 (AVX2 Eigen) and +0.068 on Sapphire Rapids (AVX-512 Eigen), PyTorch's
    # +0.098 on both; so both must cost something, and agree within the perplexity tolerance.
    cost = run["perplexity"] - fp32_run["perplexity"]
    ref_cost = ref["perplexity"] - ref_fp32["perplexity"]
    assert cost > 0.03 and ref_cost > 0.03 and abs(cost - ref_cost) < 1e-3 * ref["perplexity"]


def test_int4_weights_match_anda_eval(model_dir, anda_eval):
    model = tiny_llama.load_llama(model_dir)
    names = anda.pytorch.quantize_weights(model, "int4", group_size=128)
    assert len(names) == 56
    tokens = tiny_llama.read_tokens(model_dir / "eval_tokens.i32")
    # FP32 activations: the same dequantized weights, so the same numbers up to summation order.
    run = tiny_llama.perplexity(model, tokens, windows=1)
    assert run["perplexity"] == pytest.approx(anda_eval(1, "--weights", "int4")["perplexity"], rel=1e-5)
    with anda.pytorch.attach(model, (7, 6, 6, 6)):
        run = tiny_llama.perplexity(model, tokens, windows=1)
    ref = anda_eval(1, "--weights", "int4", "--modules", "7,6,6,6")
    # one window, and anda eval's integer GeMM sums in another order: 1.1e-3 seen
    assert run["perplexity"] == pytest.approx(ref["perplexity"], rel=5e-3)


def test_example_script(fp32_run, model_dir):
    command = [sys.executable, str(EXAMPLES / "anda_perplexity.py"), "--model", str(model_dir),
               "--tokens", str(model_dir / "eval_tokens.i32"), "--modules", "7,6,6,6",
               "--windows", "2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = {line.split(":")[0]: line.split(":")[1].split()[0] for line in result.stdout.splitlines()}
    # The FP32 run of windows 0-1 is the same as the first two windows of the 4-window run.
    want = np.exp(np.mean(fp32_run["window_nll"][:2]))
    assert float(lines["FP32 perplexity"]) == pytest.approx(want, rel=1e-6)
    assert float(lines["Anda perplexity"]) != pytest.approx(want, rel=1e-3)
    assert "relative change" in lines


def test_tiny_llama_refuses_more_positions_than_trained(tiny):
    model, _ = tiny
    with pytest.raises(ValueError, match="513 tokens exceed max_position_embeddings = 512"):
        model(torch.zeros(513, dtype=torch.long))
