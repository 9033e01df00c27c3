"""Speculative decoding: the draft proposes gamma tokens, the target verifies them in one pass.

Leviathan, Kalman, Matias (ICML 2023), algorithm 1; Chen et al. (2023), algorithm 2. One round:

1. the draft proposes x_1..x_k (k = gamma, fewer near the length limit) with distributions q_i;
2. the target runs once over the context and all k drafts: p_1..p_{k+1};
3. x_i is kept with probability min(1, p_i(x_i)/q_i(x_i)), in order; at the first rejection a
   token is drawn from norm(max(0, p_i - q_i)) and the round ends;
4. if all k were kept, a bonus token is drawn from p_{k+1};
5. both KV caches roll back to the accepted prefix.

Every round therefore yields at least one token of target quality: no extra target pass is ever
needed (the seed's fallback call to the target when nothing was accepted is not the algorithm).
Greedy mode keeps x_i while it is the target's argmax and emits the argmax at the first mismatch,
which reproduces target-only greedy decoding token for token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from livingspec.gqa import Transformer
from livingspec.speculative.drafts import CachedRunner, Draft
from livingspec.speculative.errors import DraftError, GenerationError
from livingspec.speculative.sampling import Sampling, acceptance_probability, draw, expected_acceptance, residual

Clock = Callable[[], float]


@dataclass
class Round:
    """What happened in one round: drafted tokens, how many were kept, the token the target added."""

    drafted: list[int]
    accepted: int
    token: int | None  # the residual draw at the rejection, the bonus token, or None (EOS among the drafts)
    kind: str  # "correction" (after a rejection) or "bonus" (all kept)
    rolled_back: int  # target cache positions dropped (rejected drafts)


@dataclass
class Stats:
    """Counters and times of one generation."""

    rounds: int = 0
    drafted: int = 0  # tokens proposed by the draft
    accepted: int = 0  # drafted tokens kept
    rejected: int = 0  # rounds that ended in a rejection
    target_passes: int = 0
    draft_passes: int = 0
    target_seconds: float = 0.0
    draft_seconds: float = 0.0
    wall_seconds: float = 0.0
    betas: list[float] = field(default_factory=list)  # sum min(p, q) at every examined position
    new_tokens: int = 0

    @property
    def alpha(self) -> float:
        """Acceptance rate: kept / examined drafts (examined = kept + the rejected one per rejecting round)."""
        examined = self.accepted + self.rejected
        return self.accepted / examined if examined else float("nan")

    @property
    def kept_fraction(self) -> float:
        """Kept / drafted (drafts after a rejection are never examined, so this is below alpha)."""
        return self.accepted / self.drafted if self.drafted else float("nan")

    @property
    def expected_alpha(self) -> float:
        """Mean of sum_x min(p(x), q(x)) over examined positions (the paper's alpha = E[beta])."""
        return float(np.mean(self.betas)) if self.betas else float("nan")

    @property
    def tokens_per_pass(self) -> float:
        """New tokens per target forward pass."""
        return self.new_tokens / self.target_passes if self.target_passes else float("nan")

    @property
    def tokens_per_second(self) -> float:
        """New tokens per second of wall time."""
        return self.new_tokens / self.wall_seconds if self.wall_seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        """The counters and derived rates, for evidence and reports."""
        return {
            "rounds": self.rounds,
            "new tokens": self.new_tokens,
            "drafted": self.drafted,
            "accepted": self.accepted,
            "alpha": round(self.alpha, 4),
            "kept / drafted": round(self.kept_fraction, 4),
            "target passes": self.target_passes,
            "tokens per target pass": round(self.tokens_per_pass, 4),
            "draft passes": self.draft_passes,
            "target seconds": round(self.target_seconds, 6),
            "draft seconds": round(self.draft_seconds, 6),
        }


def round_records(rounds: Sequence[Round]) -> list[dict[str, str]]:
    """The rounds as table rows: drafted tokens, how many were kept, the target's token, its kind, rollback."""
    return [
        {
            "round": str(i + 1),
            "drafted": " ".join(map(str, r.drafted)),
            "kept": str(r.accepted),
            "target token": "" if r.token is None else str(r.token),
            "kind": r.kind,
            "rolled back": str(r.rolled_back),
        }
        for i, r in enumerate(rounds)
    ]


def round_text_records(
    rounds: Sequence[Round], show: Callable[[list[int]], str], greedy: bool = False
) -> list[dict[str, str]]:
    """The rounds as readable rows: what was drafted, the part kept, the target's own token and why it came.

    ``show`` turns tokens into text (for byte tokens: decode them, with visible newlines).
    """
    correction = "the target's argmax" if greedy else "resampled from max(0, p - q)"
    rows = []
    for i, r in enumerate(rounds):
        rejected = r.drafted[r.accepted : r.accepted + 1]
        rows.append(
            {
                "round": str(i + 1),
                "drafted": show(r.drafted),
                "accepted": show(r.drafted[: r.accepted]),
                "rejected draft": show(rejected) if r.kind == "correction" else "",
                "target's token": "" if r.token is None else show([r.token]),
                "how": correction if r.kind == "correction" else "bonus, all drafts kept",
            }
        )
    return rows


@dataclass
class Generation:
    """The new tokens, why generation stopped, and how it went."""

    prompt: list[int]
    tokens: list[int]
    stopped: str  # "length" or "eos"
    stats: Stats
    rounds: list[Round] = field(default_factory=list)


def _check(target: Transformer, prompt: Sequence[int], max_new_tokens: int, gamma: int) -> list[int]:
    tokens = [int(t) for t in prompt]
    if not tokens:
        raise GenerationError("the prompt is empty: there is nothing to continue")
    if max_new_tokens < 0:
        raise GenerationError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    if gamma < 0:
        raise DraftError(f"gamma (draft tokens per round) must be >= 0, got {gamma}")
    room = target.config.max_seq_len - len(tokens)
    if max_new_tokens > room + 1:  # the last new token is sampled, never fed back
        raise GenerationError(
            f"prompt of {len(tokens)} + {max_new_tokens} new tokens exceed the target's max_seq_len "
            f"{target.config.max_seq_len}"
        )
    if min(tokens) < 0 or max(tokens) >= target.config.vocab_size:
        raise GenerationError(f"prompt tokens must lie in 0..{target.config.vocab_size - 1}")
    return tokens


def speculative_generate(
    target: Transformer,
    draft: Draft | None,
    prompt: Sequence[int],
    max_new_tokens: int,
    gamma: int = 4,
    sampling: Sampling | None = None,
    rng: np.random.Generator | None = None,
    eos_token: int | None = None,
    clock: Clock = time.perf_counter,
) -> Generation:
    """Generate up to max_new_tokens after prompt with speculative sampling (gamma 0: plain decoding)."""
    sampling = sampling or Sampling()
    rng = rng if rng is not None else np.random.default_rng(0)
    context = _check(target, prompt, max_new_tokens, gamma)
    if gamma and draft is None:
        raise DraftError("gamma > 0 needs a draft")
    runner = CachedRunner(target, clock)
    stats, rounds, out = Stats(), list[Round](), list[int]()
    stopped = "length"
    start = clock()
    draft_passes0 = draft.passes if draft is not None else 0
    draft_seconds0 = draft.seconds if draft is not None else 0.0
    while len(out) < max_new_tokens and stopped == "length":
        k = min(gamma, max_new_tokens - len(out) - 1)  # k drafts + 1 target token never overshoot the limit
        proposal = draft.propose(context, k, sampling, rng) if (draft is not None and k > 0) else None
        drafted = proposal.tokens if proposal is not None else []
        if (
            draft is not None
            and proposal is not None
            and proposal.dists.shape != (len(drafted), target.config.vocab_size)
        ):
            raise DraftError(
                f"the draft {draft.name!r} gave distributions of shape {proposal.dists.shape}; the target needs "
                f"({len(drafted)}, {target.config.vocab_size}): draft and target must share one vocabulary"
            )
        logits = runner.feed([*context, *drafted])[-(len(drafted) + 1) :]  # [k+1, V]: ONE target pass
        p = sampling.probs(logits)  # p_1 .. p_{k+1}
        kept, token, kind = 0, -1, "bonus"
        for i, x in enumerate(drafted):
            q = proposal.dists[i] if proposal is not None else p[i]
            stats.betas.append(expected_acceptance(p[i], q))
            # greedy: keep while the target's argmax agrees; else keep with probability min(1, p(x) / q(x))
            ok = int(np.argmax(p[i])) == x if sampling.greedy else rng.random() < acceptance_probability(p[i], q, x)
            if not ok:
                stats.rejected += 1
                token = int(np.argmax(p[i])) if sampling.greedy else draw(residual(p[i], q), rng)
                kind = "correction"
                break
            kept += 1
            if x == eos_token:
                stopped = "eos"
                break
        accepted = drafted[:kept]
        before = len(runner.tokens)
        runner.rollback(len(context) + kept)  # the target's cache keeps only the accepted prefix
        emitted, added = list(accepted), None
        if stopped != "eos":  # the target's own token: the correction, or the bonus when all were kept
            if kind == "bonus":
                token = int(np.argmax(p[kept])) if sampling.greedy else draw(p[kept], rng)
            emitted.append(token)
            added = token
            if token == eos_token:
                stopped = "eos"
        rounds.append(Round(drafted, kept, added, kind, before - len(runner.tokens)))
        stats.rounds += 1
        stats.drafted += len(drafted)
        stats.accepted += kept
        context += emitted
        out += emitted
    stats.wall_seconds = clock() - start
    stats.new_tokens = len(out)
    stats.target_passes, stats.target_seconds = runner.passes, runner.seconds
    if draft is not None:
        stats.draft_passes = draft.passes - draft_passes0
        stats.draft_seconds = draft.seconds - draft_seconds0
    return Generation(list(prompt), out, stopped, stats, rounds)


def target_only_generate(
    target: Transformer,
    prompt: Sequence[int],
    max_new_tokens: int,
    sampling: Sampling | None = None,
    rng: np.random.Generator | None = None,
    eos_token: int | None = None,
    clock: Clock = time.perf_counter,
) -> Generation:
    """The baseline: prefill, then one target pass per token, sampling each from p."""
    sampling = sampling or Sampling()
    rng = rng if rng is not None else np.random.default_rng(0)
    tokens = _check(target, prompt, max_new_tokens, 0)
    cache = target.new_cache()
    stats, out, stopped = Stats(), list[int](), "length"
    start = clock()
    if max_new_tokens:
        logits = target.prefill(tokens, cache)[-1]
        stats.target_passes = 1
    while len(out) < max_new_tokens:
        p = sampling.probs(logits)
        token = int(np.argmax(p)) if sampling.greedy else draw(p, rng)
        out.append(token)
        if token == eos_token:
            stopped = "eos"
            break
        if len(out) == max_new_tokens:
            break
        logits = target.decode([token], cache)[-1]
        stats.target_passes += 1
    stats.wall_seconds = clock() - start
    stats.target_seconds = stats.wall_seconds
    stats.rounds = stats.new_tokens = len(out)
    return Generation(list(prompt), out, stopped, stats)
