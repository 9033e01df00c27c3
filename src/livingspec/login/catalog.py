"""The step catalog: every step phrase of the specification with its one-line docstring.

This is the glossary ``behave --steps-catalog`` prints, kept as data so the living documentation
can attach it. The step module builds the entries from behave's registry; this module only
formats and checks them (concept code does not import behave).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogEntry:
    """One step definition: its keyword, pattern, docstring and the module defining it."""

    keyword: str  # Given, When, Then or Step
    pattern: str
    doc: str
    module: str

    @property
    def summary(self) -> str:
        """The docstring's first line (empty when there is none)."""
        lines = self.doc.strip().splitlines()
        return lines[0].strip() if lines else ""


def catalog_text(entries: Iterable[CatalogEntry]) -> str:
    """The catalog as behave prints it: the phrase, then its description indented."""
    blocks = []
    for entry in entries:
        blocks.append(f"{entry.keyword} {entry.pattern}\n    {entry.summary or '(no description)'}")
    return "\n\n".join(blocks) + "\n"


def undocumented(entries: Iterable[CatalogEntry]) -> list[CatalogEntry]:
    """Entries whose docstring is missing or longer than one line."""
    return [entry for entry in entries if not entry.summary or len(entry.doc.strip().splitlines()) > 1]
