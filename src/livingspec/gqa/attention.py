"""Grouped-query attention with rotary position embeddings, and the KV cache it reads.

Ainslie et al., "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head
Checkpoints" (2023); Shazeer, "Fast Transformer Decoding: One Write-Head is All You Need" (2019);
Su et al., "RoFormer" (2021) for the rotary embeddings.

H query heads share K key/value heads in groups of G = H / K consecutive query heads: query head
h reads key/value head h // G. K = H is multi-head attention (MHA), K = 1 multi-query (MQA).

The fast path never repeats K and V to H heads: the G query heads of a group are stacked into
one matrix, so a batched matmul reads each key/value head once per group. The reference path
(``reference_attention``) repeats them, as the maths is usually written, and documents it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from livingspec.gqa.errors import CacheError, ShapeError

Array = npt.NDArray[Any]


KEY_BLOCK = 512  # keys per block: a [K, 512, D] block stays in cache while all G query heads use it


def rope_tables(max_len: int, head_dim: int, base: float = 10000.0) -> tuple[Array, Array]:
    """cos and sin of the rotation angles, each [max_len, head_dim // 2], float32."""
    inv_freq = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # [D/2]
    angles = np.outer(np.arange(max_len, dtype=np.float64), inv_freq)  # [T, D/2]
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rope(x: Array, cos: Array, sin: Array) -> Array:
    """Rotate pairs (x[..., i], x[..., i + D/2]) by the position's angles (rotate-half, as Llama).

    x: [heads, T, D]; cos, sin: [T, D/2] for the T positions of x.
    """
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]  # [heads, T, D/2] each
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1).astype(x.dtype)  # [heads, T, D]


def _softmax(scores: Array) -> Array:
    """Softmax over the last axis, in float32, stable for -inf entries (masked keys)."""
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights  # type: ignore[no-any-return]


def causal_mask(n_queries: int, n_keys: int, offset: int) -> Array:
    """[n_queries, n_keys] additive mask: query i sits at position offset + i and sees keys 0..offset + i."""
    query_pos = offset + np.arange(n_queries)[:, None]  # [T, 1]
    key_pos = np.arange(n_keys)[None, :]  # [1, S]
    return np.where(key_pos <= query_pos, np.float32(0.0), np.float32(-np.inf))  # [T, S]


def grouped_attention(q: Array, k: Array, v: Array, offset: int | None = None) -> Array:
    """Causal attention of H query heads over K key/value heads, without repeating K and V.

    q: [H, T, D] queries at positions offset .. offset + T - 1 (default: the last T of the S keys);
    k, v: [K, S, D] keys and values at positions 0 .. S - 1. Returns [H, T, D].
    """
    n_head, n_q, head_dim = q.shape
    n_kv, n_keys, _ = k.shape
    if k.shape != v.shape or k.shape[2] != head_dim:
        raise ShapeError(f"keys {k.shape} and values {v.shape} must both be [K, S, {head_dim}]")
    if n_kv < 1 or n_head % n_kv:
        raise ShapeError(f"{n_kv} key/value heads must divide {n_head} query heads")
    offset = n_keys - n_q if offset is None else offset
    if offset < 0 or offset + n_q > n_keys:
        raise ShapeError(f"queries at positions {offset}..{offset + n_q - 1} need keys there, have {n_keys}")
    group = n_head // n_kv
    rows = group * n_q
    # Query head h = kv * G + g: each key/value head's G query heads become G*T columns.
    q_cols = np.ascontiguousarray(q.reshape(n_kv, rows, head_dim).transpose(0, 2, 1))  # [K, D, G*T]
    scale = np.float32(1.0 / np.sqrt(head_dim))
    # Scores key-major, one block of keys at a time: each block of a K head is read from memory
    # once and multiplied by all G*T query columns while it is in cache.
    scores_ks = np.empty((n_kv, n_keys, rows), dtype=np.float32)  # [K, S, G*T]
    for start in range(0, n_keys, KEY_BLOCK):
        block = slice(start, start + KEY_BLOCK)
        scores_ks[:, block] = k[:, block] @ q_cols  # [K, B, G*T]
    scores = np.ascontiguousarray(scores_ks.transpose(0, 2, 1))  # [K, G*T, S]: softmax runs along memory
    scores *= scale
    if offset + 1 < n_keys:  # some query would see a later key: mask it (not needed for one decode token)
        scores += np.tile(causal_mask(n_q, n_keys, offset), (group, 1))  # [G*T, S] -> [K, G*T, S]
    weights = _softmax(scores).astype(v.dtype, copy=False)  # [K, G*T, S]
    out = np.zeros((n_kv, rows, head_dim), dtype=np.float32)  # [K, G*T, D]
    for start in range(0, n_keys, KEY_BLOCK):
        block = slice(start, start + KEY_BLOCK)
        out += weights[:, :, block] @ v[:, block]  # [K, G*T, D]: each V block read once
    return out.reshape(n_head, n_q, head_dim).astype(q.dtype, copy=False)  # [H, T, D]


def reference_attention(q: Array, k: Array, v: Array, offset: int | None = None) -> Array:
    """The textbook form: repeat each key/value head G times, then plain multi-head attention.

    Slow (it materialises H copies of K and V) but obviously right; tests compare against it.
    """
    n_head, n_q, head_dim = q.shape
    n_kv, n_keys, _ = k.shape
    group = n_head // n_kv
    offset = n_keys - n_q if offset is None else offset
    k_rep = np.repeat(k, group, axis=0).astype(np.float64)  # [H, S, D]
    v_rep = np.repeat(v, group, axis=0).astype(np.float64)  # [H, S, D]
    scores = q.astype(np.float64) @ k_rep.transpose(0, 2, 1) / np.sqrt(head_dim)  # [H, T, S]
    scores = scores + causal_mask(n_q, n_keys, offset)  # [H, T, S]
    return (_softmax(scores) @ v_rep).astype(q.dtype)  # [H, T, D]


class LayerCache:
    """Keys and values of one layer for positions 0 .. length - 1, in a preallocated buffer.

    Invariants: 0 <= length <= capacity; keys/values at positions >= length are garbage and never
    read; appends write at ``length``; a rollback only moves ``length`` back (no copy).
    """

    def __init__(self, n_kv_head: int, head_dim: int, capacity: int, dtype: npt.DTypeLike = np.float32) -> None:
        self.k = np.zeros((n_kv_head, capacity, head_dim), dtype=dtype)  # [K, capacity, D]
        self.v = np.zeros((n_kv_head, capacity, head_dim), dtype=dtype)  # [K, capacity, D]
        self.length = 0

    @property
    def capacity(self) -> int:
        """Tokens the buffer can hold."""
        return int(self.k.shape[1])

    def append(self, k: Array, v: Array) -> tuple[Array, Array]:
        """Store [K, T, D] new keys and values; return views of all keys and values so far ([K, S, D])."""
        n_new = k.shape[1]
        if k.shape != v.shape or k.shape[0] != self.k.shape[0] or k.shape[2] != self.k.shape[2]:
            raise ShapeError(f"cache holds [{self.k.shape[0]}, S, {self.k.shape[2]}], got keys {k.shape}")
        if self.length + n_new > self.capacity:
            raise CacheError(f"cache overflow: {self.length} + {n_new} tokens exceed capacity {self.capacity}")
        self.k[:, self.length : self.length + n_new] = k
        self.v[:, self.length : self.length + n_new] = v
        self.length += n_new
        return self.k[:, : self.length], self.v[:, : self.length]

    def rollback(self, length: int) -> None:
        """Forget every position from ``length`` on (0 <= length <= current length)."""
        if not 0 <= length <= self.length:
            raise CacheError(f"cannot roll back to length {length}: the cache holds {self.length} tokens")
        self.length = length

    @property
    def nbytes(self) -> int:
        """Bytes of the keys and values held (the used part, as memory accounting counts it)."""
        n_kv, _, head_dim = self.k.shape
        return 2 * n_kv * self.length * head_dim * self.k.itemsize


class KVCache:
    """The caches of every layer of a model; all layers always hold the same number of tokens."""

    def __init__(self, layers: list[LayerCache]) -> None:
        self.layers = layers

    @property
    def length(self) -> int:
        """Tokens cached (positions 0 .. length - 1)."""
        return self.layers[0].length if self.layers else 0

    @property
    def capacity(self) -> int:
        """Tokens the cache can hold."""
        return self.layers[0].capacity if self.layers else 0

    @property
    def nbytes(self) -> int:
        """Bytes of keys and values held, all layers."""
        return sum(layer.nbytes for layer in self.layers)

    def rollback(self, length: int) -> None:
        """Roll every layer back to ``length`` tokens (speculative decoding drops rejected drafts)."""
        if not 0 <= length <= self.length:
            raise CacheError(f"cannot roll back to length {length}: the cache holds {self.length} tokens")
        for layer in self.layers:
            layer.rollback(length)
