"""Turning logits into distributions, and the accept-or-resample step of speculative sampling.

Leviathan, Kalman, Matias, "Fast Inference from Transformers via Speculative Decoding" (ICML 2023),
section 2.3; Chen et al., "Accelerating Large Language Model Decoding with Speculative Sampling"
(2023), algorithm 2. A token x drawn from the draft's q is kept with probability min(1, p(x)/q(x));
otherwise a replacement is drawn from norm(max(0, p - q)). The token that comes out is distributed
exactly as p: P(x) = min(p(x), q(x)) + (1 - sum_y min(p(y), q(y))) * norm(max(0, p - q))(x) = p(x).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from livingspec.speculative.errors import SamplingError

Array = npt.NDArray[Any]

_COMPILED: dict[str, Callable[..., Any]] = {}  # numba versions of the two loops below, compiled on first use


def _softmax_rows(logits: Any, temperature: float, out: Any) -> None:
    """out[r] = softmax(logits[r] / temperature) for every row r, in float64 (Sampling.probs' arithmetic)."""
    for r in range(logits.shape[0]):
        top = -np.inf
        for i in range(logits.shape[1]):
            out[r, i] = logits[r, i] / temperature
            top = max(top, out[r, i])
        total = 0.0
        for i in range(logits.shape[1]):
            out[r, i] = np.exp(out[r, i] - top)
            total += out[r, i]
        for i in range(logits.shape[1]):
            out[r, i] /= total


def _draw_index(p: Any, u: float) -> int:
    """The first index whose running sum exceeds u * sum(p) (searchsorted side="right" on the cumsum)."""
    total = 0.0
    for i in range(p.shape[0]):
        total += p[i]
    threshold, running = u * total, 0.0
    for i in range(p.shape[0]):
        running += p[i]
        if running > threshold:
            return i
    return int(p.shape[0] - 1)


def _compiled(name: str) -> Callable[..., Any] | None:
    """The numba-compiled loop (cached on disk), or None without numba."""
    if name not in _COMPILED:
        if importlib.util.find_spec("numba") is None:
            return None
        import numba

        _COMPILED[name] = numba.njit(cache=True, nogil=True)(globals()[name])
    return _COMPILED[name]


@dataclass(frozen=True)
class Sampling:
    """How logits become a distribution; applied identically to the draft and the target.

    temperature 0 is greedy decoding (a one-hot on the argmax); top_k keeps the k largest logits.
    """

    temperature: float = 1.0  # 0 = greedy; < 1 sharper, > 1 flatter
    top_k: int | None = None  # None keeps every token

    def __post_init__(self) -> None:
        if not (self.temperature >= 0 and np.isfinite(self.temperature)):
            raise SamplingError(f"temperature must be a finite number >= 0, got {self.temperature!r}")
        if self.top_k is not None and self.top_k < 1:
            raise SamplingError(f"top_k must be at least 1 (or None), got {self.top_k!r}")

    @property
    def greedy(self) -> bool:
        """Temperature 0: always the argmax."""
        return self.temperature == 0

    def probs(self, logits: Array) -> Array:
        """Distributions [..., V] (float64) from logits [..., V]."""
        logits = np.asarray(logits, dtype=np.float64)
        if self.greedy:
            flat = logits.reshape(-1, logits.shape[-1])
            out = np.zeros_like(flat)
            out[np.arange(len(flat)), np.argmax(flat, axis=-1)] = 1.0
            return out.reshape(logits.shape)
        softmax = _compiled("_softmax_rows") if self.top_k is None and logits.ndim else None
        if softmax is not None:  # no top-k: a compiled loop (numpy's op-by-op cost is most of it on 256 tokens)
            rows = np.ascontiguousarray(logits.reshape(-1, logits.shape[-1]))
            out = np.empty_like(rows)
            softmax(rows, float(self.temperature), out)
            return out.reshape(logits.shape)
        scaled = logits / self.temperature
        if self.top_k is not None and self.top_k < logits.shape[-1]:
            kth = np.sort(scaled, axis=-1)[..., -self.top_k][..., None]  # the k-th largest logit
            scaled = np.where(scaled >= kth, scaled, -np.inf)
        scaled = scaled - scaled.max(axis=-1, keepdims=True)
        weights = np.exp(scaled)
        return weights / weights.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


GREEDY = Sampling(temperature=0.0)


def check_distribution(p: Array, name: str = "p") -> Array:
    """p as float64 if it is a probability vector (non-negative, sums to 1), else SamplingError."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or p.min() < 0 or abs(p.sum() - 1.0) > 1e-6:
        raise SamplingError(f"{name} is not a probability vector (shape {p.shape}, sum {p.sum() if p.size else 0})")
    return p


def draw(p: Array, rng: np.random.Generator) -> int:
    """One token from distribution p (inverse CDF on one uniform; robust to rounding)."""
    index = _compiled("_draw_index")
    if index is not None and isinstance(p, np.ndarray) and p.dtype == np.float64 and p.ndim == 1:
        return int(index(p, rng.random()))
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), p.size - 1))


def residual(p: Array, q: Array) -> Array:
    """norm(max(0, p - q)): where a rejected token's replacement is drawn from."""
    excess = np.maximum(p - q, 0.0)
    total = excess.sum()
    if total <= 0.0:  # p == q (up to rounding): a rejection cannot happen; p itself is the right answer
        return p
    return excess / total  # type: ignore[no-any-return]


def acceptance_probability(p: Array, q: Array, token: int) -> float:
    """min(1, p(x) / q(x)) for the drafted token x (q(x) > 0 since x was drawn from q)."""
    if p[token] >= q[token]:  # also covers q(x) = 0
        return 1.0
    return float(p[token] / q[token])


def accept_or_resample(p: Array, q: Array, token: int, rng: np.random.Generator) -> tuple[bool, int]:
    """One verification step: (True, token) if kept, else (False, a token drawn from the residual)."""
    if rng.random() < acceptance_probability(p, q, token):
        return True, token
    return False, draw(residual(p, q), rng)


def output_distribution(p: Array, q: Array) -> Array:
    """The exact distribution of the token accept-or-resample emits, computed analytically.

    P(x) = q(x) min(1, p(x)/q(x)) + P(reject) norm(max(0, p - q))(x), P(reject) = 1 - sum min(p, q).
    """
    p, q = check_distribution(p, "p"), check_distribution(q, "q")
    kept = np.minimum(p, q)  # q(x) * min(1, p(x)/q(x))
    return kept + (1.0 - kept.sum()) * residual(p, q)  # type: ignore[no-any-return]


def expected_acceptance(p: Array, q: Array) -> float:
    """beta = sum_x min(p(x), q(x)): the probability a token drawn from q is accepted."""
    return float(np.minimum(p, q).sum())
