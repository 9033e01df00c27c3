"""The expected gain of speculative decoding, from Leviathan, Kalman, Matias (ICML 2023), section 3.

With acceptance rate alpha (the probability a drafted token is kept, assumed independent per
token), gamma drafts per round and c the cost of one draft pass relative to one target pass:

    expected tokens per target pass  E = (1 - alpha^(gamma+1)) / (1 - alpha)       (theorem 3.8)
    expected wall-time speed-up      S = (1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1))   (3.11)
"""

from __future__ import annotations

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
