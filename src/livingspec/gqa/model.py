"""A small decoder-only transformer on grouped-query attention, in pure numpy (picoGPT style).

Llama-shaped blocks: RMSNorm, grouped-query attention with rotary embeddings, RMSNorm, a SwiGLU
MLP, each added to the residual; a final RMSNorm and an output head (tied to the embedding or
its own matrix). Weights are a flat dict whose keys follow Meta's Llama checkpoints; matrices are
stored [in, out] so every projection is ``x @ w``. One sequence at a time (no batch axis).

Activations are float32; weights and the KV cache are float32 or float16 (numpy promotes the
float16 operands of each matmul). Keys and values are rounded to the cache dtype whether or not
a cache is used, so a cached decode and a full recomputation see the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from livingspec.gqa.attention import Array, KVCache, LayerCache, apply_rope, grouped_attention, rope_tables
from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import CheckpointError, ShapeError

Params = dict[str, Array]


def param_shapes(config: GPTConfig) -> dict[str, tuple[int, ...]]:
    """Every weight's key and shape for a configuration (the checkpoint's table of contents)."""
    e, f, v = config.n_embd, config.mlp_hidden, config.vocab_size
    q_width, kv_width = config.n_head * config.head_dim, config.n_kv_head * config.head_dim
    shapes: dict[str, tuple[int, ...]] = {"tok_embeddings.weight": (v, e)}
    for i in range(config.n_layer):
        p = f"layers.{i}."
        shapes[p + "attention_norm.weight"] = (e,)
        shapes[p + "attention.wq.weight"] = (e, q_width)
        shapes[p + "attention.wk.weight"] = (e, kv_width)
        shapes[p + "attention.wv.weight"] = (e, kv_width)
        shapes[p + "attention.wo.weight"] = (q_width, e)
        shapes[p + "ffn_norm.weight"] = (e,)
        shapes[p + "feed_forward.w1.weight"] = (e, f)
        shapes[p + "feed_forward.w3.weight"] = (e, f)
        shapes[p + "feed_forward.w2.weight"] = (f, e)
    shapes["norm.weight"] = (e,)
    if not config.tied_head:
        shapes["output.weight"] = (e, v)
    return shapes


def init_params(config: GPTConfig, seed: int = 0) -> Params:
    """Seeded weights: normal(0, init_std) matrices, norm gains of one."""
    rng = np.random.default_rng(seed)
    params: Params = {}
    for key, shape in param_shapes(config).items():
        if key.endswith("norm.weight"):
            params[key] = np.ones(shape, dtype=config.np_dtype)
        else:
            params[key] = (rng.standard_normal(shape) * config.init_std).astype(config.np_dtype)
    return params


def check_params(config: GPTConfig, params: Mapping[str, Array]) -> None:
    """Raise CheckpointError unless params holds exactly the configuration's weights, shapes and dtype."""
    expected = param_shapes(config)
    missing = sorted(set(expected) - set(params))
    extra = sorted(set(params) - set(expected))
    if missing:
        raise CheckpointError(f"missing weight {missing[0]!r} ({len(missing)} missing in all)")
    if extra:
        raise CheckpointError(f"unexpected weight {extra[0]!r} for this configuration")
    for key, shape in expected.items():
        if tuple(params[key].shape) != shape:
            raise CheckpointError(f"weight {key!r} has shape {tuple(params[key].shape)}, expected {shape}")
        if params[key].dtype != config.np_dtype:
            raise CheckpointError(f"weight {key!r} is {params[key].dtype}, the configuration says {config.dtype}")


def rms_norm(x: Array, gain: Array, eps: float) -> Array:
    """x / rms(x) * gain over the last axis. x: [T, E] -> [T, E]."""
    return (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gain).astype(np.float32)  # type: ignore[no-any-return]


def swiglu(x: Array, w1: Array, w3: Array, w2: Array) -> Array:
    """silu(x @ w1) * (x @ w3) @ w2. x: [T, E] -> [T, E]."""
    gate = x @ w1  # [T, F]
    return ((gate / (1.0 + np.exp(-gate))) * (x @ w3) @ w2).astype(np.float32)  # type: ignore[no-any-return]


def attention_block(
    x: Array, params: Mapping[str, Array], layer: int, config: GPTConfig, offset: int, cache: LayerCache | None = None
) -> Array:
    """One layer's attention on normalised input x [T, E] at positions offset.. ; returns [T, E].

    With a cache the new keys and values are appended and the queries attend over all cached ones.
    """
    p = f"layers.{layer}.attention."
    n_tok, h, kv, d = x.shape[0], config.n_head, config.n_kv_head, config.head_dim
    cos, sin = _rope(config)
    cos, sin = cos[offset : offset + n_tok], sin[offset : offset + n_tok]  # [T, D/2]
    q = (x @ params[p + "wq.weight"]).reshape(n_tok, h, d).transpose(1, 0, 2)  # [H, T, D]
    k = (x @ params[p + "wk.weight"]).reshape(n_tok, kv, d).transpose(1, 0, 2)  # [K, T, D]
    v = (x @ params[p + "wv.weight"]).reshape(n_tok, kv, d).transpose(1, 0, 2)  # [K, T, D]
    q = apply_rope(q.astype(np.float32), cos, sin)  # [H, T, D]
    k = apply_rope(k.astype(np.float32), cos, sin).astype(config.np_dtype)  # [K, T, D], rounded like the cache
    v = v.astype(config.np_dtype)  # [K, T, D]
    if cache is not None:
        k, v = cache.append(k, v)  # [K, S, D] each, S = offset + T
    out = grouped_attention(q, k, v, offset=offset)  # [H, T, D]
    out = out.transpose(1, 0, 2).reshape(n_tok, h * d)  # [T, H*D]
    return (out @ params[p + "wo.weight"]).astype(np.float32)  # type: ignore[no-any-return]


_ROPE: dict[tuple[int, int, float], tuple[Array, Array]] = {}


def _rope(config: GPTConfig) -> tuple[Array, Array]:
    key = (config.max_seq_len, config.head_dim, config.rope_base)
    if key not in _ROPE:
        _ROPE[key] = rope_tables(*key)
    return _ROPE[key]


class Transformer:
    """A configuration and its weights; forward passes with or without a KV cache."""

    def __init__(self, config: GPTConfig, params: Mapping[str, Array]) -> None:
        check_params(config, params)
        self.config = config
        self.params: Params = dict(params)

    @classmethod
    def init(cls, config: GPTConfig, seed: int = 0) -> Transformer:
        """A model with seeded random weights."""
        return cls(config, init_params(config, seed))

    @property
    def head(self) -> Array:
        """The output head [E, V]: the embedding transposed when tied."""
        if self.config.tied_head:
            return self.params["tok_embeddings.weight"].T
        return self.params["output.weight"]

    def new_cache(self, capacity: int | None = None) -> KVCache:
        """An empty KV cache for this model (capacity defaults to max_seq_len)."""
        c = self.config
        capacity = c.max_seq_len if capacity is None else min(capacity, c.max_seq_len)
        return KVCache([LayerCache(c.n_kv_head, c.head_dim, capacity, c.np_dtype) for _ in range(c.n_layer)])

    def _check_tokens(self, tokens: Sequence[int] | Array, offset: int) -> Array:
        ids = np.asarray(tokens)
        if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
            raise ShapeError(f"tokens must be a non-empty 1-D sequence of integers, got shape {ids.shape}")
        if ids.min() < 0 or ids.max() >= self.config.vocab_size:
            raise ShapeError(f"token ids must lie in 0..{self.config.vocab_size - 1}, got {ids.min()}..{ids.max()}")
        if offset + ids.size > self.config.max_seq_len:
            raise ShapeError(
                f"positions {offset}..{offset + ids.size - 1} exceed max_seq_len {self.config.max_seq_len}"
            )
        return ids

    def forward(self, tokens: Sequence[int] | Array, cache: KVCache | None = None) -> Array:
        """Logits [T, V] (float32) for each of the T tokens, which continue the cache (if any).

        Without a cache the tokens are a whole sequence from position 0 (the reference path).
        """
        return (self.hidden(tokens, cache) @ self.head).astype(np.float32)  # type: ignore[no-any-return]

    def hidden(self, tokens: Sequence[int] | Array, cache: KVCache | None = None) -> Array:
        """The final normalised hidden states [T, E] that the output head turns into logits."""
        offset = 0 if cache is None else cache.length
        ids = self._check_tokens(tokens, offset)
        c, p = self.config, self.params
        x = p["tok_embeddings.weight"][ids].astype(np.float32)  # [T, E]
        for i in range(c.n_layer):
            layer_cache = None if cache is None else cache.layers[i]
            h = rms_norm(x, p[f"layers.{i}.attention_norm.weight"], c.norm_eps)  # [T, E]
            x = x + attention_block(h, p, i, c, offset, layer_cache)  # [T, E]
            h = rms_norm(x, p[f"layers.{i}.ffn_norm.weight"], c.norm_eps)  # [T, E]
            f = f"layers.{i}.feed_forward."
            x = x + swiglu(h, p[f + "w1.weight"], p[f + "w3.weight"], p[f + "w2.weight"])  # [T, E]
        return rms_norm(x, p["norm.weight"], c.norm_eps)  # [T, E]

    def prefill(self, tokens: Sequence[int] | Array, cache: KVCache) -> Array:
        """Run the prompt through an empty cache; logits [T, V]."""
        if cache.length:
            raise ShapeError(f"prefill needs an empty cache, this one holds {cache.length} tokens")
        return self.forward(tokens, cache)

    def decode(self, tokens: Sequence[int] | Array, cache: KVCache) -> Array:
        """Append one or several tokens to a cache; logits [T, V] for them."""
        return self.forward(tokens, cache)

    def truncated(self, n_layer: int) -> Transformer:
        """The first n_layer blocks with the shared final norm and head (a self-speculative draft).

        The weights are shared, not copied.
        """
        config = self.config.replace(n_layer=n_layer)
        keep = param_shapes(config)
        return Transformer(config, {key: self.params[key] for key in keep})

    def astype(self, dtype: str) -> Transformer:
        """The same model with weights (and cache) in another dtype."""
        config = self.config.replace(dtype=dtype)
        return Transformer(config, {k: w.astype(config.np_dtype) for k, w in self.params.items()})

    @property
    def n_params(self) -> int:
        """Number of weights."""
        return sum(int(w.size) for w in self.params.values())


def greedy_generate(model: Transformer, prompt: Sequence[int], n_new: int) -> list[int]:
    """Prefill then decode one token at a time, always taking the argmax (a KV-cached reference)."""
    cache = model.new_cache()
    logits = model.prefill(prompt, cache)
    out: list[int] = []
    for _ in range(n_new):
        token = int(np.argmax(logits[-1]))
        out.append(token)
        if len(out) == n_new:
            break
        logits = model.decode([token], cache)
    return out
