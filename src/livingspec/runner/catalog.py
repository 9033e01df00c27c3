"""The step catalog: every phrase a scenario may use, grouped by concept, as documentation.

``make catalog`` (``python -m livingspec.runner.catalog``) prints it; ``--markdown FILE`` writes it
as Markdown for the report. Each entry gives the phrase (and its aliases), its meaning (the step
function's docstring), each parameter with its kind, units and accepted values, and one line from
a feature file that uses it. Unlike ``behave --steps-catalog``, which lists one line per
decorator with no values, this groups aliases and shows the choices a parameter accepts.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livingspec.registry import CONCEPTS, FRAME_NAME, FRAME_TITLE

_FIELD = re.compile(r"\{(\w+)(?::([^}]*))?\}")
_BUILTIN_KINDS = {
    "": "text",
    "d": "a whole number, optional sign (3, -2)",
    "n": "a whole number (digits may be grouped)",
    "f": "a decimal number",
    "g": "a number",
    "w": "one word: letters, digits or _ (no spaces, no hyphens)",
    "S": "text without spaces",
    "x": "a hexadecimal number (ff, 0x1f)",
    "l": "letters only",
}


@dataclass
class Entry:
    """One step: its phrases (the first is the main one), meaning, parameters and an example."""

    concept: str
    phrases: list[tuple[str, str]]  # (keyword, pattern)
    meaning: str
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (name, what it accepts)
    example: str = ""
    location: str = ""


def _kind(type_name: str, types: dict[str, Callable[[str], Any]]) -> str:
    if type_name in _BUILTIN_KINDS:
        return _BUILTIN_KINDS[type_name]
    converter = types.get(type_name)
    if converter is None:
        return type_name
    options = getattr(converter, "options", None)
    if options is not None:
        return f"one {converter.noun}: {', '.join(options)}"  # type: ignore[attr-defined]
    doc = (converter.__doc__ or type_name).strip().splitlines()[0]
    return doc


def _concept_of(location: str) -> str:
    stem = Path(location.split(":", maxsplit=1)[0]).stem
    return stem.removesuffix("_steps")


def _examples(root: Path, registry: Any) -> dict[Any, tuple[str, str]]:
    """For each step function, the first feature line that uses it: (``Keyword text``, ``file:line``)."""
    from behave.parser import parse_file

    found: dict[Any, tuple[str, str]] = {}
    for path in sorted(root.rglob("*.feature")):
        feature = parse_file(str(path))
        if feature is None:
            continue
        steps = list(feature.background.steps) if feature.background else []
        for rule in feature.rules:
            steps += list(rule.background.steps) if rule.background else []
        for scenario in feature.walk_scenarios(with_outlines=True):
            steps += list(scenario.steps)
        for step in steps:
            match = registry.find_match(step)
            if match is not None and match.func not in found:
                found[match.func] = (f"{step.keyword} {step.name}", f"{path.as_posix()}:{step.line}")
    return found


def entries(steps_dir: Path, features_dir: Path) -> list[Entry]:
    """Every step of ``steps_dir``, aliases grouped, with an example from ``features_dir``."""
    from livingspec.runner.bridge import load_behave_steps
    from livingspec.runner.types import TYPES

    registry = load_behave_steps(steps_dir)
    examples = _examples(features_dir, registry)
    by_func: dict[Any, Entry] = {}
    for step_type, matchers in registry.steps.items():
        for matcher in matchers:
            keyword = {"step": "Given/When/Then"}.get(step_type, step_type.capitalize())
            entry = by_func.get(matcher.func)
            if entry is None:
                doc = (matcher.func.__doc__ or "").strip()
                entry = by_func[matcher.func] = Entry(
                    concept=_concept_of(matcher.location.filename),
                    phrases=[],
                    meaning=" ".join(doc.split()) or "(no description)",
                    location=f"{matcher.location.filename}:{matcher.location.line:05d}",
                )
                example = examples.get(matcher.func)
                if example:
                    entry.example = f"{example[0]}   ({example[1]})"
            entry.phrases.append((keyword, matcher.pattern))
            for name, type_name in _FIELD.findall(matcher.pattern):
                if name not in dict(entry.parameters):
                    entry.parameters.append((name, _kind(type_name or "", TYPES)))
    order = {c.name: i for i, c in enumerate(CONCEPTS)} | {FRAME_NAME: len(CONCEPTS)}
    return sorted(by_func.values(), key=lambda e: (order.get(e.concept, 99), e.location))


def _title(name: str) -> str:
    if name == FRAME_NAME:
        return FRAME_TITLE
    return next((c.title for c in CONCEPTS if c.name == name), name)


def _grouped(items: Sequence[Entry]) -> Iterator[tuple[str, list[Entry]]]:
    current: list[Entry] = []
    for entry in items:
        if current and entry.concept != current[0].concept:
            yield current[0].concept, current
            current = []
        current.append(entry)
    if current:
        yield current[0].concept, current


def render_text(items: Sequence[Entry]) -> str:
    """The catalog as plain text for the terminal."""
    lines: list[str] = []
    for concept, group in _grouped(items):
        lines += ["", f"== {_title(concept)} ({concept}): {len(group)} steps", ""]
        for entry in group:
            for keyword, pattern in entry.phrases:
                lines.append(f"{keyword} {pattern}")
            lines.append(f"    {entry.meaning}")
            for name, kind in entry.parameters:
                lines.append(f"    {{{name}}}: {kind}")
            if entry.example:
                lines.append(f"    e.g. {entry.example}")
            lines.append("")
    return "\n".join(lines).lstrip("\n")


def render_markdown(items: Sequence[Entry]) -> str:
    """The catalog as Markdown: one section per concept, one entry per step (the report's glossary of steps)."""
    lines = ["# Glossary of steps", "", "Every phrase a scenario may use, grouped by concept."]
    for concept, group in _grouped(items):
        lines += ["", f"## {_title(concept)}", ""]
        for entry in group:
            phrases = " / ".join(f"**{keyword}** `{pattern}`" for keyword, pattern in entry.phrases)
            lines.append(f"- {phrases}: {entry.meaning}")
            for name, kind in entry.parameters:
                lines.append(f"  - `{{{name}}}`: {kind}")
            if entry.example:
                lines.append(f"  - example: `{entry.example}`")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the catalog; ``--markdown FILE`` writes the Markdown form; ``--concept NAME`` keeps one concept."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m livingspec.runner.catalog", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="steps", help="the step modules' folder (default: steps)")
    parser.add_argument("--features", default="features", help="where examples are looked up (default: features)")
    parser.add_argument("--concept", help="only this concept's steps")
    parser.add_argument("--markdown", metavar="FILE", help="write the catalog as Markdown to FILE")
    args = parser.parse_args(argv)
    items = entries(Path(args.steps), Path(args.features))
    if args.concept:
        items = [e for e in items if e.concept == args.concept]
        if not items:
            parser.error(f"no steps for concept {args.concept!r}")
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(items), encoding="utf-8")
    else:
        sys.stdout.write(render_text(items) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
