"""Reading and writing an Allure results folder (the JSON files allure-behave writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def read_results(folder: Path) -> Iterator[tuple[Path, Result]]:
    """Every test result of a folder with its file, in file-name order."""
    for path in sorted(folder.glob("*-result.json")):
        yield path, json.loads(path.read_text(encoding="utf-8"))


def write_result(path: Path, result: Result) -> None:
    """Write a test result back (UTF-8, as allure-python does)."""
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def label(result: Result, name: str) -> str | None:
    """The first value of a label, or None."""
    return next((item["value"] for item in result.get("labels", []) if item["name"] == name), None)


def label_values(result: Result, name: str) -> list[str]:
    """Every value of a label."""
    return [item["value"] for item in result.get("labels", []) if item["name"] == name]


def all_steps(node: Result) -> Iterator[Result]:
    """The steps of a result or step, depth first."""
    for step in node.get("steps", []) or []:
        yield step
        yield from all_steps(step)
