"""Exports of a timeline: Chrome trace event JSON (opens in Perfetto and chrome://tracing),
OpenTelemetry spans (OTLP/JSON shape), and SVG pictures for the report.

Chrome trace event format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
Each task is a thread (``tid``); each event is a 1 µs complete slice (``ph: X``) so that causal
edges can be drawn as flow arrows (``ph: s`` / ``ph: f``) bound to the slices. Timestamps are the
recorded monotonic times in microseconds from the first event, nudged forward by 1 µs where
events share a time (simulated time often does), so every slice is visible and in timeline order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from livingspec.temporal.races import Race
from livingspec.temporal.timeline import READ, WRITE, Timeline

_EDGE_COLOURS = {"spawn": "#888888", "join": "#2b7bb9", "lock": "#7a3db8", "queue": "#1a9850"}


def _positions(timeline: Timeline) -> list[int]:
    """Microsecond timestamps: recorded time, strictly increasing by at least 1 µs."""
    if not timeline.events:
        return []
    origin = timeline.events[0].time
    out: list[int] = []
    last = -1
    for event in timeline.events:
        ts = max(round((event.time - origin) * 1e6), last + 1)
        out.append(ts)
        last = ts
    return out


def to_chrome_trace(timeline: Timeline, races: Sequence[Race] = ()) -> dict[str, Any]:
    """The timeline as a Chrome trace (JSON object format): threads, event slices, flow arrows."""
    tids = {name: i + 1 for i, name in enumerate(timeline.tasks)}
    ts = _positions(timeline)
    trace: list[dict[str, Any]] = [{"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "livingspec"}}]
    for name, tid in tids.items():
        trace.append({"ph": "M", "pid": 1, "tid": tid, "name": "thread_name", "args": {"name": name}})
        trace.append({"ph": "M", "pid": 1, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})
    racy = {race.first.index for race in races} | {race.second.index for race in races}
    for event in timeline.events:
        name = event.kind if event.obj is None else f"{event.kind} {event.obj}"
        trace.append(
            {
                "ph": "X",
                "pid": 1,
                "tid": tids[event.task],
                "ts": ts[event.index],
                "dur": 1,
                "name": name,
                "cat": "race" if event.index in racy else (event.access or "event"),
                "args": {
                    "event": event.index,
                    "time_s": event.time,
                    "lamport": event.lamport,
                    "vclock": dict(event.vclock),
                    "data": {k: str(v) for k, v in event.data.items()},
                    "stack": [str(frame) for frame in event.stack],
                },
            }
        )
    for n, edge in enumerate(timeline.edges, start=1):
        source, target = timeline.events[edge.source], timeline.events[edge.target]
        common = {"pid": 1, "name": edge.kind, "cat": "causal", "id": n}
        trace.append({**common, "ph": "s", "tid": tids[source.task], "ts": ts[edge.source]})
        trace.append({**common, "ph": "f", "bp": "e", "tid": tids[target.task], "ts": ts[edge.target]})
    return {"traceEvents": trace, "displayTimeUnit": "ms", "otherData": {"races": [r.describe() for r in races]}}


def _svg_open(width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="10">'
    )


def _hex(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def to_otel_spans(timeline: Timeline, service: str = "livingspec") -> dict[str, Any]:
    """One span per task (parent: the task that created it), its events as span events (OTLP/JSON)."""
    trace_id = _hex("|".join(timeline.tasks), 32)
    spans = []
    for name, info in timeline.tasks.items():
        own = [e for e in timeline.events if e.task == name]
        if not own:
            continue
        parent = timeline.tasks.get(info.parent) if info.parent else None
        spans.append(
            {
                "traceId": trace_id,
                "spanId": _hex(name, 16),
                "parentSpanId": _hex(parent.name, 16) if parent else "",
                "name": name,
                "kind": 1,
                "startTimeUnixNano": str(round(own[0].time * 1e9)),
                "endTimeUnixNano": str(round(own[-1].time * 1e9)),
                "events": [
                    {
                        "timeUnixNano": str(round(e.time * 1e9)),
                        "name": e.kind,
                        "attributes": [{"key": k, "value": {"stringValue": str(v)}} for k, v in e.data.items()],
                    }
                    for e in own
                ],
            }
        )
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": {"name": "livingspec.temporal"}, "spans": spans}]}
        ]
    }


def timeline_svg(timeline: Timeline, races: Sequence[Race] = (), title: str = "timeline", max_events: int = 80) -> str:
    """A lane per task, events left to right in timeline order, causal edges as arrows, races in red."""
    events = timeline.events[:max_events]
    lanes = {name: i for i, name in enumerate(timeline.tasks)}
    left, top, dx, dy = 150, 130, 36, 64
    width = left + dx * (len(events) + 1) + 20
    height = top + dy * max(1, len(lanes)) + 50
    x = {e.index: left + dx * (i + 1) for i, e in enumerate(events)}
    y = {e.index: top + dy * lanes[e.task] for e in events}
    out = [
        _svg_open(width, height),
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
        '<path d="M0,0 L0,6 L7,3 z" fill="#555"/></marker></defs>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for name, lane in lanes.items():
        ly = top + dy * lane
        out.append(f'<line x1="{left}" y1="{ly}" x2="{width - 10}" y2="{ly}" stroke="#ddd"/>')
        out.append(f'<text x="10" y="{ly + 4}">{escape(name)}</text>')
    for edge in timeline.edges:
        if edge.source in x and edge.target in x:
            colour = _EDGE_COLOURS.get(edge.kind, "#555")
            out.append(
                f'<line x1="{x[edge.source]}" y1="{y[edge.source]}" x2="{x[edge.target]}" y2="{y[edge.target]}" '
                f'stroke="{colour}" stroke-width="1.2" marker-end="url(#arrow)">'
                f"<title>{escape(edge.kind)}</title></line>"
            )
    for race in races:
        a, b = race.first.index, race.second.index
        if a in x and b in x:
            out.append(
                f'<line x1="{x[a]}" y1="{y[a]}" x2="{x[b]}" y2="{y[b]}" stroke="#d7191c" stroke-width="2" '
                f'stroke-dasharray="5,3"><title>{escape(race.describe())}</title></line>'
            )
    racy = {r.first.index for r in races} | {r.second.index for r in races}
    for e in events:
        fill = {WRITE: "#fdae61", READ: "#abd9e9"}.get(e.access or "", "#ffffff")
        stroke = "#d7191c" if e.index in racy else "#333"
        tip = escape(f"#{e.index} t={e.time * 1000:.1f} ms {e.kind} {e.obj or ''} {e.data} L={e.lamport} VC={e.vclock}")
        out.append(
            f'<circle cx="{x[e.index]}" cy="{y[e.index]}" r="6" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2.5 if e.index in racy else 1}"><title>{tip}</title></circle>'
        )
        label = escape(e.kind[:26])
        out.append(
            f'<text x="{x[e.index]}" y="{y[e.index] - 10}" font-size="8" text-anchor="start" '
            f'transform="rotate(-35 {x[e.index]} {y[e.index] - 10})">{label}</text>'
        )
        out.append(f'<text x="{x[e.index]}" y="{height - 22}" font-size="8" text-anchor="middle">{e.index}</text>')
        ms = f"{(e.time - events[0].time) * 1000:.0f}"
        out.append(
            f'<text x="{x[e.index]}" y="{height - 8}" font-size="8" text-anchor="middle" fill="#777">{ms}</text>'
        )
    legend = (
        "orange: write, blue: read, red ring/dash: race; "
        "arrows: spawn (grey), join (blue), lock (purple), queue (green)"
    )
    out.append(f'<text x="{left}" y="{height - 36}" font-size="9" fill="#555">{escape(legend)}</text>')
    out.append(f'<text x="10" y="{height - 22}" font-size="8">event</text>')
    out.append(f'<text x="10" y="{height - 8}" font-size="8" fill="#777">time (ms)</text>')
    out.append("</svg>")
    return "\n".join(out)


def series_svg(points: Sequence[tuple[float, float]], title: str, ylabel: str) -> str:
    """A line chart of (time in s, value): how a measure of an object evolved over the timeline."""
    width, height, left, bottom, top = 520, 260, 60, 40, 30
    if not points:
        points = [(0.0, 0.0)]
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    values = [p[1] for p in points]
    v0, v1 = min([0.0, *values]), max([1.0, *values])
    span_t, span_v = (t1 - t0) or 1.0, (v1 - v0) or 1.0

    def sx(t: float) -> float:
        return left + (t - t0) / span_t * (width - left - 20)

    def sy(v: float) -> float:
        return height - bottom - (v - v0) / span_v * (height - bottom - top)

    mid = (top + height - bottom) / 2
    path = " ".join(f"{sx(t):.1f},{sy(v):.1f}" for t, v in points)
    return "\n".join(
        [
            _svg_open(width, height),
            f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" y2="{height - bottom}" stroke="#333"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>',
            f'<text x="{left}" y="{height - 22}">{t0:.2f} s</text>',
            f'<text x="{width - 20}" y="{height - 22}" text-anchor="end">{t1:.2f} s (simulated time)</text>',
            f'<text x="{left - 6}" y="{sy(v1) + 4}" text-anchor="end">{v1:g}</text>',
            f'<text x="{left - 6}" y="{sy(v0) + 4}" text-anchor="end">{v0:g}</text>',
            f'<text x="12" y="{mid}" transform="rotate(-90 12 {mid})">{escape(ylabel)}</text>',
            f'<polyline points="{path}" fill="none" stroke="#2b7bb9" stroke-width="2"/>',
            "</svg>",
        ]
    )
