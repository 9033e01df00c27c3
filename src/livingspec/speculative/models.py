"""Target and draft models for the examples and benchmarks, and how they are made to agree.

Nothing here is trained by gradient descent, so agreement between draft and target is built in,
in two documented ways:

- The target's blocks after the first add a *refinement*: their residual output projections
  (attention ``wo`` and MLP ``w2``) are scaled by ``refinement`` (0.15 by default). Trained deep
  models behave alike, later layers nudging rather than replacing the residual stream (which is
  what early-exit and self-speculative drafts rely on). Smaller refinement, higher agreement.
- The small draft is a separate one-block transformer: a copy of the target's first block and
  embedding with its own output head *distilled* from the target by least squares, mapping the
  draft's final hidden states to the target's logits on seeded random sequences.

Weights use init_std 0.3 so that distributions are peaked (entropy about 2.9 nats on a vocabulary
of 64, against 4.16 for uniform), as a language model's are, rather than flat. With these settings
the transformer drafts are accepted at alpha between 0.6 and 0.9 (the features and benchmark show
the measured values; the benchmark's deeper target uses refinement 0.04).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from livingspec.gqa import GPTConfig, Transformer
from livingspec.speculative.errors import DraftError

#: the tiny pair the features use: 4 blocks, 4 query heads on 2 KV heads (head dim 8), vocabulary 64.
TINY_TARGET = GPTConfig(
    vocab_size=64,
    n_layer=4,
    n_embd=32,
    n_head=4,
    n_kv_head=2,
    mlp_hidden=64,
    max_seq_len=192,
    tied_head=False,
    init_std=0.3,
)


@dataclass(frozen=True)
class ModelPair:
    """A target and the two transformer drafts built from it."""

    target: Transformer
    small_draft: Transformer  # one block, distilled head
    refinement: float


def build_target(config: GPTConfig, seed: int = 1, refinement: float = 0.15) -> Transformer:
    """Seeded target whose blocks after the first have residual outputs scaled by ``refinement``."""
    if not 0.0 < refinement <= 1.0:
        raise DraftError(f"refinement must lie in (0, 1], got {refinement}")
    model = Transformer.init(config, seed)
    for i in range(1, config.n_layer):
        for key in (f"layers.{i}.attention.wo.weight", f"layers.{i}.feed_forward.w2.weight"):
            model.params[key] = (model.params[key] * refinement).astype(config.np_dtype)
    return model


def distil_draft(
    target: Transformer,
    n_layers: int = 1,
    n_sequences: int = 24,
    length: int = 48,
    seed: int = 11,
    ridge: float = 1e-4,
) -> Transformer:
    """A separate small transformer: the target's first n_layers blocks (copied) and a least-squares (ridge) head.

    The head W minimises ||H W - Y||^2 + ridge N ||W||^2, H the draft's final hidden states and Y the target's logits
    over ``n_sequences`` seeded random sequences of ``length`` tokens (teacher forcing).
    """
    if not 1 <= n_layers < target.config.n_layer:
        raise DraftError(f"a small draft needs 1..{target.config.n_layer - 1} blocks, got {n_layers}")
    trunk = target.truncated(n_layers)
    config = trunk.config.replace(tied_head=False)
    params = {key: weight.copy() for key, weight in trunk.params.items() if key != "output.weight"}
    rng = np.random.default_rng(seed)
    length = min(length, target.config.max_seq_len)
    sequences = [rng.integers(0, config.vocab_size, length) for _ in range(n_sequences)]
    hidden = np.vstack([trunk.hidden(s) for s in sequences])  # [N, E]
    logits = np.vstack([target.forward(s) for s in sequences])  # [N, V]
    h = hidden.astype(np.float64)
    gram = h.T @ h + ridge * len(h) * np.eye(h.shape[1])  # [E, E]: normal equations, a little ridge
    head = np.linalg.solve(gram, h.T @ logits.astype(np.float64))  # [E, V]
    params["output.weight"] = head.astype(config.np_dtype)
    return Transformer(config, params)


@lru_cache(maxsize=8)
def model_pair(config: GPTConfig = TINY_TARGET, seed: int = 1, refinement: float = 0.15) -> ModelPair:
    """The target and its distilled small draft (memoised: building the draft runs the target)."""
    target = build_target(config, seed, refinement)
    return ModelPair(target, distil_draft(target), refinement)
