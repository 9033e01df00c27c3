"""Measurements over a strategy: load distribution, imbalance, and sessions moved when the pool changes.

Used by the features (attached as evidence), the property tests and the benchmark. A session is
a ``RequestKey``; its first route may set an affinity cookie, which the client then sends back,
so cookie insertion is measured the way a browser would exercise it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape

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


_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def load_histogram_svg(loads: Mapping[str, Counter[str]], width: int = 640, height: int = 300) -> str:
    """Sessions per server for several strategies as grouped bars (SVG), with each one's imbalance.

    Plain SVG, no plotting library: the report shows it as a picture; the dashed line is the fair share.
    """
    strategies = list(loads)
    servers = list(next(iter(loads.values()))) if loads else []
    top = max((max(c.values(), default=0) for c in loads.values()), default=0) or 1
    left, right, plot_top, plot_bottom = 50, width - 170, 20, height - 30
    group = (right - left) / max(len(servers), 1)
    bar = group * 0.8 / max(len(strategies), 1)

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<line x1="{left}" y1="{plot_bottom}" x2="{right}" y2="{plot_bottom}" stroke="black"/>',
        f'<text x="{left - 6}" y="{plot_top + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{plot_bottom}" text-anchor="end">0</text>',
    ]
    for s_index, name in enumerate(strategies):
        colour = _COLOURS[s_index % len(_COLOURS)]
        for v_index, server in enumerate(servers):
            value = loads[name][server]
            x = left + v_index * group + group * 0.1 + s_index * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" height="{plot_bottom - y(value):.1f}" '
                f'fill="{colour}"><title>{escape(name)} {escape(server)}: {value}</title></rect>'
            )
        legend_y = plot_top + 14 * s_index
        parts.append(f'<rect x="{right + 10}" y="{legend_y}" width="10" height="10" fill="{colour}"/>')
        label = f"{name} ({imbalance(loads[name]):.3f})"
        parts.append(f'<text x="{right + 24}" y="{legend_y + 9}">{escape(label)}</text>')
    for v_index, server in enumerate(servers):
        parts.append(
            f'<text x="{left + (v_index + 0.5) * group:.1f}" y="{plot_bottom + 15}" text-anchor="middle">'
            f"{escape(server)}</text>"
        )
    if loads:
        fair = sum(next(iter(loads.values())).values()) / max(len(servers), 1)
        parts.append(
            f'<line x1="{left}" y1="{y(fair):.1f}" x2="{right}" y2="{y(fair):.1f}" stroke="black" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append(
        f'<text x="{right + 10}" y="{plot_bottom}">dashed: fair share</text><text x="{right + 10}" '
        f'y="{plot_bottom - 14}">(imbalance = max / fair)</text></svg>'
    )
    return "\n".join(parts)


def follow_sessions(strategy: Strategy, pool: Pool, keys: Sequence[RequestKey], requests: int) -> dict[str, list[str]]:
    """Each session sends ``requests`` requests in turn, sending back any cookie it was given: session -> servers."""
    visited: dict[str, list[str]] = {}
    for first in keys:
        key, servers = first, visited.setdefault(first.session_id or first.client_ip, [])
        for _ in range(requests):
            route = route_in(strategy, pool, key)
            if route.set_cookie is not None:
                key = replace(key, affinity=route.set_cookie)
            servers.append(route.server)
    return visited


def share_deviations(counts: Mapping[str, int], weights: Mapping[str, int]) -> dict[str, float]:
    """Per server, (sessions - weighted fair share) / fair share: 0.0 is exact, +0.1 is 10% over."""
    total, weight_sum = sum(counts.values()), sum(weights.values())
    return {
        name: (counts[name] - total * weights[name] / weight_sum) / (total * weights[name] / weight_sum)
        for name in counts
        if weights.get(name, 0) > 0
    }
