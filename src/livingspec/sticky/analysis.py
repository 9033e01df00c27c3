"""Measurements over a strategy: load distribution, imbalance, and sessions moved when the pool changes.

Used by the features (attached as evidence), the property tests and the benchmark. A session is
a ``RequestKey``; its first route may set an affinity cookie, which the client then sends back,
so cookie insertion is measured the way a browser would exercise it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from livingspec.sticky.pool import Pool
from livingspec.sticky.strategies import RequestKey, Route, Strategy, route_in


def sessions(count: int, prefix: str = "user") -> list[RequestKey]:
    """``count`` distinct sessions, each with its own session id and client address in 10.0.0.0/8."""
    return [
        RequestKey(client_ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", session_id=f"{prefix}-{i}")
        for i in range(count)
    ]


def first_routes(strategy: Strategy, pool: Pool, keys: Sequence[RequestKey]) -> list[tuple[RequestKey, Route]]:
    """Each session's first request, and the session as it will come back (with any cookie it was given)."""
    result = []
    for key in keys:
        route = route_in(strategy, pool, key)
        returning = replace(key, affinity=route.set_cookie) if route.set_cookie is not None else key
        result.append((returning, route))
    return result


def load(strategy: Strategy, pool: Pool, keys: Sequence[RequestKey]) -> Counter[str]:
    """Sessions per server when each of ``keys`` starts a session (every server in the pool listed)."""
    counts: Counter[str] = Counter({name: 0 for name in pool.names})
    counts.update(route.server for _, route in first_routes(strategy, pool, keys))
    return counts


def imbalance(counts: Counter[str], weights: dict[str, int] | None = None) -> float:
    """max over servers of load / fair share (1.0 is perfect); fair share follows weights when given."""
    total = sum(counts.values())
    if total == 0:
        return 1.0
    weights = weights or {name: 1 for name in counts}
    weight_sum = sum(weights.values())
    return max(counts[name] / (total * weights[name] / weight_sum) for name in counts if weights.get(name, 0) > 0)


@dataclass(frozen=True)
class Movement:
    """Sessions whose server changed after a pool change, beside the ideal fraction."""

    sessions: int
    moved: int
    ideal: float

    @property
    def fraction(self) -> float:
        """Share of sessions that moved."""
        return self.moved / self.sessions if self.sessions else 0.0


def movement(
    strategy: Strategy, pool: Pool, keys: Sequence[RequestKey], change: Callable[[Pool], None], ideal: float
) -> Movement:
    """Route every session, apply ``change`` to the pool, route them again (with their cookies); count moves."""
    before = first_routes(strategy, pool, keys)
    change(pool)
    moved = sum(route_in(strategy, pool, returning).server != route.server for returning, route in before)
    return Movement(len(keys), moved, ideal)


def scale_out(strategy: Strategy, pool: Pool, keys: Sequence[RequestKey], new_server: str) -> Movement:
    """Add ``new_server`` (weight 1) to a pool of n equal servers: the ideal share moved is 1/(n+1)."""
    n = len(pool.names)
    return movement(strategy, pool, keys, lambda p: p.add(new_server), 1 / (n + 1))
