"""Table-driven DFA matching with numpy: many lines at once, one vectorised step per column.

A DFA step is a table look-up, ``next = table[state, class]``, inherently sequential along one
text but independent across texts. So lay the lines out as a matrix of character classes (one
row per line, padded with a class that leaves the state unchanged) and step every line's state
together, column by column: ``len(longest line)`` numpy operations instead of one Python step
per character. This is grep's job: which lines does the pattern occur in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from livingspec.nfa.automaton import minimize, subset_construction
from livingspec.nfa.thompson import Regex

#: lines per block: bounds the padded matrix's memory (block x longest line x 2 bytes)
BLOCK_LINES = 16_384


class LineMatcher:
    """Which lines of a text contain a match of ``regex``: the minimal search DFA as a numpy table."""

    def __init__(self, regex: Regex, *, max_states: int = 20_000) -> None:
        self.regex = regex
        dfa = minimize(subset_construction(regex.search_nfa, max_states=max_states))
        self.dfa = dfa
        labels = regex.partition.labels
        column = {label: index for index, label in enumerate(labels)}
        dead = len(dfa.states)
        self.pad = len(labels)  # the padding class: every state stays where it is
        table = np.full((dead + 1, self.pad + 1), dead, dtype=np.int32)
        for (state, symbol), target in dfa.transitions.items():
            table[state, column[symbol]] = target
        table[:, self.pad] = np.arange(dead + 1, dtype=np.int32)
        self.width = self.pad + 1
        self.flat = table.ravel()
        self.accepting = np.zeros(dead + 1, dtype=bool)
        self.accepting[sorted(dfa.accepting)] = True
        self.start = dfa.start
        starts = np.array(regex.partition.starts, dtype=np.int64)
        class_of_interval = np.array(regex.partition.class_of_interval, dtype=np.int32)
        #: class of every code point of the Basic Multilingual Plane; others are looked up one by one
        bmp = np.arange(0x10000, dtype=np.int64)
        self.bmp_class = class_of_interval[np.searchsorted(starts, bmp, side="right") - 1].astype(np.int32)
        self._starts, self._class_of_interval = starts, class_of_interval

    def classes(self, codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Class numbers of an array of code points."""
        result: np.ndarray[Any, Any] = self.bmp_class[np.minimum(codes, 0xFFFF)]
        high = codes > 0xFFFF
        if high.any():
            result[high] = self._class_of_interval[np.searchsorted(self._starts, codes[high], side="right") - 1]
        return result

    def match_lines(self, text: str) -> np.ndarray[Any, Any]:
        """A boolean per line of ``text`` (split at '\\n', as str.split): does the pattern occur in it."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        newlines = np.flatnonzero(codes == 10)
        line_starts = np.concatenate(([0], newlines + 1))
        line_ends = np.concatenate((newlines, [len(codes)]))
        classes = self.classes(codes)
        verdicts = np.empty(len(line_starts), dtype=bool)
        for first in range(0, len(line_starts), BLOCK_LINES):
            starts = line_starts[first : first + BLOCK_LINES]
            lengths = line_ends[first : first + BLOCK_LINES] - starts
            verdicts[first : first + len(starts)] = self._block(classes, starts, lengths)
        return verdicts

    def _block(
        self, classes: np.ndarray[Any, Any], starts: np.ndarray[Any, Any], lengths: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        longest = int(lengths.max()) if len(lengths) else 0
        states = np.full(len(starts), self.start, dtype=np.int64)
        done = self.accepting[states].copy()
        # column-major matrix of classes: row j holds the j-th character of every line (or padding)
        offsets = np.arange(longest, dtype=np.int64)[:, None]
        index = starts[None, :] + offsets
        inside = offsets < lengths[None, :]
        matrix = np.where(inside, classes[np.minimum(index, len(classes) - 1)], self.pad)
        for row in matrix:
            states = self.flat[states * self.width + row]
            done |= self.accepting[states]
        return done

    def count(self, text: str) -> int:
        """How many lines contain a match."""
        return int(self.match_lines(text).sum())
