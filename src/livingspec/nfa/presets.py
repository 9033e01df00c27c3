"""Automata described as a scenario writes them: a transition table, an alphabet, q0 and F.

A *description* is the 5-tuple in the words of a table: rows (from, on, to) where ``on`` is a
symbol, a range ``a-z``, several of them comma separated, or ``ε`` for an epsilon move, and ``to``
lists target states. The named automata below (the seed's email automaton, the classic examples of
the key properties) are presets of the same description, so a scenario may pick one by name or
write its own table; both build through ``Description.build``, which validates the 5-tuple.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from livingspec.nfa.automaton import EPSILON, NFA, State, Symbol
from livingspec.nfa.errors import InvalidAutomatonError
from livingspec.nfa.render import compress_symbols

#: One row of a transition table: from, on (symbols as written), to (target states).
Row = tuple[str, str, tuple[str, ...]]


class DescriptionError(InvalidAutomatonError):
    """A transition table cell that names no symbol: ``on`` must be one character, a range a-z, or ε."""


def parse_symbols(text: str) -> list[Symbol | None]:
    """``a-z`` -> the 26 letters; ``ε`` (or ``epsilon``) -> EPSILON; ``a-c, @`` -> both; an empty cell -> ','."""
    result: list[Symbol | None] = []
    for part in (piece.strip() for piece in text.split(",")):
        if part in ("ε", "epsilon"):
            result.append(EPSILON)
        elif len(part) == 3 and part[1] == "-" and ord(part[0]) <= ord(part[2]):
            result.extend(chr(code) for code in range(ord(part[0]), ord(part[2]) + 1))
        elif len(part) == 1:
            result.append(part)
        elif part == "":
            result.append(",")  # a lone comma cell
        else:
            raise DescriptionError(f"a symbol is one character, a range like a-z, or ε; got {part!r} in {text!r}")
    return result


def parse_states(text: str) -> tuple[str, ...]:
    """``p, q`` -> ('p', 'q')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Description:
    """An NFA as a table describes it; ``states`` None means Q is what the rows, q0 and F name."""

    alphabet: str
    start: str
    accepts: tuple[str, ...]
    rows: tuple[Row, ...]
    states: tuple[str, ...] | None = None

    @staticmethod
    def of(
        alphabet: str, start: str, accepts: str, rows: Iterable[Sequence[str]], states: str | None = None
    ) -> Description:
        """A description from the texts a scenario writes (rows as from, on, to)."""
        table = tuple((row[0].strip(), row[1].strip(), parse_states(row[2])) for row in rows)
        declared = parse_states(states) if states is not None else None
        return Description(alphabet, start.strip(), parse_states(accepts), table, declared)

    def transitions(self) -> dict[tuple[State, Symbol | None], set[State]]:
        """delta as the NFA takes it: (state, symbol or EPSILON) -> targets."""
        delta: dict[tuple[State, Symbol | None], set[State]] = {}
        for source, on, targets in self.rows:
            for symbol in parse_symbols(on):
                delta.setdefault((source, symbol), set()).update(targets)
        return delta

    def symbols(self) -> set[Symbol]:
        """Sigma: the alphabet's symbols (ε is not a symbol of Sigma)."""
        return {symbol for symbol in parse_symbols(self.alphabet) if symbol is not None}

    def named_states(self) -> set[State]:
        """Every state the rows, q0 and F name."""
        named: set[State] = {self.start, *self.accepts}
        for source, _, targets in self.rows:
            named |= {source, *targets}
        return named

    def build(self) -> NFA:
        """The validated NFA (raises the InvalidAutomatonError subclass for the first kind of defect)."""
        states = set(self.states) if self.states is not None else self.named_states()
        return NFA(states, self.symbols(), self.transitions(), self.start, set(self.accepts))


def triples(transitions: Mapping[tuple[State, Symbol | None], Iterable[State]]) -> set[tuple[str, str, str]]:
    """delta as (from, symbol, to) triples, one per target ('ε' for an epsilon move): tables compare this way."""
    return {
        (str(source), "ε" if symbol is None else symbol, str(target))
        for (source, symbol), targets in transitions.items()
        for target in targets
    }


def table_rows(found: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Triples as table rows (from, on, to), the symbols of one edge merged into ranges (a-z), sorted."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for source, symbol, target in found:
        grouped.setdefault((source, target), []).append(symbol)
    return sorted((source, compress_symbols(symbols), target) for (source, target), symbols in grouped.items())


_EMAIL_ROWS: tuple[Row, ...] = (
    ("start", "a-z", ("username",)),
    ("username", "a-z", ("username",)),
    ("username", "@", ("at",)),
    ("at", "a-z", ("domain",)),
    ("domain", "a-z", ("domain",)),
    ("domain", ".", ("dot",)),
    ("dot", "c", ("c",)),
    ("c", "o", ("o",)),
    ("o", "m", ("accept",)),
)
_EMAIL_STATES = ("start", "username", "at", "domain", "dot", "com", "accept")
_GUESS = (("p", "a", ("p", "q")), ("p", "b", ("p",)))

#: The named automata, each a description a scenario could also write as a table.
PRESETS: dict[str, Description] = {
    # The seed's automaton as written: it uses the states c and o without declaring them.
    "seed email": Description("a-z, @, .", "start", ("accept",), _EMAIL_ROWS, _EMAIL_STATES),
    "corrected email": Description("a-z, @, .", "start", ("accept",), _EMAIL_ROWS, (*_EMAIL_STATES, "c", "o")),
    # The symbol before the last is a: 3 states, 4 DFA states.
    "last but one is a": Description("a, b", "p", ("r",), (*_GUESS, ("q", "a, b", ("r",)))),
    # The third symbol from the end is a: 4 states, while every DFA needs 8.
    "third from the end is a": Description(
        "a, b", "p", ("s",), (*_GUESS, ("q", "a, b", ("r",)), ("r", "a, b", ("s",)))
    ),
    # Epsilon moves in a chain: s reaches x and y without reading.
    "epsilon chain": Description(
        "a, b", "s", ("f",), (("s", "ε", ("x",)), ("x", "ε", ("y",)), ("y", "a", ("f",)), ("s", "b", ("f",)))
    ),
    # An optional a: the epsilon move skips it.
    "optional a then b": Description("a, b", "s", ("f",), (("s", "a", ("m",)), ("s", "ε", ("m",)), ("m", "b", ("f",)))),
}
