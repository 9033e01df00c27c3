"""Errors of the NFA concept: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from livingspec.errors import LivingSpecError


def _names(items: Iterable[object]) -> str:
    return ", ".join(sorted(repr(item) for item in items))


class NFAError(LivingSpecError, ValueError):
    """Root of every error of the nfa package."""


class InvalidAutomatonError(NFAError):
    """The 5-tuple (Q, Sigma, delta, q0, F) is not a valid automaton."""


class UndeclaredStateError(InvalidAutomatonError):
    """A transition leaves from or leads to a state that is not in Q."""

    def __init__(self, states: Iterable[Hashable], transitions: Iterable[tuple[Hashable, object]]) -> None:
        self.states = frozenset(states)
        self.transitions = tuple(transitions)
        shown = ", ".join(repr(key) for key in self.transitions[:4])
        more = f" and {len(self.transitions) - 4} more" if len(self.transitions) > 4 else ""
        super().__init__(f"transitions name state(s) {_names(self.states)} not in Q (in {shown}{more})")


class UnknownSymbolError(InvalidAutomatonError):
    """A transition reads a symbol that is not in the alphabet Sigma."""

    def __init__(self, symbols: Iterable[object], transitions: Iterable[tuple[Hashable, object]]) -> None:
        self.symbols = frozenset(symbols)
        self.transitions = tuple(transitions)
        shown = ", ".join(repr(key) for key in self.transitions[:4])
        super().__init__(f"transitions read symbol(s) {_names(self.symbols)} not in the alphabet (in {shown})")


class StartStateError(InvalidAutomatonError):
    """The start state q0 is not in Q."""

    def __init__(self, state: Hashable) -> None:
        self.state = state
        super().__init__(f"start state {state!r} is not in Q")


class AcceptStateError(InvalidAutomatonError):
    """Some accept states (F) are not in Q."""

    def __init__(self, states: Iterable[Hashable]) -> None:
        self.states = frozenset(states)
        super().__init__(f"accept state(s) {_names(self.states)} not in Q")


class NondeterministicDFAError(InvalidAutomatonError):
    """A DFA was given more than one target for a (state, symbol) pair, or an epsilon move."""


class RegexSyntaxError(NFAError):
    """A regular expression does not parse; ``position`` is the 0-based index of the offending character."""

    def __init__(self, message: str, pattern: str, position: int) -> None:
        self.reason, self.pattern, self.position = message, pattern, position
        caret = " " * position + "^"
        super().__init__(f"{message} at position {position}\n  {pattern}\n  {caret}")


#: What a PatternTooLargeError may say was too large: the pattern's characters, the NFA's states or
#: transitions, the class partition's work, the DFA's states, the pairs an equivalence check explores.
SIZE_BOUNDS = ("characters", "NFA states", "NFA transitions", "class partition visits", "DFA states", "pairs of states")


class PatternTooLargeError(NFAError):
    """An expression or its automaton exceeds a size bound: it needs ``size`` (None: unknown) ``what``, over ``limit``.

    ``what`` is one of SIZE_BOUNDS.
    """

    def __init__(self, message: str, *, what: str = "", size: int | None = None, limit: int | None = None) -> None:
        self.what, self.size, self.limit = what, size, limit
        super().__init__(message)
