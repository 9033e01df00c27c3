"""The glossary of steps in the report: every phrase a scenario may use, one page per concept.

Built when the report is built, from the step modules themselves (``livingspec.runner.catalog``,
the same entries ``make catalog`` prints), so it cannot go stale: each phrase with its aliases,
its meaning, its parameters' units and accepted values, and a line from a feature that uses it.
The page sits in the concept's "Start here" group, after the concept page; the report's search
finds it by any phrase or meaning it lists (``offline.search_words``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path

from livingspec.report.pages import GLOSSARY_TAG, PAGE_TAGS, START_HERE, concept_title
from livingspec.report.reading import FOLDER_ORDER
from livingspec.report.results import Result, label, label_values, read_results, write_result
from livingspec.runner.catalog import Entry, render_markdown


def catalog_by_concept(steps: Path, features: Path) -> dict[str, list[Entry]]:
    """The step catalog of ``steps``, examples from ``features``, grouped by concept folder."""
    from livingspec.runner.catalog import entries

    grouped: dict[str, list[Entry]] = {}
    for entry in entries(steps, features):
        grouped.setdefault(entry.concept, []).append(entry)
    return grouped


def write_glossaries(results: Path, steps: Path, features: Path) -> list[Path]:
    """Write the glossary of steps of each concept that has scenarios in ``results``; the files written."""
    starts: dict[str, int] = {}
    targets: dict[str, str] = {}
    for _, result in read_results(results):
        epic = label(result, "epic") or ""
        if not set(label_values(result, "tag")) & set(PAGE_TAGS):
            starts[epic] = min(starts.get(epic, result.get("start") or 0), result.get("start") or 0)
            targets.setdefault(epic, label(result, "target") or "embedded")
    catalog = catalog_by_concept(steps, features)
    written = []
    for folder in FOLDER_ORDER:
        title = concept_title(folder)
        if title not in starts or not catalog.get(folder):
            continue
        page = glossary_page(folder, title, catalog[folder], target=targets[title], start=starts[title] - 1)
        path = results / f"{page['uuid']}-result.json"
        write_result(path, page)
        written.append(path)
    return written


def glossary_page(folder: str, title: str, items: Sequence[Entry], *, target: str, start: int) -> Result:
    """The glossary of steps of one concept as an Allure result (its description is the catalog).

    It passes when every step says what it means and a feature uses it; otherwise it is broken
    and names the steps that do not.
    """
    key = f"steps-glossary:{folder}"
    lacking = [e.phrases[0][1] for e in items if not e.example or e.meaning == "(no description)"]
    phrases = sum(len(entry.phrases) for entry in items)
    intro = (
        f"The {len(items)} steps ({phrases} phrases) a scenario of this concept may use, read from "
        f"`steps/{folder}_steps.py` when this report was built. A new scenario made of these phrases "
        "runs with no new code; `make catalog` prints the same list for every concept."
    )
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"livingspec:{key}:{target}")),
        "historyId": hashlib.md5(key.encode()).hexdigest(),
        "testCaseId": hashlib.md5(key.encode()).hexdigest(),
        "fullName": f"{title}: the glossary of steps",
        "name": f"{title}: glossary of steps ({len(items)} steps)",
        "status": "broken" if lacking else "passed",
        "statusDetails": {"message": "steps without a meaning or a feature using them: " + "; ".join(lacking)}
        if lacking
        else {},
        "stage": "finished",
        "description": intro + "\n\n" + _entries_only(render_markdown(items)),
        "steps": [],
        "start": start,
        "stop": start,
        "labels": [
            {"name": "epic", "value": title},
            {"name": "feature", "value": START_HERE},
            {"name": "target", "value": target},
            {"name": "tag", "value": GLOSSARY_TAG},
        ],
        "links": [],
    }


def _entries_only(markdown: str) -> str:
    """The catalog's Markdown without its title and concept heading (the page has its own)."""
    lines = markdown.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("- ")), len(lines))
    return "\n".join(lines[first:])
