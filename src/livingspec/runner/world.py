"""Each step module keeps its scenario state in one typed dataclass: its world.

``world(context, DeltaWorld)`` returns the scenario's DeltaWorld, creating it on first use, so a
step module reads and writes typed fields instead of loose attributes on the context. Both runners
start every scenario with a fresh context, so every scenario starts with fresh worlds.

``need(value, "the series", "Given the integer series 1, 2, 3")`` returns a value a step depends
on, or raises StepOrderError naming the Given that provides it, so a scenario that skips a setup
step fails with advice rather than an AttributeError. ``need_table(context, columns)`` returns the
step's data table, or raises TableError naming the columns the step reads (never a KeyError).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from livingspec.runner.types import ScenarioTextError

W = TypeVar("W")
T = TypeVar("T")

__all__ = ["StepOrderError", "TableError", "need", "need_table", "world"]


class StepOrderError(ScenarioTextError):
    """A step ran before the step that gives it what it needs (a clean failure under both runners)."""


class TableError(ScenarioTextError):
    """A step's data table is missing, lacks a column the step reads, or has one it does not know."""


def world(context: Any, kind: type[W]) -> W:
    """The scenario's instance of ``kind`` (a dataclass with defaults), created on first use."""
    worlds: dict[type[Any], Any] | None = getattr(context, "worlds", None)
    if worlds is None:
        worlds = {}
        context.worlds = worlds
    found = worlds.get(kind)
    if found is None:
        found = worlds[kind] = kind()
    return found  # type: ignore[no-any-return]


def need(value: T | None, what: str, given: str) -> T:
    """``value`` when a previous step set it; otherwise a StepOrderError that says which step sets it."""
    if value is None:
        raise StepOrderError(f"this step needs {what}, which no earlier step gave; start with a step such as: {given}")
    return value


def need_table(context: Any, columns: Sequence[str], optional: Sequence[str] = ()) -> Any:
    """The step's data table, whose headings include every one of ``columns`` and nothing else but ``optional``.

    Otherwise a TableError that lists the columns the step reads, so a misspelt or missing heading
    fails with the headings to write instead of a KeyError.
    """
    known = [*columns, *optional]
    table = getattr(context, "table", None)
    if table is None:
        raise TableError(f"this step needs a table below it with the columns: {' | '.join(known)}")
    headings = [str(h) for h in table.headings]
    missing = [c for c in columns if c not in headings]
    unknown = [h for h in headings if h not in known]
    if missing or unknown:
        wrong = f"no column {missing[0]!r}" if missing else f"an unknown column {unknown[0]!r}"
        raise TableError(f"the table has {wrong}; this step reads the columns: {', '.join(known)}")
    return table
