"""Conversion of a multi-head checkpoint to grouped-query attention by mean-pooling.

Ainslie et al. (2023), section 2.1: "the key and value projection matrices of each group are
mean-pooled" into one head; the model is then uptrained for a fraction of its original steps.
Only the key and value projections change; queries, output projection and MLP are kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from livingspec.gqa.attention import Array
from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import ConfigError
from livingspec.gqa.model import Params, Transformer, check_params


def mean_pool_heads(weight: Array, n_heads: int, n_kv_heads: int) -> Array:
    """[E, n_heads * D] -> [E, n_kv_heads * D]: each new head is the mean of its group's G heads."""
    if n_kv_heads < 1 or n_heads % n_kv_heads:
        raise ConfigError("n_kv_heads", n_kv_heads, f"must divide the checkpoint's {n_heads} heads")
    e, width = weight.shape
    head_dim = width // n_heads
    group = n_heads // n_kv_heads
    grouped = weight.astype("float64").reshape(e, n_kv_heads, group, head_dim)  # [E, K, G, D]
    return grouped.mean(axis=2).reshape(e, n_kv_heads * head_dim).astype(weight.dtype)  # type: ignore[no-any-return]


def convert_params(config: GPTConfig, params: Mapping[str, Array], n_kv_heads: int) -> tuple[GPTConfig, Params]:
    """A checkpoint with n_kv_heads key/value heads made from one with config.n_kv_head (usually MHA)."""
    check_params(config, params)
    if n_kv_heads > config.n_kv_head or config.n_kv_head % n_kv_heads:
        raise ConfigError("n_kv_heads", n_kv_heads, f"must divide the checkpoint's {config.n_kv_head} KV heads")
    new_config = config.replace(n_kv_head=n_kv_heads)
    new: Params = dict(params)
    for i in range(config.n_layer):
        for name in ("wk", "wv"):
            key = f"layers.{i}.attention.{name}.weight"
            new[key] = mean_pool_heads(params[key], config.n_kv_head, n_kv_heads)
    return new_config, new


def convert_to_gqa(model: Transformer, n_kv_heads: int) -> Transformer:
    """The model with its key/value heads mean-pooled into n_kv_heads groups."""
    return Transformer(*convert_params(model.config, model.params, n_kv_heads))
