"""Drafts: what proposes the next gamma tokens cheaply.

- ModelDraft: a smaller transformer with its own KV cache (Leviathan et al., Chen et al.).
- SelfSpeculativeDraft: the target's own first layers with its final norm and output head
  (early exit, as in Zhang et al. "Draft & Verify", 2023, and LayerSkip, 2024); no extra weights.
- PromptLookupDraft: no model at all; the tokens that followed the latest earlier occurrence of
  the context's last n-gram (Saxena, "Prompt Lookup Decoding", 2023). Its proposal is
  deterministic, so q is a one-hot and acceptance is simply p(x): still exact.

Each draft returns the tokens and the distributions q they were drawn from ([k, V]).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from livingspec.gqa import Transformer
from livingspec.speculative.errors import DraftError
from livingspec.speculative.sampling import Array, Sampling, draw

Clock = Callable[[], float]


@dataclass
class Proposal:
    """gamma (or fewer) drafted tokens and the distribution each was drawn from."""

    tokens: list[int]
    dists: Array  # [k, V], float64; row i is q_i, the distribution x_i was drawn from


class Draft(Protocol):
    """Anything that proposes tokens for speculative decoding."""

    name: str

    @property
    def passes(self) -> int:
        """Forward passes of a draft model (0 for prompt lookup)."""
        ...

    @property
    def seconds(self) -> float:
        """Time spent proposing."""
        ...

    def propose(self, context: Sequence[int], gamma: int, sampling: Sampling, rng: np.random.Generator) -> Proposal:
        """Up to gamma tokens continuing context."""
        ...


class CachedRunner:
    """A transformer and its KV cache, kept in step with a growing (and sometimes cut) sequence.

    Invariant: the cache holds the keys and values of ``tokens`` exactly. ``feed`` rolls the cache
    back to the longest prefix it shares with the new sequence (keeping at least the last token
    out, whose logits are wanted) and runs only the rest, in one forward pass.
    """

    def __init__(self, model: Transformer, clock: Clock = time.perf_counter) -> None:
        self.model, self.clock = model, clock
        self.cache = model.new_cache()
        self.tokens: list[int] = []
        self.passes = 0
        self.seconds = 0.0
        self.rolled_back = 0  # cached positions dropped by rollbacks, over the runner's life

    def common_prefix(self, sequence: Sequence[int]) -> int:
        """Length of the longest shared prefix of the cached tokens and ``sequence``."""
        n = min(len(self.tokens), len(sequence))
        if self.tokens[:n] == list(sequence[:n]):  # the usual case, compared in C: the cache is a prefix
            return n
        for i in range(n):
            if self.tokens[i] != sequence[i]:
                return i
        return n

    def rollback(self, length: int) -> None:
        """Drop cached positions from ``length`` on."""
        length = min(length, len(self.tokens))
        self.rolled_back += len(self.tokens) - length
        self.cache.rollback(length)
        del self.tokens[length:]

    def feed(self, sequence: Sequence[int]) -> Array:
        """Logits [n, V] for the last n positions of ``sequence``, n = the positions not yet cached."""
        self.rollback(min(self.common_prefix(sequence), len(sequence) - 1))
        start = self.clock()
        logits = self.model.forward(list(sequence[len(self.tokens) :]), self.cache)
        self.seconds += self.clock() - start
        self.passes += 1
        self.tokens = list(sequence)
        return logits


class ModelDraft:
    """A draft transformer proposing gamma tokens autoregressively from its own KV cache."""

    def __init__(self, model: Transformer, name: str = "small transformer", clock: Clock = time.perf_counter) -> None:
        self.name = name
        self.runner = CachedRunner(model, clock)

    @property
    def passes(self) -> int:
        """Draft forward passes so far."""
        return self.runner.passes

    @property
    def seconds(self) -> float:
        """Draft compute time so far."""
        return self.runner.seconds

    @property
    def model(self) -> Transformer:
        """The draft model."""
        return self.runner.model

    def propose(self, context: Sequence[int], gamma: int, sampling: Sampling, rng: np.random.Generator) -> Proposal:
        """Draw x_1..x_gamma one at a time, x_i ~ q(. | context, x_<i)."""
        drafted: list[int] = []
        dists = []
        for _ in range(gamma):
            q = sampling.probs(self.runner.feed([*context, *drafted])[-1])  # [V]
            token = int(np.argmax(q)) if sampling.greedy else draw(q, rng)
            drafted.append(token)
            dists.append(q)
        vocab = self.model.config.vocab_size
        return Proposal(drafted, np.array(dists) if dists else np.zeros((0, vocab)))


class SelfSpeculativeDraft(ModelDraft):
    """The target's first n_layers blocks with its shared final norm and head (weights not copied)."""

    def __init__(self, target: Transformer, n_layers: int, clock: Clock = time.perf_counter) -> None:
        if not 1 <= n_layers < target.config.n_layer:
            raise DraftError(f"a self-speculative draft needs 1..{target.config.n_layer - 1} layers, got {n_layers}")
        super().__init__(target.truncated(n_layers), f"self-speculative ({n_layers} of {target.config.n_layer} layers)")
        self.runner.clock = clock


@dataclass
class PromptLookupDraft:
    """Copy what followed the latest earlier occurrence of the context's last n-gram (n from max_ngram down)."""

    vocab_size: int
    max_ngram: int = 3
    min_ngram: int = 1
    name: str = "prompt lookup"
    passes: int = 0
    seconds: float = 0.0
    clock: Clock = field(default=time.perf_counter)

    def lookup(self, context: Sequence[int], gamma: int) -> list[int]:
        """The continuation found for the longest matching suffix n-gram, at most gamma tokens."""
        tokens = list(context)
        for n in range(min(self.max_ngram, len(tokens) - 1), self.min_ngram - 1, -1):
            suffix = tokens[-n:]
            for start in range(len(tokens) - n - 1, -1, -1):  # latest earlier occurrence first
                if tokens[start : start + n] == suffix:
                    return tokens[start + n : start + n + gamma]
        return []

    def propose(self, context: Sequence[int], gamma: int, sampling: Sampling, rng: np.random.Generator) -> Proposal:
        """The looked-up tokens, each with a one-hot q (a deterministic proposal)."""
        start = self.clock()
        found = self.lookup(context, gamma)
        dists = np.zeros((len(found), self.vocab_size))
        dists[np.arange(len(found)), found] = 1.0
        self.seconds += self.clock() - start
        return Proposal(found, dists)
