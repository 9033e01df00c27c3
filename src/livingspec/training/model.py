"""The numpy transformer of ``livingspec.gqa.model`` written again in jax.numpy, for gradients.

Same weights dict (Llama keys, [in, out] matrices), same RMSNorm, rotate-half RoPE, grouped-query
attention (query head h reads key/value head h // G), SwiGLU and tied or separate head, so weights
trained here load unchanged into ``livingspec.gqa.Transformer``. Batched: tokens are [B, T].
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from livingspec.gqa import GPTConfig, rope_tables

JaxParams = dict[str, jax.Array]


def _norm(x: jax.Array, gain: jax.Array, eps: float) -> jax.Array:
    return x / jnp.sqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * gain  # [B, T, E]


def _rope(x: jax.Array, cos: Any, sin: Any) -> jax.Array:
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]  # [B, heads, T, D/2]
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)  # [B, heads, T, D]


def _attention(x: jax.Array, params: JaxParams, layer: int, config: GPTConfig) -> jax.Array:
    p = f"layers.{layer}.attention."
    b, t, _ = x.shape
    h, kv, d = config.n_head, config.n_kv_head, config.head_dim
    cos, sin = rope_tables(config.max_seq_len, d, config.rope_base)
    cos, sin = cos[:t], sin[:t]  # [T, D/2]
    q = (x @ params[p + "wq.weight"]).reshape(b, t, h, d).transpose(0, 2, 1, 3)  # [B, H, T, D]
    k = (x @ params[p + "wk.weight"]).reshape(b, t, kv, d).transpose(0, 2, 1, 3)  # [B, K, T, D]
    v = (x @ params[p + "wv.weight"]).reshape(b, t, kv, d).transpose(0, 2, 1, 3)  # [B, K, T, D]
    q, k = _rope(q, cos, sin), _rope(k, cos, sin)
    k = jnp.repeat(k, config.group_size, axis=1)  # [B, H, T, D]: head h reads kv head h // G
    v = jnp.repeat(v, config.group_size, axis=1)  # [B, H, T, D]
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)  # [B, H, T, T]
    causal = np.tril(np.ones((t, t), dtype=bool))
    weights = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)  # [B, H, T, T]
    out = (weights @ v).transpose(0, 2, 1, 3).reshape(b, t, h * d)  # [B, T, H*D]
    return out @ params[p + "wo.weight"]  # [B, T, E]


def logits(params: JaxParams, tokens: jax.Array, config: GPTConfig) -> jax.Array:
    """Logits [B, T, V] for token windows [B, T] (positions from 0)."""
    x = params["tok_embeddings.weight"][tokens]  # [B, T, E]
    for i in range(config.n_layer):
        p = f"layers.{i}."
        x = x + _attention(_norm(x, params[p + "attention_norm.weight"], config.norm_eps), params, i, config)
        hidden = _norm(x, params[p + "ffn_norm.weight"], config.norm_eps)  # [B, T, E]
        gate = hidden @ params[p + "feed_forward.w1.weight"]  # [B, T, F]
        x = (
            x
            + (jax.nn.silu(gate) * (hidden @ params[p + "feed_forward.w3.weight"]))
            @ params[p + "feed_forward.w2.weight"]
        )
    x = _norm(x, params["norm.weight"], config.norm_eps)  # [B, T, E]
    head = params["tok_embeddings.weight"].T if config.tied_head else params["output.weight"]  # [E, V]
    return x @ head  # [B, T, V]


def loss(params: JaxParams, windows: jax.Array, config: GPTConfig) -> jax.Array:
    """Mean next-token cross-entropy (nats per byte) over windows [B, T + 1]."""
    inputs, targets = windows[:, :-1], windows[:, 1:]  # [B, T] each
    log_p = jax.nn.log_softmax(logits(params, inputs, config), axis=-1)  # [B, T, V]
    picked = jnp.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]  # [B, T]
    return -jnp.mean(picked)


def distillation_loss(params: JaxParams, windows: jax.Array, config: GPTConfig, teacher: jax.Array) -> jax.Array:
    """Cross-entropy to a teacher's softmax (nats per byte): KL(teacher || model) plus the teacher's entropy.

    teacher: the teacher's logits [B, T, V] on windows[:, :-1]. The gradient is the KL's, as in
    knowledge distillation (Hinton et al. 2015) and DistillSpec (Zhou et al. 2024), whose drafts are
    trained to match the target's distributions rather than the data.
    """
    log_q = jax.nn.log_softmax(logits(params, windows[:, :-1], config), axis=-1)  # [B, T, V]
    p = jax.nn.softmax(jax.lax.stop_gradient(teacher), axis=-1)  # [B, T, V]
    return -jnp.mean(jnp.sum(p * log_q, axis=-1))
