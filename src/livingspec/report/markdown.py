"""Gherkin descriptions as Markdown, read from the feature file itself.

behave's parser drops the blank lines of a description, so its paragraphs and lists run together.
The feature file already holds Markdown (paragraphs, ``-`` lists with indented continuation lines,
numbered lists, the "As a / I want / So that" story); this module reads that text back from the
file and keeps its structure: paragraphs stay apart, list items stay whole, story lines stay lines.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

#: Lines that end a description: the next Gherkin element or a tag; under a scenario also a step,
#: a table or a doc string (a feature's or rule's text may well start a line with "When" or "And").
_ELEMENT = re.compile(
    r"\s*(?:(?:Background|Rule|Scenario Outline|Scenario Template|Scenario|Example|Examples|Scenarios):|@)"
)
_STEP = re.compile(r"\s*(?:(?:Given|When|Then|And|But|\*)\s|\||\"\"\"|```)")
_COMMENT = re.compile(r"\s*#")
#: The user-story lines of a description: each stays on its own line.
_STORY = re.compile(r"\s*(?:As an?|I want|I need|So that|In order to)\b")
_BULLET = re.compile(r"\s*[-*+]\s")
_NUMBERED = re.compile(r"\s*\d+[.)]\s")


def source_description(path: str | Path, line: int, *, steps_follow: bool = False) -> list[str] | None:
    """The raw description under the element on ``line`` (1-based) of ``path``, blank lines kept.

    ``steps_follow`` for a scenario's or background's description, which its first step ends.

    None when the file cannot be read (a feature parsed from a string); the caller then falls back
    to behave's own description lines.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    out: list[str] = []
    for text in lines[line:]:
        if _ELEMENT.match(text) or (steps_follow and _STEP.match(text)):
            break
        if not _COMMENT.match(text):
            out.append(text.rstrip())
    return out


def to_markdown(lines: Iterable[str] | None) -> str:
    """A description's lines as Markdown with the structure they were written in."""
    text = textwrap.dedent("\n".join(lines or [])).strip("\n")
    out: list[str] = []
    previous = ""
    for line in text.splitlines():
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            previous = ""
            continue
        starts_list = bool(_BULLET.match(line) or re.match(r"\s*1[.)]\s", line))
        if starts_list and previous and not _is_item_or_continuation(previous, line):
            out.append("")  # a list right after a paragraph line: set it apart for every renderer
        if _STORY.match(line) and out and _STORY.match(out[-1].rstrip("\\")):
            out[-1] = out[-1] + "\\"  # a hard line break: the story keeps one line per clause
        out.append(line)
        previous = line
    return "\n".join(out).strip()


def _is_item_or_continuation(previous: str, line: str) -> bool:
    """True when ``previous`` is a list item, or a line indented under one (the list goes on)."""
    if _BULLET.match(previous) or _NUMBERED.match(previous):
        return True
    indent = len(previous) - len(previous.lstrip())
    return indent > len(line) - len(line.lstrip())


def paragraphs(markdown: str) -> list[str]:
    """The blocks of a Markdown text (paragraphs and list items), each on one line, for comparison."""
    blocks: list[str] = []
    current: list[str] = []
    in_list = False
    for line in [*markdown.splitlines(), ""]:
        item = bool(_BULLET.match(line) or (_NUMBERED.match(line) and (not current or in_list)))
        if item or not line.strip():
            if current:
                blocks.append(re.sub(r"\s+", " ", " ".join(part.strip().rstrip("\\") for part in current)).strip())
            current = []
            in_list = item or (in_list and bool(line.strip()))
        if line.strip():
            current.append(line)
    return blocks


def first_sentence(markdown: str, limit: int = 220) -> str:
    """The description's opening sentence (for a scenario's one-line pointer to its feature).

    A description that opens with a user story ("As a / I want / So that") opens with the whole
    story, one clause a line, as written.
    """
    lines = markdown.strip().splitlines()
    if lines and _STORY.match(lines[0]):
        story = [line.strip().rstrip("\\") for line in itertools.takewhile(_STORY.match, lines)]
        return "\\\n".join(story)
    first = paragraphs(markdown)[0] if markdown.strip() else ""
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z(])", first)
    sentence = first[: match.start()] if match else first
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def strip_markdown(markdown: str) -> str:
    """Markdown as plain words (for a search index): no emphasis, code marks, headings or table bars."""
    return re.sub(r"\s+", " ", re.sub(r"[`*#|>\\]+", " ", markdown)).strip()
