"""Evidence for the living documentation: what a then-step shows a reader beside its verdict.

Concept code never imports allure; steps call these helpers. Under behave the attachment goes
to the scenario's step in the Allure report; under pytest it goes to allure-pytest's results
when that plugin is active; elsewhere it is dropped (allure's attach is a no-op then).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import allure


def attach_text(name: str, text: str) -> None:
    """Attach plain text (a trace, a formula worked out, a log excerpt)."""
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


#: How the report names a Chrome trace: a file to download and open in a trace viewer.
TRACE_NAME = "Chrome trace JSON: download it and open it in ui.perfetto.dev or chrome://tracing"


def attach_json(name: str, data: Any) -> None:
    """Attach data as indented JSON (numpy scalars and other objects are shown by str()).

    A Chrome trace (a mapping with ``traceEvents``) is no reading matter: it is attached as a
    download for a trace viewer, beside the timeline picture the step attaches.
    """
    if isinstance(data, Mapping) and "traceEvents" in data:
        attach_trace(data)
        return
    body = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    allure.attach(body, name=name, attachment_type=allure.attachment_type.JSON)


def attach_trace(trace: Mapping[str, Any]) -> None:
    """Attach a Chrome trace (JSON object format) as a download, not as a page of JSON."""
    body = json.dumps(trace, separators=(",", ":"), default=str, ensure_ascii=False)
    allure.attach(body, name=TRACE_NAME, attachment_type="application/octet-stream", extension="json")


def table_csv(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Render a table as CSV text (what the report shows as a table)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(headings))
    for row in rows:
        writer.writerow([str(cell) for cell in row])
    return out.getvalue()


def attach_table(name: str, headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Attach a table; Allure renders CSV attachments as a grid."""
    allure.attach(table_csv(headings, rows), name=name, attachment_type=allure.attachment_type.CSV)


def attach_records(name: str, records: Sequence[Mapping[str, Any]]) -> None:
    """Attach a list of dicts (same keys) as a table, columns in the first record's order."""
    if not records:
        attach_text(name, "(no rows)")
        return
    headings = list(records[0].keys())
    attach_table(name, headings, ([record.get(h, "") for h in headings] for record in records))


def attach_svg(name: str, svg: str) -> None:
    """Attach an SVG picture (state diagrams, timelines)."""
    allure.attach(svg, name=name, attachment_type=allure.attachment_type.SVG)


def attach_png(name: str, png: bytes) -> None:
    """Attach a PNG picture."""
    allure.attach(png, name=name, attachment_type=allure.attachment_type.PNG)


def attach_figure(name: str, figure: Any) -> None:
    """Attach a matplotlib figure as PNG and close it (plots of measurements)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    attach_png(name, buffer.getvalue())


def new_figure(width: float = 6.4, height: float = 3.6) -> Any:
    """A matplotlib figure on the non-interactive backend, for attach_figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height))


def seed_correction(seed_says: str, correct_figure: str, why: str) -> None:
    """Record that the seed's claim is corrected here: a ``seed-correction`` label and the verdict table.

    Call it from the step that measures the correct figure, once per corrected claim.
    """
    allure.dynamic.label("seed-correction", "corrected")  # type: ignore[no-untyped-call]
    attach_table(
        "seed correction: seed says / correct figure / why",
        ["seed says", "correct figure", "why"],
        [(seed_says, correct_figure, why)],
    )
