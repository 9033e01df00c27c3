"""The report's benchmarks page: every figure `make bench` measured, read as documentation.

Built from reports/benchmarks/*.json (``benchmarks/_common.write_report``) when the report is
prepared, and only when that folder holds results (`make spec` never runs a benchmark). It sits
with the "About this specification" pages: what the benchmarks measure and how to run them, one
table of every headline (ours, peer, ratio, target, met), then a section per concept with its
headlines, its tables, its notes and its curves drawn in the page (``plots``). Sticky sessions'
curve of requests/s against concurrent connections is read from sticky.json's ``curve`` rows
when that file has no ``curves`` entry of its own. A file it cannot read is named on the page,
and the rest is shown.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from livingspec.registry import CONCEPTS, FRAME_TITLE
from livingspec.report.pages import BENCHMARKS_TAG
from livingspec.report.plots import BenchmarkDataError, check_curve, curve_svg, series_names
from livingspec.report.results import Result, read_results, write_result

BENCHMARKS_FEATURE = "Benchmarks"
PAGE_NAME = "Benchmarks: ours beside the peer, measured in the same run"
_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "livingspec:benchmarks-page"))
_IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
_FIT = "width:100%;max-width:820px;height:auto"
#: A cell of several words wraps between them (the frame keeps a cell on one line, for whole numbers), so a
#: table fits the page: (length above which it wraps, its narrowest width).
_WRAPS = ((40, "14em"), (14, "8em"))
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's JSON as the page shows it."""

    stem: str
    concept: str
    title: str
    machine: str
    written: float
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    headlines: list[dict[str, Any]] = field(default_factory=list)
    curves: list[dict[str, Any]] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    #: Further tables of the JSON (an entry ``{"columns": [...], "rows": [...]}``), by their key.
    tables: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


def concept_of(stem: str) -> str:
    """The concept a benchmark file belongs to: ``nfa_costs`` -> ``nfa`` (the stem itself if none)."""
    names = [c.name for c in CONCEPTS if stem == c.name or stem.startswith(c.name + "_")]
    return max(names, key=len) if names else stem


def read_benchmark(path: Path) -> Benchmark:
    """A benchmark's JSON; BenchmarkDataError names the file and what is wrong with it."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BenchmarkDataError(f"{path.name}: not readable as JSON ({error})") from None
    if not isinstance(payload, dict):
        raise BenchmarkDataError(f"{path.name}: not a JSON object")
    columns, rows = payload.get("columns", []), payload.get("rows", [])
    if not isinstance(columns, list) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BenchmarkDataError(f"{path.name}: 'columns' and 'rows' must be lists (rows of cells)")
    headlines, notes = payload.get("headlines") or [], payload.get("notes") or []
    if not isinstance(headlines, list) or not isinstance(notes, list):
        raise BenchmarkDataError(f"{path.name}: 'headlines' and 'notes' must be lists")
    for item in headlines:
        if not isinstance(item, dict) or not {"measure", "ours", "peer", "ratio"} <= set(item):
            raise BenchmarkDataError(f"{path.name}: a headline needs measure, ours, peer and ratio: {item!r}")
        try:
            [float(item[key]) for key in ("ratio", "target") if item.get(key) is not None]
        except (TypeError, ValueError):
            message = f"{path.name}: headline {item['measure']!r} has a ratio or target not a number"
            raise BenchmarkDataError(message) from None
    raw_curves = payload.get("curves")
    curves = raw_curves if raw_curves is not None else sticky_curves(payload)
    if not isinstance(curves, list):
        raise BenchmarkDataError(f"{path.name}: 'curves' must be a list of curves")
    return Benchmark(
        stem=path.stem,
        concept=concept_of(path.stem),
        title=str(payload.get("title") or path.stem),
        machine=str(payload.get("machine") or ""),
        written=path.stat().st_mtime,
        columns=[str(c) for c in columns],
        rows=rows,
        notes=[str(n) for n in notes],
        headlines=list(headlines),
        curves=[check_curve(c, path.name) for c in curves],
        tables={
            key: value
            for key, value in payload.items()
            if isinstance(value, dict)
            and isinstance(value.get("columns"), list)
            and isinstance(value.get("rows"), list)
            and all(isinstance(row, list) for row in value["rows"])
        },
    )


def _number(cell: Any) -> float:
    """A table cell as a number: ``"1,456"`` -> 1456.0."""
    return float(str(cell).replace(",", "").strip())


def sticky_curves(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The balancer's curves from a ``curve`` table: the first column is the concurrent connections,
    every ``... req/s`` column a line of the throughput plot and every ``... p50 ms`` one of the latency
    plot; a column starting "ours" is ours, the others peers."""
    table = payload.get("curve")
    if not isinstance(table, dict) or not table.get("rows"):
        return []
    columns = [str(c) for c in table.get("columns", [])]
    plots = (
        (" req/s", "Sticky sessions: throughput against concurrent connections", "requests/s through the balancer"),
        (" p50 ms", "Sticky sessions: median latency against concurrent connections", "p50 latency (ms)"),
    )
    curves = []
    for suffix, title, y_label in plots:
        series = [_sticky_series(table, columns, i, suffix) for i, c in enumerate(columns) if i and c.endswith(suffix)]
        if series:
            x_label = f"concurrent {columns[0]} (wrk clients)"
            curves.append({"title": title, "x": x_label, "y": y_label, "x_scale": "log", "series": series})
    return curves


def _sticky_series(table: dict[str, Any], columns: list[str], index: int, suffix: str) -> dict[str, Any]:
    try:
        points = [[_number(row[0]), _number(row[index])] for row in table["rows"]]
    except (IndexError, TypeError, ValueError):
        raise BenchmarkDataError(f"the curve column {columns[index]!r} holds a cell that is not a number") from None
    ours = columns[index].startswith("ours")
    name = "livingspec balancer" if ours else columns[index].removesuffix(suffix)
    return {"name": name, "peer": not ours, "points": points}


def read_folder(folder: Path) -> tuple[list[Benchmark], list[str]]:
    """Every benchmark of ``folder`` in the registry's concept order, and the files it could not read.

    Each picture a benchmark script wrote (``<stem>.png|svg`` or ``<stem>_*.png|svg``) goes to the file
    with the longest matching stem, and is shown only where that file has no curve drawn from its data.
    """
    found, errors = [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            found.append(read_benchmark(path))
        except BenchmarkDataError as error:
            errors.append(str(error))
    stems = sorted((b.stem for b in found), key=len, reverse=True)
    for picture in sorted(p for p in folder.glob("*") if p.suffix in _IMAGE_TYPES) if folder.is_dir() else []:
        owner = next((s for s in stems if picture.stem == s or picture.stem.startswith(s + "_")), None)
        for benchmark in found:
            if benchmark.stem == owner and not benchmark.curves:
                benchmark.images.append(picture)
    order = [c.name for c in CONCEPTS]
    found.sort(key=lambda b: (order.index(b.concept) if b.concept in order else len(order), b.concept, b.stem))
    return found, errors


def _met(item: dict[str, Any]) -> str:
    target = item.get("target")
    if target is None:
        return "-"
    return "yes" if float(item["ratio"]) >= float(target) else "BELOW"


def _title(concept: str) -> str:
    return next((c.title for c in CONCEPTS if c.name == concept), concept)


def _peer(concept: str) -> str:
    return next((c.peer for c in CONCEPTS if c.name == concept), "")


def _inline(text: str) -> str:
    """Escaped text with Markdown's `code` spans kept as code."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(text, quote=False))


def _cell(tag: str, value: Any) -> str:
    text = str(value)
    width = next((w for length, w in _WRAPS if len(text) > length and " " in text), None)
    wrap = f' style="white-space:normal;min-width:{width}"' if width else ""
    return f"<{tag}{wrap}>{_inline(text)}</{tag}>"


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(_cell("th", c) for c in columns)
    body = "".join("<tr>" + "".join(_cell("td", cell) for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _markdown_table(lines: list[str]) -> str:
    """A Markdown table (``| a | b |`` lines, the second a separator) as HTML."""
    cells = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]] for line in lines]
    body = [row for row in cells[1:] if not all(set(c) <= set("-: ") for c in row)]
    return _table(cells[0], body)


def _note(note: str) -> str:
    """A note as HTML: its text, and any Markdown table in it as a table."""
    parts, table = [], []
    for line in [*note.splitlines(), ""]:
        if line.strip().startswith("|"):
            table.append(line)
            continue
        if table:
            parts.append(_markdown_table(table))
            table = []
        if line.strip():
            parts.append(_inline(line.strip()))
    return "<li>" + " ".join(parts) + "</li>"


HEADLINE_COLUMNS = ["measure", "ours", "peer", "ratio", "target", "met"]


def _headline_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for item in items:
        target = item.get("target")
        rows.append(
            [
                item["measure"],
                item["ours"],
                item["peer"],
                f"{float(item['ratio']):.3g}",
                "-" if target is None else f"{float(target):.3g}",
                _met(item),
            ]
        )
    return rows


def _picture(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}" style="max-width:100%"></figure>'
    )


def _image_file(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(path.name)}" src="data:{_IMAGE_TYPES[path.suffix]};base64,{data}" '
        f'style="{_FIT}"><figcaption>{html.escape(path.name)}, as the script drew it</figcaption></figure>'
    )


def _section(concept: str, benchmarks: list[Benchmark]) -> list[str]:
    """One concept's part of the page: headlines, then each file's table, notes and curves."""
    headlines = [item for b in benchmarks for item in b.headlines]
    peer = _peer(concept)
    script = f"benchmarks/{concept}.py"
    out = [f"<h2>{html.escape(_title(concept))}</h2>"]
    out.append(
        f"<p>Peer: {_inline(peer) if peer else 'see the tables'}. Script: <code>{script}</code>; "
        f"files: {', '.join(f'<code>reports/benchmarks/{b.stem}.json</code>' for b in benchmarks)}.</p>"
    )
    if headlines:
        out.append("<h3>Headlines</h3>" + _table(HEADLINE_COLUMNS, _headline_rows(headlines)))
    for benchmark in benchmarks:
        out.append(f"<h3>{_inline(benchmark.title)}</h3>")
        out.append(_table(benchmark.columns, benchmark.rows))
        for key, table in benchmark.tables.items():
            out.append(f"<h4>{_inline(key)}</h4>" + _table([str(c) for c in table["columns"]], table["rows"]))
        if benchmark.notes:
            out.append("<ul>" + "".join(_note(n) for n in benchmark.notes) + "</ul>")
        out += [_picture(curve_svg(c), str(c["title"])) for c in benchmark.curves]
        out += [_image_file(p) for p in benchmark.images]
        written = datetime.fromtimestamp(benchmark.written, UTC).strftime("%Y-%m-%d %H:%M UTC")
        out.append(
            f"<p><small>Measured {written} on {html.escape(benchmark.machine or 'an unnamed machine')}.</small></p>"
        )
    return out


INTRO = (
    "<p>Each benchmark measures one concept's implementation beside the peer a user would otherwise pick "
    "(HAProxy for the balancer, pyarrow for the delta codec, bare simpy for the Chubby simulator, Python's re "
    "and RE2 for the automata, pyjwt for ID tokens ...), in the same run on the same machine, so the figure "
    "that matters is the <b>ratio</b>: ours / peer, oriented so that above 1 is better for us. A target is the "
    "ratio an issue or the design asks for; <b>BELOW</b> marks a headline that misses it.</p>"
    "<p>Run them all with <code>make bench</code> (it ends with the table below, from that one run), or one "
    "script with <code>.venv/bin/python benchmarks/&lt;concept&gt;.py</code>; each writes "
    "<code>reports/benchmarks/&lt;name&gt;.json</code> and <code>.md</code>, and the next "
    "<code>make report</code> (or <code>make spec</code>, which never runs a benchmark) shows them here. "
    "The machine is shared and small: compare ratios within one run, not absolute figures across runs.</p>"
)


def page_html(benchmarks: list[Benchmark], errors: list[str]) -> str:
    """The page's HTML: introduction, every headline, a section per concept, unreadable files named."""
    out = [INTRO, "<h2>Every headline</h2>"]
    rows = [[_title(b.concept), *row] for b in benchmarks for row in _headline_rows(b.headlines)]
    out.append(_table(["concept", *HEADLINE_COLUMNS], rows) if rows else "<p>No benchmark gave headline figures.</p>")
    concepts = list(dict.fromkeys(b.concept for b in benchmarks))
    for concept in concepts:
        out += _section(concept, [b for b in benchmarks if b.concept == concept])
    if errors:
        out.append("<h2>Not shown</h2><ul>" + "".join(f"<li>{_inline(e)}</li>" for e in errors) + "</ul>")
    return "\n".join(out)


def page_text(benchmarks: list[Benchmark]) -> str:
    """Words the report's search finds the page by: titles, measures, peers, the curves' lines."""
    words = ["benchmark benchmarks make bench ratio peer"]
    for benchmark in benchmarks:
        words += [_title(benchmark.concept), _peer(benchmark.concept), benchmark.title]
        words += [str(item["measure"]) + " " + str(item["peer"]) for item in benchmark.headlines]
        words += series_names(benchmark.curves)
    return " ".join(dict.fromkeys(w for w in words if w))


def benchmarks_page(benchmarks: list[Benchmark], errors: list[str], *, target: str, start: int) -> Result:
    """The page as an Allure result of the "About this specification" epic (HTML description)."""
    key = "benchmarks-page"
    return {
        "uuid": _UUID,
        "historyId": hashlib.md5(key.encode()).hexdigest(),
        "testCaseId": hashlib.md5(key.encode()).hexdigest(),
        "fullName": f"{FRAME_TITLE}: the benchmarks",
        "name": PAGE_NAME,
        "status": "broken" if errors else "passed",
        "statusDetails": {"message": "; ".join(errors)} if errors else {},
        "stage": "finished",
        "description": page_text(benchmarks),
        "descriptionHtml": page_html(benchmarks, errors),
        "steps": [],
        "start": start,
        "stop": start,
        "labels": [
            {"name": "epic", "value": FRAME_TITLE},
            {"name": "feature", "value": BENCHMARKS_FEATURE},
            {"name": "target", "value": target},
            {"name": "tag", "value": BENCHMARKS_TAG},
        ],
        "links": [],
    }


def write_benchmarks_page(results: Path, folder: Path | None) -> Path | None:
    """Write the benchmarks page into ``results`` when ``folder`` holds benchmark results; else (or with
    no folder) remove a page an earlier build left there. Returns the file written, or None."""
    path = results / f"{_UUID}-result.json"
    benchmarks, errors = read_folder(folder) if folder is not None else ([], [])
    if not benchmarks and not errors:
        path.unlink(missing_ok=True)
        return None
    others = [r for p, r in read_results(results) if p != path]
    target = next((str(lab["value"]) for r in others for lab in r.get("labels", []) if lab["name"] == "target"), "")
    start = max((int(r.get("stop") or r.get("start") or 0) for r in others), default=0) + 1
    write_result(path, benchmarks_page(benchmarks, errors, target=target or "embedded", start=start))
    return path
