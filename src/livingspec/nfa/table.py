"""Table-driven DFA matching with numpy: many lines at once, one vectorised step per column.

A DFA step is a table look-up, ``next = table[state, class]``: sequential along one text, but
independent across texts. So step every line's state together, column by column: the j-th
character of every line still running, in a few numpy operations. This is grep's job: which
lines does the pattern occur in.

Three things keep it fast, as in real engines:

- The automaton is the *minimal* DFA of ``.*(pattern).*``, so the state at the end of a line
  says whether the line contains a match (accept states are exactly "matched so far, or would
  match if the line ended here"); nothing is checked per character.
- A literal prefilter (RE2, grep and Hyperscan do the same): a string every match must contain
  (``timeout after `` in ``timeout after \\d+ ms``) is looked for with ``str.find`` first, and only
  the lines containing it are run through the DFA.
- Lines whose fate is sealed (the dead state, or an accept state that every symbol keeps) and
  lines already read to their end drop out of the working set as the columns advance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from livingspec.nfa.automaton import minimize, subset_construction
from livingspec.nfa.regex import Alternate, Assert, Chars, Concat, Empty, Node, Repeat
from livingspec.nfa.thompson import Regex

Array = np.ndarray[Any, Any]


def required_literals(node: Node) -> list[str]:
    """Strings every match of ``node`` contains, longest first (empty if none is known)."""
    return sorted({literal for literal in _literals(node)[1] if literal}, key=lambda text: (-len(text), text))


def required_literal(node: Node) -> str:
    """The longest string that every match of ``node`` contains ('' if none is known)."""
    return next(iter(required_literals(node)), "")


def _literals(node: Node) -> tuple[str | None, list[str]]:
    """(the exact text the node always matches, or None; strings every match contains)."""
    if isinstance(node, Empty | Assert):
        return "", []
    if isinstance(node, Chars):
        ranges = node.charset.ranges
        if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
            char = chr(ranges[0][0])
            return char, [char]
        return None, []
    if isinstance(node, Repeat):
        return _repeat_literals(node)
    if isinstance(node, Alternate):
        return _alternate_literals(node)
    return _concat_literals(node)


def _repeat_literals(node: Repeat) -> tuple[str | None, list[str]]:
    """A repetition: exact when its item is and the count is fixed; optional ones require nothing."""
    exact, inner = _literals(node.item)
    if node.low == 0:
        return ("" if node.high == 0 else None), []
    if exact is not None and node.high == node.low:
        return exact * node.low, [exact * node.low]
    return None, inner


def _alternate_literals(node: Alternate) -> tuple[str | None, list[str]]:
    """An alternation is exact only when every option is the same exact text."""
    results = [_literals(option) for option in node.options]
    exacts = {exact for exact, _ in results}
    if len(exacts) == 1 and None not in exacts:
        exact = exacts.pop()
        return exact, [exact] if exact else []
    return None, []


def _concat_literals(node: Concat) -> tuple[str | None, list[str]]:
    """A concatenation: glue runs of exact parts into longer literals."""
    required: list[str] = []
    run: str | None = ""
    all_exact = True
    for part in node.parts:
        exact, inner = _literals(part)
        if exact is not None:
            run = (run or "") + exact
            continue
        all_exact = False
        if run:
            required.append(run)
        run = ""
        required.extend(inner)
    if run:
        required.append(run)
    if all_exact:
        return "".join(_literals(part)[0] or "" for part in node.parts), required
    return None, required


class LineMatcher:
    """Which lines of a text contain a match of ``regex``: the minimal search DFA as a numpy table."""

    def __init__(self, regex: Regex, *, max_states: int = 20_000, prefilter: bool | None = None) -> None:
        """``prefilter``: None decides per text (the literal must be in under a quarter of the lines
        sampled), True always uses the literal when there is one, False never does."""
        self.regex = regex
        dfa = minimize(subset_construction(regex.search_nfa, max_states=max_states))
        self.dfa = dfa
        labels = regex.partition.labels
        column = {label: index for index, label in enumerate(labels)}
        dead = len(dfa.states)
        self.pad = len(labels)  # the padding class (end of line): every state stays where it is
        self.width = self.pad + 1
        table = np.full((dead + 1, self.width), dead, dtype=np.int32)
        for (state, symbol), target in dfa.transitions.items():
            table[state, column[symbol]] = target
        table[:, self.pad] = np.arange(dead + 1, dtype=np.int32)
        # Pre-multiplied: a state s is carried as s * width, so one step is flat[s * width + class].
        self.flat: Array = (table * self.width).ravel().astype(np.int32)
        self.accepting: Array = np.zeros(dead + 1, dtype=bool)
        self.accepting[sorted(dfa.accepting)] = True
        self.start = dfa.start
        # sealed: the dead state, and accept states that every class leads back to
        self.sealed: Array = np.zeros(dead + 1, dtype=bool)
        self.sealed[dead] = True
        for state in dfa.accepting:
            self.sealed[state] = bool((table[state, : self.pad] == state).all())
        starts = np.array(regex.partition.starts, dtype=np.int64)
        class_of_interval = np.array(regex.partition.class_of_interval, dtype=np.int32)
        bmp = np.arange(0x10000, dtype=np.int64)
        #: class of every code point of the Basic Multilingual Plane (newline: the padding class)
        self.bmp_class: Array = class_of_interval[np.searchsorted(starts, bmp, side="right") - 1]
        self.bmp_class[10] = self.pad
        dtype = np.uint8 if self.width <= 256 else np.int32
        self.ascii_class: Array = self.bmp_class[:128].astype(dtype)
        self._translate = (bytes(self.ascii_class.tolist()) + bytes(128)) if dtype is np.uint8 else None
        self._starts, self._class_of_interval = starts, class_of_interval
        #: strings every match contains; the prefilter looks for the rarest of them in a sample of the text
        self.literals = required_literals(regex.tree) if prefilter is not False else []
        self.literal = next(iter(self.literals), "")
        self.prefilter = prefilter

    def classes(self, text: str) -> Array:
        """The class number of every character of ``text`` (newlines: the padding class)."""
        if text.isascii():
            if self._translate is not None:  # bytes.translate maps each character to its class in one C pass
                return np.frombuffer(text.encode("ascii").translate(self._translate), dtype=np.uint8)
            return self.ascii_class[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]  # type: ignore[no-any-return]
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        result: Array = self.bmp_class[np.minimum(codes, 0xFFFF)]
        high = codes > 0xFFFF
        if high.any():
            result[high] = self._class_of_interval[np.searchsorted(self._starts, codes[high], side="right") - 1]
        return result

    def _choose_literal(self, text: str) -> str:
        """The literal for the prefilter ('' for none): the rarest in the first lines, if in under a quarter."""
        if not self.literals or self.prefilter is False:
            return ""
        if self.prefilter is True:
            return self.literal
        sample = text[:65_536].split("\n")
        hits, literal = min((sum(literal in line for line in sample), literal) for literal in self.literals[:8])
        return literal if hits * 4 < len(sample) else ""

    def match_lines(self, text: str) -> Array:
        """A boolean per line of ``text`` (split at '\\n', as str.split): does the pattern occur in it."""
        if any("\n" in literal for literal in self.literals):  # a line holds no newline, so none can match
            return np.zeros(text.count("\n") + 1, dtype=bool)
        literal = self._choose_literal(text)
        if literal:
            verdicts = np.zeros(text.count("\n") + 1, dtype=bool)
            numbers, lines = self._candidates(text, literal)
            if numbers:
                verdicts[numbers] = self._match_all("\n".join(lines))
            return verdicts
        return self._match_all(text)

    def _candidates(self, text: str, literal: str) -> tuple[list[int], list[str]]:
        """The lines holding ``literal``: their numbers and their text (found with str.find)."""
        find, count = text.find, text.count
        numbers: list[int] = []
        lines: list[str] = []
        line_number, previous = 0, 0
        position = find(literal)
        while position >= 0:
            start = text.rfind("\n", 0, position) + 1
            line_number += count("\n", previous, start)
            end = find("\n", position + len(literal))
            end = len(text) if end < 0 else end
            numbers.append(line_number)
            lines.append(text[start:end])
            previous = start
            position = find(literal, end + 1) if end < len(text) else -1
        return numbers, lines

    def _match_all(self, text: str) -> Array:
        """Run every line of ``text`` through the table."""
        classes = self.classes(text)
        newlines = np.flatnonzero(classes == self.pad)
        line_starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
        line_ends = np.concatenate((newlines, [len(classes)])).astype(np.int64)
        classes = np.concatenate((classes, np.array([self.pad], dtype=classes.dtype)))  # a cell past the end
        return self._run(classes, line_starts, line_ends)

    def _run(self, classes: Array, starts: Array, ends: Array) -> Array:
        """Step all lines column by column; lines drop out when read to the end or sealed."""
        width, flat = self.width, self.flat
        result = np.zeros(len(starts), dtype=bool)
        active = np.arange(len(starts))
        state = np.full(len(starts), self.start * width, dtype=np.int32)
        cursor = starts.copy()
        while len(active):
            # eight columns per round, then drop the lines that are finished
            for _ in range(8):
                state = flat[state + classes[np.minimum(cursor, ends)]]
                cursor += 1
            plain = state // width
            finished = (cursor >= ends) | self.sealed[plain]
            if finished.any():
                result[active[finished]] = self.accepting[plain[finished]]
                keep = ~finished
                active, state, cursor, ends = active[keep], state[keep], cursor[keep], ends[keep]
        return result

    def count(self, text: str) -> int:
        """How many lines contain a match."""
        return int(self.match_lines(text).sum())
