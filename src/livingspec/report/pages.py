"""One entry page per concept, written into a results folder as a result of its own.

The page is where a newcomer starts: the concept's definition, its features in reading order (each
with how its scenarios fared), the glossary, the sources it cites as links, the seed's claims this
specification corrects, and then every feature's description, once, as the feature file has it.
Its steps are the features, so the page's status is theirs. It sits first in its concept, in a
group "Start here"; the specification's own feature gets a page of its own, after the eleven.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from behave.parser import parse_file

from livingspec.registry import BY_NAME, FRAME_NAME, FRAME_TITLE
from livingspec.report.glossary import GLOSSARY
from livingspec.report.markdown import first_sentence, paragraphs, source_description, to_markdown
from livingspec.report.reading import FOLDER_ORDER, feature_rank
from livingspec.report.results import Result, all_steps, label, read_results, write_result
from livingspec.report.sources import cited

START_HERE = "Start here"
PAGE_TAG = "concept-page"
#: The glossary of steps, the other page of "Start here" (``livingspec.report.steps_glossary``).
GLOSSARY_TAG = "steps-glossary"
#: The benchmarks page, with the specification's own pages (``livingspec.report.benchmarks``).
BENCHMARKS_TAG = "benchmarks-page"
#: The tags of the report's own pages, which are no scenarios.
PAGE_TAGS = (PAGE_TAG, GLOSSARY_TAG, BENCHMARKS_TAG)
_WORST = ("failed", "broken", "passed", "skipped", "unknown")


@dataclass(frozen=True)
class FeatureText:
    """A feature file as the page shows it."""

    path: Path
    name: str
    line: int
    markdown: str


def concept_title(folder: str) -> str:
    """The epic title of a concept folder (the frame's for the specification's own feature)."""
    return FRAME_TITLE if folder == FRAME_NAME else BY_NAME[folder].title if folder in BY_NAME else folder


def read_features(features: Path, folder: str) -> list[FeatureText]:
    """A concept's features in reading order, each with its description as Markdown."""
    out = []
    for path in sorted((features / folder).glob("*.feature"), key=feature_rank):
        feature = parse_file(str(path))
        if feature is None:
            continue
        raw = source_description(path, feature.line) or list(feature.description)
        out.append(FeatureText(path, feature.name, feature.line, to_markdown(raw)))
    return out


def write_pages(results: Path, features: Path, root: Path) -> list[Path]:
    """Write one page per concept that has results in ``results``; returns the files written."""
    by_epic: dict[str, list[Result]] = {}
    for _, result in read_results(results):
        if not set(PAGE_TAGS) & {item["value"] for item in result.get("labels", []) if item["name"] == "tag"}:
            by_epic.setdefault(label(result, "epic") or "", []).append(result)
    written = []
    for folder in FOLDER_ORDER:
        scenarios = by_epic.get(concept_title(folder))
        if not scenarios:
            continue
        page = concept_page(folder, read_features(features, folder), scenarios, results, root)
        path = results / f"{page['uuid']}-result.json"
        write_result(path, page)
        written.append(path)
    return written


def concept_page(
    folder: str, features: list[FeatureText], scenarios: list[Result], results: Path, root: Path
) -> Result:
    """The page of one concept as an Allure result (Markdown description, one step per feature)."""
    title = concept_title(folder)
    target = label(scenarios[0], "target") or "embedded"
    steps, lines = [], []
    start = min((r.get("start") or 0 for r in scenarios), default=0) - 2  # before the glossary of steps
    for number, feature in enumerate(features, start=1):
        own = [r for r in scenarios if label(r, "feature") == feature.name]
        counts = Counter(r.get("status", "unknown") for r in own)
        tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda kv: _WORST.index(kv[0])))
        relative = _relative(feature.path, root)
        lines.append(f"{number}. **{feature.name}** ({len(own)} scenarios: {tally or 'not run'}) · `{relative}`")
        steps.append(
            {
                "name": f"Feature {number}: {feature.name} ({len(own)} scenarios: {tally or 'not run'})",
                "status": _worst(counts) if own else "skipped",
                "start": start,
                "stop": start,
            }
        )
    text = "\n\n".join(f.markdown for f in features)
    sources = cited(text)
    body = [
        f"**What it is.** {first_sentence(features[0].markdown, limit=600) if features else title}",
        "## Read in this order",
        "\n".join(lines),
        f"Every phrase a scenario may use, with its meaning and accepted values: the next page, "
        f"*{title}: glossary of steps*.",
        _glossary(folder),
        "## Sources" if sources else "",
        "\n".join(f"- [{s.name}]({s.url})" for s in sources),
        _corrections(scenarios, results),
    ]
    body += [f"## {n}. {f.name}\n\n{f.markdown}" for n, f in enumerate(features, start=1)]
    page_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"livingspec:{folder}:{target}"))
    return {
        "uuid": page_id,
        "historyId": hashlib.md5(f"concept-page:{folder}".encode()).hexdigest(),
        "testCaseId": hashlib.md5(f"concept-page:{folder}".encode()).hexdigest(),
        "fullName": f"{title}: the concept page",
        "name": f"{title}: definition, reading order, glossary, sources",
        "status": _worst(Counter(r.get("status", "unknown") for r in scenarios)),
        "stage": "finished",
        "description": "\n\n".join(part for part in body if part),
        "steps": steps,
        "start": start,
        "stop": start,
        "labels": [
            {"name": "epic", "value": title},
            {"name": "feature", "value": START_HERE},
            {"name": "target", "value": target},
            {"name": "tag", "value": PAGE_TAG},
            *({"name": "term", "value": term} for term, _ in GLOSSARY.get(folder, ())),
        ],
        "links": [{"type": "link", "name": s.name, "url": s.url} for s in sources],
    }


def _glossary(folder: str) -> str:
    terms = GLOSSARY.get(folder, ())
    if not terms:
        return ""
    rows = "\n".join(f"| **{term}** | {meaning} |" for term, meaning in terms)
    return f"## Glossary\n\n| term | meaning |\n| --- | --- |\n{rows}"


def _corrections(scenarios: list[Result], results: Path) -> str:
    """The seed's corrected claims: every ``seed-correction`` table of the concept's scenarios."""
    rows = []
    for result in scenarios:
        if label(result, "seed-correction") is None:
            continue
        for step in all_steps(result):
            for item in step.get("attachments") or []:
                if item.get("name", "").startswith("seed correction"):
                    for cells in _csv_rows(results / item["source"]):
                        rows.append([result["name"], *cells])
    if not rows:
        return ""
    # One item per correction (a four-column table does not fit the page's width).
    lines = ["## The seed, corrected", ""]
    for scenario, says, correct, why, *_ in rows:
        lines.append(f"- **{scenario}**\\\n  *The seed says:* {says}\\\n  *Correct:* {correct}\\\n  *Why:* {why}")
    return "\n".join(lines)


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    except OSError:
        return []
    return [row for row in rows[1:] if len(row) >= 3]


def _worst(counts: Counter[str]) -> str:
    for status in _WORST:
        if counts.get(status):
            return status
    return "unknown"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def expected_blocks(feature: FeatureText) -> list[str]:
    """The paragraphs and list items of a feature's description (what the page must show intact)."""
    return paragraphs(feature.markdown)
