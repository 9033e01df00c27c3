"""Evidence as a reader wants it: no attachment twice, no DOT text beside its own picture, traces
as a download rather than a raw blob, every attachment named, and the glossary's terms as labels.

Runs over a results folder before Allure builds the report (``python -m livingspec.report prepare``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from livingspec.registry import CONCEPTS, FRAME_NAME, FRAME_TITLE
from livingspec.report.glossary import terms_in
from livingspec.report.results import Result, all_steps, label, read_results, write_result
from livingspec.runner.evidence import TRACE_NAME

#: Old allure-behave names for a step's own doc string and table.
_RENAMED = {".text": "the step's text", ".table": "the step's table", "": "evidence"}
FOLDER_OF_EPIC = {c.title: c.name for c in CONCEPTS} | {FRAME_TITLE: FRAME_NAME}


def tidy_folder(folder: Path) -> int:
    """Tidy every result of ``folder``; returns the number of attachments dropped."""
    dropped = 0
    for path, result in read_results(folder):
        dropped += tidy_result(folder, result)
        add_terms(result)
        write_result(path, result)
    return dropped


def tidy_result(folder: Path, result: Result) -> int:
    """Drop repeated attachments and DOT text beside an SVG; name and retype the rest.

    Repeated: the same content under the same name anywhere in the test, or the same content
    twice in one step (the same bytes under two names in different steps may mean two things).
    """
    seen: set[tuple[str, str]] = set()  # (name, content) across the test
    dropped = 0
    for node in [result, *all_steps(result)]:
        attachments = node.get("attachments") or []
        has_svg = any(item.get("type") == "image/svg+xml" for item in attachments)
        in_step: set[str] = set()  # content within one step, whatever its name
        kept = []
        for item in attachments:
            body = _body(folder, item)
            digest = hashlib.sha256(body).hexdigest()
            named = (str(item.get("name")), digest)
            if named in seen or digest in in_step or (has_svg and _is_dot(item, body)):
                dropped += 1
                continue
            seen.add(named)
            in_step.add(digest)
            item["name"] = _RENAMED.get(item.get("name") or "", item.get("name"))
            if item.get("type") == "application/json" and b'"traceEvents"' in body[:4096]:
                item["name"], item["type"] = TRACE_NAME, "application/octet-stream"
            kept.append(item)
        if attachments:
            node["attachments"] = kept
    return dropped


def _body(folder: Path, item: dict[str, Any]) -> bytes:
    try:
        return (folder / str(item["source"])).read_bytes()
    except (OSError, KeyError):
        return b""


def _is_dot(item: dict[str, Any], body: bytes) -> bool:
    """Graphviz DOT text (its picture is the SVG beside it)."""
    head = body[:200].lstrip().lower()
    return item.get("type", "").startswith("text/") and head.startswith((b"digraph", b"graph", b"strict "))


def add_terms(result: Result) -> None:
    """Label a scenario with the glossary terms of its concept that its text mentions (for search)."""
    folder = FOLDER_OF_EPIC.get(label(result, "epic") or "")
    if folder is None:
        return
    text = " ".join([result.get("name", ""), result.get("description") or ""] + [s["name"] for s in all_steps(result)])
    have = {item["value"] for item in result.get("labels", []) if item["name"] == "term"}
    for term in terms_in(text, folder):
        if term not in have:
            result.setdefault("labels", []).append({"name": "term", "value": term})
