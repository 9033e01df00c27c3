"""The expected gain of speculative decoding, from Leviathan, Kalman, Matias (ICML 2023), section 3.

With acceptance rate alpha (the probability a drafted token is kept, assumed independent per
token), gamma drafts per round and c the cost of one draft pass relative to one target pass:

    expected tokens per target pass  E = (1 - alpha^(gamma+1)) / (1 - alpha)       (theorem 3.8)
    expected wall-time speed-up      S = (1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1))   (3.11)

"Acceptance rate" is read two ways. The paper's alpha is per token: the chance a drafted token is
kept given that every earlier one in its round was. The fraction of drafted tokens kept is lower,
because the drafts after a round's first rejection are never examined:
sum_{i=1..gamma} alpha^i / gamma. ``readings`` works a claim out under both.
"""

from __future__ import annotations

from dataclasses import dataclass

from livingspec.speculative.errors import DraftError


def _check(alpha: float, gamma: int, c: float = 0.0) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise DraftError(f"alpha must lie in [0, 1], got {alpha}")
    if gamma < 0:
        raise DraftError(f"gamma must be >= 0, got {gamma}")
    if c < 0:
        raise DraftError(f"the cost ratio c must be >= 0, got {c}")


def expected_tokens_per_pass(alpha: float, gamma: int) -> float:
    """(1 - alpha^(gamma+1)) / (1 - alpha); gamma + 1 when alpha = 1."""
    _check(alpha, gamma)
    if alpha == 1.0:
        return float(gamma + 1)
    return (1.0 - alpha ** (gamma + 1)) / (1.0 - alpha)


def expected_speedup(alpha: float, gamma: int, c: float) -> float:
    """(1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1)): wall time of target-only over speculative."""
    _check(alpha, gamma, c)
    return expected_tokens_per_pass(alpha, gamma) / (gamma * c + 1.0)


def best_gamma(alpha: float, c: float, max_gamma: int = 32) -> int:
    """The gamma in 0..max_gamma with the largest expected speed-up."""
    return max(range(max_gamma + 1), key=lambda gamma: expected_speedup(alpha, gamma, c))


def cost_ratio_for_speedup(alpha: float, gamma: int, speedup: float) -> float:
    """The c that would make the formula give ``speedup`` (negative: not reachable at any cost)."""
    _check(alpha, gamma)
    if gamma == 0:
        raise DraftError("with gamma 0 the speed-up is 1 whatever c is")
    return (expected_tokens_per_pass(alpha, gamma) / speedup - 1.0) / gamma


def kept_fraction(alpha: float, gamma: int) -> float:
    """Expected fraction of drafted tokens kept: sum_{i=1..gamma} alpha^i / gamma (a round ends at a rejection)."""
    _check(alpha, gamma)
    if gamma == 0:
        raise DraftError("with gamma 0 nothing is drafted")
    return sum(alpha**i for i in range(1, gamma + 1)) / gamma


def alpha_for_kept_fraction(fraction: float, gamma: int) -> float:
    """The per-token acceptance rate alpha whose rounds keep ``fraction`` of their drafted tokens (bisection)."""
    if not 0.0 <= fraction <= 1.0:
        raise DraftError(f"a kept fraction lies in [0, 1], got {fraction}")
    low, high = 0.0, 1.0
    for _ in range(100):
        middle = (low + high) / 2
        if kept_fraction(middle, gamma) < fraction:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@dataclass(frozen=True)
class Reading:
    """One reading of a claimed acceptance rate: the alpha it implies and what the formula then predicts."""

    name: str
    alpha: float
    kept: float  # fraction of drafted tokens kept
    tokens_per_pass: float
    speedup: float
    seconds: float  # what ``before`` seconds become


def readings(claimed: float, gamma: int, c: float, before: float) -> list[Reading]:
    """The claim read as Leviathan et al.'s per-token alpha, and as the fraction of drafted tokens kept."""
    rows = []
    for name, alpha in (
        ("per-token acceptance rate alpha (Leviathan et al.)", claimed),
        ("fraction of drafted tokens kept", alpha_for_kept_fraction(claimed, gamma)),
    ):
        speedup = expected_speedup(alpha, gamma, c)
        rows.append(
            Reading(
                name,
                alpha,
                kept_fraction(alpha, gamma),
                expected_tokens_per_pass(alpha, gamma),
                speedup,
                before / speedup,
            )
        )
    return rows
