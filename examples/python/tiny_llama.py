# A small, readable LLaMA in plain PyTorch (no transformers), for the anda.pytorch examples and tests.
# It reads a Hugging Face LLaMA checkpoint folder (config.json + *.safetensors, with a tiny NumPy
# safetensors reader), computes in float32 and uses the Hugging Face module names
# (model.layers.{i}.self_attn.q_proj, ..., lm_head), so anda.pytorch.attach() finds the same
# nn.Linear layers as on a transformers LlamaForCausalLM.
"""A small LLaMA (``LlamaForCausalLM`` layout) in plain PyTorch, float32 compute.

    model = load_llama("/path/to/checkpoint")          # config.json + *.safetensors
    tokens = read_tokens("/path/to/eval_tokens.i32")   # int32 little-endian token ids
    result = perplexity(model, tokens, window=256, windows=4)
    print(result["perplexity"])

Supported: multi-head and grouped-query attention (``num_key_value_heads``), tied embeddings
(``tie_word_embeddings``), F16/BF16/F32 tensors in one ``model.safetensors`` or in shards listed by
``model.safetensors.index.json``, both config spellings (``rope_theta``/``torch_dtype`` and
``rope_parameters.rope_theta``/``dtype``), default ("rotate-half") RoPE only, no biases.
"""

import json
import math
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------
# Reading checkpoints


def read_safetensors(path):
    """All tensors of one .safetensors file, as a dict name -> float32 numpy array.

    The format: 8 bytes little-endian header length n, then n bytes of JSON
    ({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}),
    then the data; offsets are relative to the end of the header.
    """
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin : base + end]
        dtype = info["dtype"]
        if dtype == "F32":
            array = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            array = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            # bfloat16 is the top half of a float32: shift the 16 bits up.
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype} (supported: F32, F16, BF16)")
        tensors[name] = array.astype(np.float32).reshape(info["shape"])
    return tensors


def read_checkpoint(folder):
    """All tensors of a checkpoint folder: model.safetensors, or the shards of the index file."""
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    if index.exists():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    else:
        shards = ["model.safetensors"]
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors(folder / shard))
    return tensors


def read_tokens(path):
    """Token ids from a file of int32 little-endian values, as an int64 torch tensor."""
    return torch.from_numpy(np.fromfile(path, dtype="<i4").astype(np.int64))


# ---------------------------------------------------------------------------------------------
# The model


class LlamaConfig:
    """The config.json fields the forward pass needs."""

    def __init__(self, config):
        self.hidden_size = config["hidden_size"]
        self.intermediate_size = config["intermediate_size"]
        self.num_hidden_layers = config["num_hidden_layers"]
        self.num_attention_heads = config["num_attention_heads"]
        self.num_key_value_heads = config.get("num_key_value_heads") or self.num_attention_heads
        self.head_dim = config.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.vocab_size = config["vocab_size"]
        self.max_position_embeddings = config.get("max_position_embeddings")
        self.rms_norm_eps = config.get("rms_norm_eps", 1e-6)
        self.tie_word_embeddings = config.get("tie_word_embeddings", False)
        # Old spelling: top-level rope_theta; new spelling: rope_parameters.rope_theta.
        rope = config.get("rope_parameters") or {}
        self.rope_theta = rope.get("rope_theta", config.get("rope_theta", 10000.0))
        rope_type = rope.get("rope_type", (config.get("rope_scaling") or {}).get("rope_type", "default"))
        if rope_type != "default":
            raise ValueError(f"RoPE type {rope_type!r} is not supported (only 'default')")
        if config.get("hidden_act", "silu") != "silu":
            raise ValueError(f"hidden_act {config['hidden_act']!r} is not supported (only 'silu')")
        if config.get("attention_bias") or config.get("mlp_bias"):
            raise ValueError("linear biases are not supported")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight, over the last axis."""

    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(length, head_dim, theta):
    """cos and sin tables [length, head_dim] of the default RoPE (rotate-half layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos().float(), angles.sin().float()


def rotate_half(x):
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


class LlamaAttention(nn.Module):
    """Causal self-attention with RoPE; k/v heads shared by groups of query heads (GQA)."""

    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c.hidden_size, bias=False)

    def forward(self, x, cos, sin):
        batch, length, _ = x.shape
        # [batch, heads, length, head_dim]
        q = self.q_proj(x).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # Query head h uses key/value head h // (heads / kv_heads).
        k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
        v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        out = scores.softmax(dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim))


class LlamaMLP(nn.Module):
    """SwiGLU: down_proj(silu(gate_proj(x)) * up_proj(x))."""

    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    """Pre-norm residual block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = LlamaMLP(c)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    """Embedding, decoder layers and the final norm (the ``model.`` prefix of the tensor names)."""

    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(LlamaDecoderLayer(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    """``model`` plus ``lm_head``; ``forward(tokens [batch, length] or [length])`` gives logits."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, tokens):
        """Float32 logits [batch, length, vocab] (or [length, vocab] for a 1-D input)."""
        single = tokens.dim() == 1
        if single:
            tokens = tokens[None]
        limit = self.config.max_position_embeddings
        if limit and tokens.shape[1] > limit:
            raise ValueError(f"{tokens.shape[1]} tokens exceed max_position_embeddings = {limit}")
        cos, sin = rope_cos_sin(tokens.shape[1], self.config.head_dim, self.config.rope_theta)
        cos, sin = cos.to(tokens.device), sin.to(tokens.device)
        x = self.model.embed_tokens(tokens)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        logits = self.lm_head(self.model.norm(x))
        return logits[0] if single else logits


def load_llama(folder):
    """A LlamaForCausalLM in eval mode with the checkpoint's weights upcast to float32."""
    folder = Path(folder)
    config = LlamaConfig(json.loads((folder / "config.json").read_text()))
    model = LlamaForCausalLM(config)
    tensors = read_checkpoint(folder)
    if config.tie_word_embeddings:
        tensors.pop("lm_head.weight", None)  # the head is model.embed_tokens.weight
    state = {name: torch.from_numpy(array) for name, array in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if config.tie_word_embeddings:
        missing = [name for name in missing if name != "lm_head.weight"]
    if missing or unexpected:
        raise ValueError(f"{folder}: missing tensors {missing}, unexpected tensors {unexpected}")
    return model.eval()


# ---------------------------------------------------------------------------------------------
# Perplexity


def perplexity(model, tokens, window=256, windows=None, progress=None):
    """Perplexity over whole windows of a token stream (the anda model folders' convention).

    Window i is tokens[i*window:(i+1)*window], fed on its own with no BOS added; it predicts its
    tokens 1..window-1. mean_nll is the mean over windows x (window - 1) predictions and
    perplexity = exp(mean_nll). windows=None: every whole window. model: this file's
    LlamaForCausalLM or a transformers one (its output's .logits are used). progress(done, total) is called
    after each window. Returns {"mean_nll", "perplexity", "window_nll": [per-window mean NLL]}.
    """
    available = len(tokens) // window
    windows = available if windows is None else windows
    if not 1 <= windows <= available:
        raise ValueError(f"{windows} windows of {window} tokens need {windows * window} tokens, "
                         f"the stream has {len(tokens)}")
    device = next(model.parameters()).device
    window_nll = []
    with torch.no_grad():
        for i in range(windows):
            ids = tokens[i * window : (i + 1) * window].to(device)
            output = model(ids[None])
            logits = getattr(output, "logits", output)  # a transformers model returns an object
            logits = logits[0, :-1].double()  # position t predicts token t + 1
            window_nll.append(F.cross_entropy(logits, ids[1:]).item())
            if progress:
                progress(i + 1, windows)
    mean_nll = sum(window_nll) / windows
    return {"mean_nll": mean_nll, "perplexity": math.exp(mean_nll), "window_nll": window_nll}
