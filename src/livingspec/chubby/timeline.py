"""The timeline of a simulated run as an SVG picture: one row per replica, master terms as bars.

A solid bar is a term as master (labelled with its epoch), the pale bar after it the rest of its
last lease, red crosses are crashes, green dots restarts, dashed lines partitions and heals.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livingspec.chubby.cell import ChubbyCell

COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


_LEGEND = [
    "bar: master term (epoch) · pale: rest of its last lease · ✕ crash · green dot on a replica: restart",
    "⌁ cut off · dashed line: partition or heal · "
    "client dots: orange jeopardy, green safe, blue fail-over, red expired",
]
_CLIENT_COLOURS = {"jeopardy": "#e90", "safe": "#2a2", "session expired": "#c00", "master failed over": "#48c"}


class _Canvas:
    """Geometry of one picture: a row per node, virtual time from 0 to ``end`` across the width."""

    left, width, row, top = 110, 640, 26, 40

    def __init__(self, names: list[str], end: float) -> None:
        self.names, self.end = names, end
        self.height = self.top + self.row * len(names) + 66

    def x(self, t: float) -> float:
        return self.left + self.width * min(max(t, 0.0), self.end) / self.end

    def y(self, name: str) -> int:
        return self.top + self.names.index(name) * self.row


def render_svg(cell: ChubbyCell, title: str) -> str:
    """Draw the cell's timeline so far."""
    names = list(cell.replicas) + [name for name in cell.clients if name != "checker"]
    canvas = _Canvas(names, max(cell.now(), 1.0))
    left, width = canvas.left, canvas.width
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{canvas.height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for name in names:
        y = canvas.y(name)
        parts.append(f'<text x="6" y="{y + 15}">{escape(name)}</text>')
        parts.append(f'<line x1="{left}" y1="{y + 11}" x2="{left + width}" y2="{y + 11}" stroke="#ddd"/>')
    parts += _terms(cell, canvas) + _incidents(cell, canvas) + _client_events(cell, canvas, names[len(cell.replicas) :])
    parts += _axis(canvas)
    parts.append("</svg>")
    return "\n".join(parts)


def _terms(cell: ChubbyCell, canvas: _Canvas) -> list[str]:
    parts, x = [], canvas.x
    for k, term in enumerate(cell.monitor.terms):
        y = canvas.y(term.replica)
        colour = COLOURS[k % len(COLOURS)]
        stop = cell.now() if term.end is None else term.end
        lease = term.lease_ends[-1] if term.lease_ends else stop
        parts.append(
            f'<rect x="{x(term.start):.1f}" y="{y + 2}" width="{max(x(stop) - x(term.start), 1):.1f}" '
            f'height="18" fill="{colour}"><title>epoch {term.epoch}</title></rect>'
        )
        if lease > stop:
            parts.append(
                f'<rect x="{x(stop):.1f}" y="{y + 2}" width="{max(x(lease) - x(stop), 1):.1f}" height="18" '
                f'fill="{colour}" opacity="0.3"><title>lease until {lease:.2f} s</title></rect>'
            )
        parts.append(f'<text x="{x(term.start) + 3:.1f}" y="{y + 15}" fill="white">epoch {term.epoch}</text>')
    return parts


def _incidents(cell: ChubbyCell, canvas: _Canvas) -> list[str]:
    parts = []
    for incident in cell.monitor.incidents:
        t = canvas.x(incident.time)
        if incident.subject not in canvas.names:
            parts.append(
                f'<line x1="{t:.1f}" y1="{canvas.top - 4}" x2="{t:.1f}" y2="{canvas.height - 30}" stroke="#a60" '
                f'stroke-dasharray="4 3"><title>{escape(incident.kind)} {escape(incident.subject)}</title></line>'
            )
            continue
        y = canvas.y(incident.subject) + 11
        if incident.kind == "crash":
            parts.append(f'<text x="{t - 4:.1f}" y="{y + 4}" fill="#c00" font-weight="bold">✕</text>')
        elif incident.kind == "restart":
            parts.append(f'<circle cx="{t:.1f}" cy="{y}" r="4" fill="#2a2"/>')
        else:
            parts.append(f'<text x="{t - 5:.1f}" y="{y + 5}" fill="#a60" font-size="15">⌁</text>')
    return parts


def _client_events(cell: ChubbyCell, canvas: _Canvas, clients: list[str]) -> list[str]:
    parts = []
    for name in clients:
        y = canvas.y(name) + 11
        for event in cell.clients[name].events:
            colour = _CLIENT_COLOURS.get(event.kind)
            if colour is not None:
                parts.append(
                    f'<circle cx="{canvas.x(event.time):.1f}" cy="{y}" r="4" fill="{colour}">'
                    f"<title>{escape(event.kind)} at {event.time:.2f} s</title></circle>"
                )
    return parts


def _axis(canvas: _Canvas) -> list[str]:
    parts, end, height = [], canvas.end, canvas.height
    step = next(s for s in (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1e9) if end / s <= 8)
    tick = 0.0
    while tick <= end:
        parts.append(f'<text x="{canvas.x(tick) - 8:.1f}" y="{height - 38}">{tick:g} s</text>')
        tick += step
    for i, line in enumerate(_LEGEND):
        parts.append(f'<text x="6" y="{height - 16 + 12 * i}" font-size="10" fill="#555">{escape(line)}</text>')
    return parts
