"""Jepsen-style checks on either target: seeded fault schedules, each history judged, drawn as a timeline.

``run_histories(target, seeds)`` runs one history per seed: on the simulation, the randomised fault
schedule of ``chubby.faults`` (crashes, restarts, partitions, lossy links; virtual seconds); on etcd,
the nemesis of ``chubby.jepsen`` (SIGKILL, SIGSTOP/SIGCONT, restarts; wall-clock seconds). Either way
the recorded history of one register (reads, writes, compare-and-set) goes to the same
linearizability checker, and a failing seed keeps its history so that the report can draw it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from livingspec.chubby.errors import ConfigError, SafetyViolationError
from livingspec.chubby.faults import _Schedule, replay_command
from livingspec.chubby.linearizability import Operation

TARGETS = ("embedded", "real")
COLOURS = {"write": "#4e79a7", "read": "#59a14f", "cas": "#f28e2b"}


@dataclass
class HistoryRun:
    """One seed's history, the faults applied (with their time where the target knows it) and the verdict."""

    seed: int
    target: str
    history: list[Operation] = field(default_factory=list)
    faults: list[tuple[float | None, str]] = field(default_factory=list)
    linearizable: bool = False
    problem: str = ""
    replay: str = ""

    @property
    def indeterminate(self) -> int:
        """Writes and compare-and-sets that got no answer (they may or may not have happened)."""
        return sum(1 for op in self.history if math.isinf(op.returned))

    def row(self) -> tuple[int, int, int, int, str]:
        """Seed, operations, indeterminate ones, faults, verdict: one line of the report's table."""
        verdict = "linearizable" if self.linearizable else f"NOT linearizable: {self.problem}"[:160]
        return self.seed, len(self.history), self.indeterminate, len(self.faults), verdict


def _simulated(seed: int) -> HistoryRun:
    schedule = _Schedule(seed)
    run = HistoryRun(seed, "embedded", replay=replay_command(seed))
    try:
        schedule.run(20)
        run.linearizable = True
    except SafetyViolationError as error:
        run.problem = str(error).splitlines()[0][:300]
    run.history = list(schedule.result.history)
    run.faults = [(None, fault) for fault in schedule.result.faults]
    return run


def _on_etcd(seed: int) -> HistoryRun:
    from livingspec.chubby.jepsen import run_history

    result = run_history(seed)
    run = HistoryRun(seed, "real", replay=f".venv/bin/python -m livingspec.chubby.jepsen --seed {seed}")
    run.history, run.linearizable = result.history, result.linearizable
    run.faults = [(at, what) for at, what in result.faults]
    run.problem = "" if run.linearizable else "no order of the operations explains every read"
    return run


def run_histories(target: str, seeds: Sequence[int]) -> list[HistoryRun]:
    """One checked history per seed on ``target`` (``embedded``: the simulation; ``real``: etcd)."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    run = _simulated if target == "embedded" else _on_etcd
    return [run(seed) for seed in seeds]


def _label(op: Operation) -> str:
    if op.kind == "cas":
        return f"cas {op.expected}→{op.value} {'ok' if op.ok else 'failed'}"
    return f"{op.kind} {op.value}"


def history_svg(run: HistoryRun, width: int = 860) -> str:
    """Each client's operations as bars from invocation to answer (open-ended when unanswered), faults as lines."""
    clients = sorted({op.client for op in run.history})
    answered = [op.returned for op in run.history if not math.isinf(op.returned)]
    end = max([*answered, *(op.invoked for op in run.history), *(at for at, _ in run.faults if at is not None), 1.0])
    left, top, lane = 70, 56, 26
    scale = (width - left - 20) / end
    height = top + lane * len(clients) + 40
    unit = "s" if run.target == "real" else "virtual s"
    verdict = "linearizable" if run.linearizable else "NOT linearizable"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="10">',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">History of seed {run.seed} '
        f"({run.target}): {verdict}</text>",
    ]
    for index, client in enumerate(clients):
        y = top + index * lane
        parts.append(f'<text x="6" y="{y + 14}">{escape(client)}</text>')
        parts.append(f'<line x1="{left}" y1="{y + 10}" x2="{width - 20}" y2="{y + 10}" stroke="#eee"/>')
    for op in run.history:
        y = top + clients.index(op.client) * lane
        x0 = left + op.invoked * scale
        stop = end if math.isinf(op.returned) else op.returned
        colour = COLOURS.get(op.kind, "#999")
        dash = ' stroke-dasharray="3,2" fill-opacity="0.25"' if math.isinf(op.returned) else ""
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 2}" width="{max((stop - op.invoked) * scale, 2):.1f}" height="16" '
            f'fill="{colour}" stroke="{colour}"{dash}><title>{escape(_label(op))}: {op.invoked:.3f}–'
            f"{'no answer' if math.isinf(op.returned) else f'{op.returned:.3f}'} {unit}</title></rect>"
        )
    timed = [(at, what) for at, what in run.faults if at is not None]
    for k, (at, what) in enumerate(timed):
        x, rise = left + at * scale, (k % 2) * 12
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4 - rise}" x2="{x:.1f}" y2="{height - 30}" stroke="#e15759"/>')
        parts.append(f'<text x="{x + 2:.1f}" y="{top - 6 - rise}" fill="#e15759">{escape(what)}</text>')
    parts.append(
        f'<text x="{left}" y="{height - 10}">0 … {end:.1f} {unit}; bars: write (blue), read (green), '
        "compare-and-set (orange), dashed: no answer; red lines: faults</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
