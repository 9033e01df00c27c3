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


def render_svg(cell: ChubbyCell, title: str) -> str:
    """Draw the cell's timeline so far."""
    names = list(cell.replicas) + [name for name in cell.clients if name != "checker"]
    end = max(cell.now(), 1.0)
    left, width, row, top = 110, 640, 26, 40
    height = top + row * len(names) + 66

    def x(t: float) -> float:
        return left + width * min(max(t, 0.0), end) / end

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, name in enumerate(names):
        y = top + i * row
        parts.append(f'<text x="6" y="{y + 15}">{escape(name)}</text>')
        parts.append(f'<line x1="{left}" y1="{y + 11}" x2="{left + width}" y2="{y + 11}" stroke="#ddd"/>')
    for k, term in enumerate(cell.monitor.terms):
        y = top + names.index(term.replica) * row
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
    for incident in cell.monitor.incidents:
        t = x(incident.time)
        if incident.subject in names:
            y = top + names.index(incident.subject) * row + 11
            if incident.kind == "crash":
                parts.append(f'<text x="{t - 4:.1f}" y="{y + 4}" fill="#c00" font-weight="bold">✕</text>')
            elif incident.kind == "restart":
                parts.append(f'<circle cx="{t:.1f}" cy="{y}" r="4" fill="#2a2"/>')
            else:
                parts.append(f'<text x="{t - 5:.1f}" y="{y + 5}" fill="#a60" font-size="15">⌁</text>')
        else:
            parts.append(
                f'<line x1="{t:.1f}" y1="{top - 4}" x2="{t:.1f}" y2="{height - 30}" stroke="#a60" '
                f'stroke-dasharray="4 3"><title>{escape(incident.kind)} {escape(incident.subject)}</title></line>'
            )
    for name in names[len(cell.replicas) :]:
        y = top + names.index(name) * row + 11
        for event in cell.clients[name].events:
            if event.kind in ("jeopardy", "safe", "session expired", "master failed over"):
                colour = {"jeopardy": "#e90", "safe": "#2a2", "session expired": "#c00"}.get(event.kind, "#48c")
                parts.append(
                    f'<circle cx="{x(event.time):.1f}" cy="{y}" r="4" fill="{colour}">'
                    f"<title>{escape(event.kind)} at {event.time:.2f} s</title></circle>"
                )
    step = next(s for s in (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1e9) if end / s <= 8)
    tick = 0.0
    while tick <= end:
        parts.append(f'<text x="{x(tick) - 8:.1f}" y="{height - 38}">{tick:g} s</text>')
        tick += step
    legend = [
        "bar: master term (epoch) · pale: rest of its last lease · ✕ crash · green dot on a replica: restart",
        "⌁ cut off · dashed line: partition or heal · "
        "client dots: orange jeopardy, green safe, blue fail-over, red expired",
    ]
    for i, line in enumerate(legend):
        parts.append(f'<text x="6" y="{height - 16 + 12 * i}" font-size="10" fill="#555">{escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
