"""The small models and inputs the scenarios and benchmarks use, seeded so every run agrees."""

from __future__ import annotations

import numpy as np

from livingspec.gqa.attention import Array
from livingspec.gqa.config import GPTConfig
from livingspec.gqa.model import Transformer

#: Head width of the tiny transformers (n_embd = 8 x heads) and of the ad-hoc attention layers.
TINY_HEAD_DIM = 8
LAYER_HEAD_DIM = 16


def tiny_transformer(layers: int, heads: int, kv_heads: int, dtype: str = "float32", seed: int = 7) -> Transformer:
    """A seeded tiny transformer: head dim 8, vocabulary 64, SwiGLU hidden width 64."""
    config = GPTConfig(
        vocab_size=64,
        n_layer=layers,
        n_embd=TINY_HEAD_DIM * heads,
        n_head=heads,
        n_kv_head=kv_heads,
        mlp_hidden=64,
        dtype=dtype,
    )
    return Transformer.init(config, seed=seed)


def seeded_prompt(count: int, seed: int = 1, vocab: int = 64) -> list[int]:
    """``count`` token ids drawn uniformly from the vocabulary."""
    return [int(t) for t in np.random.default_rng(seed).integers(0, vocab, count)]


def attention_inputs(heads: int, kv_heads: int, tokens: int, seed: int = 3) -> tuple[Array, Array, Array]:
    """Seeded queries [H, T, D] and keys, values [K, T, D] (D = 16) for one attention layer."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((heads, tokens, LAYER_HEAD_DIM)).astype(np.float32)  # [H, T, D]
    k = rng.standard_normal((kv_heads, tokens, LAYER_HEAD_DIM)).astype(np.float32)  # [K, T, D]
    v = rng.standard_normal((kv_heads, tokens, LAYER_HEAD_DIM)).astype(np.float32)  # [K, T, D]
    return q, k, v
