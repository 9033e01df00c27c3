"""Shared by the benchmark scripts: timing (best of several runs) and the report files.

Each script compares our implementation with a peer measured in the same run and writes
reports/benchmarks/<concept>.json and .md; the numbers that matter are ratios.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPORT_DIR = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"


def best_of(function: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def markdown_table(headings: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-style table."""
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Headline:
    """One headline figure of a benchmark: ours beside the peer, measured in the same run.

    ``ratio`` is ours / peer, oriented so that above 1 is better for us (say so in ``measure``,
    e.g. "requests/s" or "speed-up, CPU time"); ``target`` is the ratio an issue or design aims for.
    """

    measure: str
    ours: str
    peer: str
    ratio: float
    target: float | None = None


def write_report(
    concept: str,
    title: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[Any]],
    notes: Sequence[str] = (),
    headlines: Sequence[Headline] = (),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Print the table and write reports/benchmarks/<concept>.json and .md; return the markdown.

    ``headlines`` are the figures `make bench` gathers into one summary table at the end of the run;
    ``extra`` adds entries to the JSON only (e.g. ``"curves"``, which the report's benchmarks page draws).
    """
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, Python {platform.python_version()}, {platform.system()}"
    markdown = f"# {title}\n\n{markdown_table(headings, rows)}\n\n" + "".join(f"- {note}\n" for note in notes)
    markdown += f"\nMachine: {machine}\n"
    (REPORT_DIR / f"{concept}.md").write_text(markdown)
    payload = {"title": title, "machine": machine, "columns": list(headings), "rows": [list(r) for r in rows]}
    payload["notes"] = list(notes)
    payload["headlines"] = [asdict(h) for h in headlines]
    payload.update(extra or {})
    (REPORT_DIR / f"{concept}.json").write_text(json.dumps(payload, indent=2, default=str))
    print(markdown)
    return markdown
