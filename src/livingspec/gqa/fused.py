"""The fused decode path: a whole cached forward pass over T tokens as one compiled function (numba).

Why: on a model as small as the trained byte-level target (1.8 M weights), numpy's fixed cost per
operation (dozens of small ops per block) outweighs the arithmetic, so a pass over gamma + 1 tokens
cost about twice a pass over one and a 12x smaller draft a third of the target. Compiled, a pass
costs what its matrix products cost: ``np.dot`` inside numba calls BLAS (sgemm) once per projection
over the block of T tokens, and RMSNorm, rotary embeddings, attention over the cache, SwiGLU and
the head are loops with no temporary arrays. The numpy path (``livingspec.gqa.model``) stays the
reference; tests compare the two on the same weights for T = 1 and T = gamma + 1.

Float32 only: numba has no float16 arithmetic, so a float16 model keeps the reference path. The
KV cache is one buffer [layers, 2, K, capacity, D] whose per-layer views are ordinary
``LayerCache`` objects, so rollback and memory accounting are unchanged.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from livingspec.gqa.attention import Array, KVCache, LayerCache
from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import CacheError
from livingspec.gqa.model import Transformer, _rope

AVAILABLE = importlib.util.find_spec("numba") is not None

_KERNEL: list[Callable[..., None]] = []  # the compiled forward, once per process


def _exp(values: Any, count: int, bits: Any) -> None:
    """values[:count] = exp(values[:count]) in float32 (relative error about 1e-7), in place.

    2^n e^r with r in [-ln2/2, ln2/2] (Cephes' expf polynomial) and 2^n built from its exponent bits
    in ``bits`` (int32 scratch), so both loops vectorise; libm's expf is a call per value, and the
    softmaxes and SwiGLU gates take thousands per token.
    """
    for j in range(count):
        x = min(max(values[j], np.float32(-87.0)), np.float32(88.0))
        n = np.floor(x * np.float32(1.4426950408889634) + np.float32(0.5))
        r = x - n * np.float32(0.693359375) - n * np.float32(-2.12194440e-4)
        p = np.float32(1.9875691500e-4) * r + np.float32(1.3981999507e-3)
        p = p * r + np.float32(8.3334519073e-3)
        p = p * r + np.float32(4.1665795894e-2)
        p = p * r + np.float32(1.6666665459e-1)
        p = p * r + np.float32(5.0000001201e-1)
        values[j] = p * r * r + r + np.float32(1.0)
        bits[j] = (np.int32(n) + np.int32(127)) << np.int32(23)
    scale = bits.view(np.float32)
    for j in range(count):
        values[j] *= scale[j]


def _forward(
    ids: Any, offset: int, emb: Any, norms: Any, wq: Any, wk: Any, wv: Any, wo: Any,
    w1: Any, w3: Any, w2: Any, final: Any, head: Any, cache: Any, cache_t: Any, cos: Any, sin: Any,
    n_head: int, eps: float, out: Any,
) -> None:  # fmt: skip
    """Logits [T, V] into ``out`` for tokens ``ids`` at positions offset.., appending their keys and values to cache.

    norms [L, 2, E] (attention, ffn); wq [L, E, H*D]; wk, wv [L, E, K*D]; wo [L, H*D, E]; w1, w3 [L, E, F];
    w2 [L, F, E]; final [E]; head [E, V]; cache [L, 2, K, C, D]; cache_t [L, 2, K, D, C] (keys and values
    again, transposed, so that the loops over keys run along memory); cos, sin [C, D/2].
    """
    n_tok, n_embd = ids.shape[0], emb.shape[1]
    n_layer, n_kv, head_dim = cache.shape[0], cache.shape[2], cache.shape[4]
    group = n_head // n_kv
    scale = np.float32(1.0 / math.sqrt(head_dim))
    x = np.empty((n_tok, n_embd), dtype=np.float32)
    for t in range(n_tok):
        x[t] = emb[ids[t]]
    h = np.empty_like(x)
    att = np.empty((n_tok, n_head * head_dim), dtype=np.float32)
    scores = np.empty(offset + n_tok, dtype=np.float32)
    acc = np.empty(head_dim, dtype=np.float32)
    bits = np.empty(max(offset + n_tok, w1.shape[2]), dtype=np.int32)
    neg = np.empty(w1.shape[2], dtype=np.float32)
    for layer in range(n_layer):
        _rms(x, norms[layer, 0], eps, h)
        q, k, v = np.dot(h, wq[layer]), np.dot(h, wk[layer]), np.dot(h, wv[layer])  # [T, H*D], [T, K*D] x2
        _rotate_and_store(q, k, v, offset, n_head, cos, sin, cache[layer], cache_t[layer])
        keys_t, values_t = cache_t[layer, 0], cache_t[layer, 1]  # [K, D, C] each
        for head_ in range(n_head):
            kv, base = head_ // group, head_ * head_dim
            for t in range(n_tok):
                n_keys = offset + t + 1  # causal: position offset + t sees keys 0..offset + t
                _attend(q[t], base, keys_t[kv], values_t[kv], n_keys, scale, scores, acc, bits)
                for d in range(head_dim):
                    att[t, base + d] = acc[d]
        x += np.dot(att, wo[layer])
        _rms(x, norms[layer, 1], eps, h)
        gate, up = np.dot(h, w1[layer]), np.dot(h, w3[layer])  # [T, F] each
        for t in range(n_tok):  # SwiGLU: silu(gate) * up = gate / (1 + exp(-gate)) * up
            for f in range(neg.shape[0]):
                neg[f] = -gate[t, f]
            _exp(neg, neg.shape[0], bits)
            for f in range(neg.shape[0]):
                gate[t, f] = gate[t, f] / (np.float32(1.0) + neg[f]) * up[t, f]
        x += np.dot(gate, w2[layer])
    _rms(x, final, eps, h)
    out[:] = np.dot(h, head)


def _rotate_and_store(
    q: Any, k: Any, v: Any, offset: int, n_head: int, cos: Any, sin: Any, cache: Any, cache_t: Any
) -> None:
    """RoPE on queries and keys [T, heads * D] in place; keys and values into the layer's two caches."""
    n_kv, head_dim = cache.shape[1], cache.shape[3]
    half = head_dim // 2
    for t in range(q.shape[0]):
        pos = offset + t
        for head_ in range(n_head):
            _rotate(q[t], head_ * head_dim, half, cos[pos], sin[pos])
        for kv in range(n_kv):
            _rotate(k[t], kv * head_dim, half, cos[pos], sin[pos])
            for d in range(head_dim):
                cache[0, kv, pos, d] = k[t, kv * head_dim + d]
                cache[1, kv, pos, d] = v[t, kv * head_dim + d]
                cache_t[0, kv, d, pos] = k[t, kv * head_dim + d]
                cache_t[1, kv, d, pos] = v[t, kv * head_dim + d]


def _attend(
    q: Any, base: int, keys_t: Any, values_t: Any, n_keys: int, scale: Any, scores: Any, acc: Any, bits: Any
) -> None:
    """acc = softmax(q . keys / sqrt(D)) @ values for one head's query (q[base:base + D]) over n_keys keys.

    keys_t, values_t: [D, C], the head's keys and values transposed, so every loop over keys runs along memory.
    """
    head_dim = acc.shape[0]
    for j in range(n_keys):
        scores[j] = np.float32(0.0)
    for d in range(head_dim):
        qd = q[base + d] * scale
        for j in range(n_keys):  # along memory: vectorised
            scores[j] += qd * keys_t[d, j]
    top = scores[0]
    for j in range(1, n_keys):
        top = max(top, scores[j])
    for j in range(n_keys):
        scores[j] -= top
    _exp(scores, n_keys, bits)
    total = np.float32(0.0)
    for j in range(n_keys):
        total += scores[j]
    inv = np.float32(1.0) / total
    for d in range(head_dim):
        a = np.float32(0.0)
        for j in range(n_keys):  # along memory: vectorised
            a += scores[j] * values_t[d, j]
        acc[d] = a * inv


def _rms(x: Any, gain: Any, eps: float, out: Any) -> None:
    """out = x / rms(x) * gain, row by row."""
    for t in range(x.shape[0]):
        acc = np.float32(0.0)
        for e in range(x.shape[1]):
            acc += x[t, e] * x[t, e]
        inv = np.float32(1.0) / np.sqrt(acc / np.float32(x.shape[1]) + np.float32(eps))
        for e in range(x.shape[1]):
            out[t, e] = x[t, e] * inv * gain[e]


def _rotate(row: Any, base: int, half: int, cos: Any, sin: Any) -> None:
    """Rotate-half RoPE of one head's D values starting at ``base``, in place."""
    for i in range(half):
        x1, x2 = row[base + i], row[base + half + i]
        row[base + i] = x1 * cos[i] - x2 * sin[i]
        row[base + half + i] = x1 * sin[i] + x2 * cos[i]


def load() -> Callable[..., None] | None:
    """The compiled forward (from numba's disk cache after the first build), or None without numba."""
    if not AVAILABLE:
        return None
    if not _KERNEL:
        import numba

        namespace = globals()
        for name in ("_exp", "_attend", "_rms", "_rotate", "_rotate_and_store"):  # all replaced before any runs
            namespace[name] = numba.njit(cache=True, nogil=True, fastmath=True)(namespace[name])
        _KERNEL.append(numba.njit(cache=True, nogil=True)(_forward))
    return _KERNEL[0]


def _stack(params: Mapping[str, Array], config: GPTConfig, name: str) -> Array:
    return np.ascontiguousarray(np.stack([params[f"layers.{i}.{name}.weight"] for i in range(config.n_layer)]))


class FusedCache(KVCache):
    """A KV cache in one buffer [L, 2, K, C, D] (its layers are views of it), plus keys and values transposed.

    Only a FusedTransformer's compiled forward keeps the transposed copy up to date: use it with the
    model that made it.
    """

    def __init__(self, layers: list[LayerCache], buffer: Array, transposed: Array) -> None:
        super().__init__(layers)
        self.buffer, self.transposed = buffer, transposed  # [L, 2, K, C, D], [L, 2, K, D, C]


class FusedTransformer(Transformer):
    """A Transformer whose cached forward passes run compiled (float32); the rest, and float16, as the reference."""

    def __init__(self, config: GPTConfig, params: Mapping[str, Array]) -> None:
        super().__init__(config, params)
        self.kernel = load() if config.dtype == "float32" else None
        p = self.params
        self.norms = np.ascontiguousarray(  # [L, 2, E]
            np.stack([_stack(p, config, "attention_norm"), _stack(p, config, "ffn_norm")], axis=1)
        )
        self.stacked = [
            _stack(p, config, name)
            for name in (*(f"attention.w{x}" for x in "qkvo"), *(f"feed_forward.w{x}" for x in "132"))
        ]
        self.head_matrix = np.ascontiguousarray(self.head)
        self.cos, self.sin = _rope(config)

    @classmethod
    def of(cls, model: Transformer) -> FusedTransformer:
        """The same weights (shared, not copied where already contiguous) on the fused path."""
        return cls(model.config, model.params)

    @property
    def fused(self) -> bool:
        """Whether cached passes run compiled (numba present and float32 weights)."""
        return self.kernel is not None

    def new_cache(self, capacity: int | None = None) -> FusedCache:
        """A FusedCache: layers that are views of one [L, 2, K, capacity, D] buffer the kernel writes."""
        c = self.config
        capacity = c.max_seq_len if capacity is None else min(capacity, c.max_seq_len)
        buffer = np.zeros((c.n_layer, 2, c.n_kv_head, capacity, c.head_dim), dtype=c.np_dtype)
        layers = []
        for i in range(c.n_layer):
            layer = LayerCache(c.n_kv_head, c.head_dim, 0, c.np_dtype)
            layer.k, layer.v = buffer[i, 0], buffer[i, 1]
            layers.append(layer)
        return FusedCache(layers, buffer, np.zeros((c.n_layer, 2, c.n_kv_head, c.head_dim, capacity), c.np_dtype))

    def _ids(self, tokens: Sequence[int] | Array, offset: int) -> Array:
        """The token ids as an array: a short list of valid ints is checked in Python (numpy's checks cost
        more than a draft's pass); anything else goes through the reference check, which names the problem."""
        if type(tokens) is list and tokens and all(type(t) is int for t in tokens):
            c = self.config
            if min(tokens) >= 0 and max(tokens) < c.vocab_size and offset + len(tokens) <= c.max_seq_len:
                return np.array(tokens, dtype=np.int64)
        return self._check_tokens(tokens, offset)

    def forward(self, tokens: Sequence[int] | Array, cache: KVCache | None = None) -> Array:
        """Logits [T, V]; compiled when there is a cache made by this model's new_cache and weights are float32."""
        if self.kernel is None or not isinstance(cache, FusedCache):
            return super().forward(tokens, cache)
        offset = cache.length
        ids = self._ids(tokens, offset)
        if offset + ids.size > cache.capacity:
            raise CacheError(f"cache overflow: {offset} + {ids.size} tokens exceed capacity {cache.capacity}")
        c = self.config
        out = np.empty((ids.size, c.vocab_size), dtype=np.float32)
        emb, final = self.params["tok_embeddings.weight"], self.params["norm.weight"]
        self.kernel(
            ids, offset, emb, self.norms, *self.stacked, final, self.head_matrix, cache.buffer, cache.transposed,
            self.cos, self.sin, c.n_head, c.norm_eps, out,
        )  # fmt: skip
        for layer in cache.layers:
            layer.length = offset + ids.size
        return out
