"""The headline ratios of every benchmark in one table: what `make bench` prints after the scripts.

Reads the ``headlines`` of each reports/benchmarks/*.json (``_common.write_report``): ours beside
the peer measured in the same run, the ratio (above 1 is better for us) and its target. A headline
below its target is marked BELOW; a file written before ``--since`` (an earlier run) is named as stale.

Run: .venv/bin/python benchmarks/_summary.py [--since EPOCH_SECONDS] [--folder DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPORT_DIR, markdown_table

HEADINGS = ["benchmark", "measure", "ours", "peer", "ratio", "target", "met"]


def verdict(ratio: float, target: float | None) -> str:
    """``yes`` or ``BELOW`` against a target, ``-`` without one."""
    if target is None:
        return "-"
    return "yes" if ratio >= target else "BELOW"


def summary_rows(folder: Path, since: float | None = None) -> tuple[list[list[str]], list[str]]:
    """The table's rows (one per headline, files in name order), and the benchmarks without any headline
    or written before ``since`` (each with the reason)."""
    rows: list[list[str]] = []
    missing: list[str] = []
    for path in sorted(folder.glob("*.json")):
        try:
            payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            missing.append(f"{path.stem}: unreadable ({error})")
            continue
        if not isinstance(payload, dict):
            continue
        stale = since is not None and path.stat().st_mtime < since
        headlines = payload.get("headlines") or []
        if stale:
            missing.append(f"{path.stem}: written by an earlier run, not this one")
        elif not headlines:
            missing.append(f"{path.stem}: no headline figures")
        for item in headlines if not stale else []:
            ratio, target = float(item["ratio"]), item.get("target")
            target = None if target is None else float(target)
            rows.append(
                [
                    path.stem,
                    str(item["measure"]),
                    str(item["ours"]),
                    str(item["peer"]),
                    f"{ratio:.3g}",
                    "-" if target is None else f"{target:.3g}",
                    verdict(ratio, target),
                ]
            )
    return rows, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folder", type=Path, default=REPORT_DIR, help="the benchmarks' reports folder")
    parser.add_argument("--since", type=float, default=None, help="leave out files older than this (epoch s)")
    args = parser.parse_args(argv)
    rows, missing = summary_rows(args.folder, args.since)
    print("== headline ratios (ours / peer, above 1 is better for us; same run each)")
    print(markdown_table(HEADINGS, rows) if rows else "(no headline figures found)")
    below = [row for row in rows if row[-1] == "BELOW"]
    print(f"\n{len(rows)} headlines, {len(below)} below target" + (": " if below else ""))
    for row in below:
        print(f"  BELOW  {row[0]}: {row[1]}: {row[4]} < {row[5]}")
    for line in missing:
        print(f"  (left out) {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
