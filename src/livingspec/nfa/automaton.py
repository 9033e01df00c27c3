"""Finite automata as 5-tuples (Q, Sigma, delta, q0, F): the NFA with epsilon moves and the DFA.

An NFA may have several transitions on one symbol and epsilon moves that read nothing, so it is
in a *set* of states at once; it accepts when any path ends in an accept state. Simulating it
over the set of current states (Thompson 1968; Cox, "Regular Expression Matching Can Be Simple
And Fast", 2007) costs O(|Q|) per input symbol whatever the automaton's shape.

Besides epsilon moves an NFA may carry *anchor* moves (``^`` and ``$`` of a regular
expression): epsilon moves that may only be taken at the start or at the end of the input.
Hand-built automata have none; Thompson's construction adds them for anchors.

Invariants kept by every NFA and DFA object: each transition names states of Q and a symbol of
Sigma (or epsilon), q0 is in Q, F is a subset of Q. Objects are immutable once built.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from livingspec.nfa.errors import (
    AcceptStateError,
    NondeterministicDFAError,
    PatternTooLargeError,
    StartStateError,
    UndeclaredStateError,
    UnknownSymbolError,
)

#: A state: any hashable value (names for hand-built automata, integers for constructed ones).
State = Hashable
#: An input symbol: a character for hand-built automata, a character-class label for compiled ones.
Symbol = str
#: The epsilon "symbol" in a transition key: a move that reads no input.
EPSILON: None = None
#: A tag carried by a state in a tagged closure (find: the start of the path that reached it).
T = TypeVar("T")


@dataclass
class Work:
    """Work an algorithm did, counted so that tests check its complexity without timing it.

    ``visits``: states entered or examined by closures and moves; ``steps``: input symbols read.
    """

    visits: int = 0
    steps: int = 0


class Anchor(enum.Enum):
    """A zero-width move allowed only at one end of the input."""

    BEGIN = "^"
    END = "$"


def _sort_key(value: object) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def sorted_states(states: Iterable[State]) -> list[State]:
    """States in a stable, readable order (numbers by value, names alphabetically)."""
    items = list(states)
    numbers = [item for item in items if isinstance(item, int)]
    if len(numbers) == len(items):
        return list(sorted(numbers))
    return sorted(items, key=_sort_key)


def _validate(
    states: frozenset[State],
    alphabet: frozenset[Symbol],
    keys: Iterable[tuple[State, Symbol | None]],
    targets: Iterable[tuple[tuple[State, object], Iterable[State]]],
    start: State,
    accepting: frozenset[State],
) -> None:
    """Raise the specific error for the first kind of defect found (each names every offender)."""
    bad_states: set[State] = set()
    bad_transitions: list[tuple[State, object]] = []
    for key, target_set in targets:
        missing = {key[0], *target_set} - states
        if missing:
            bad_states |= missing
            bad_transitions.append(key)
    if bad_states:
        raise UndeclaredStateError(bad_states, bad_transitions)
    bad_symbols = [key for key in keys if key[1] is not EPSILON and key[1] not in alphabet]
    if bad_symbols:
        raise UnknownSymbolError({key[1] for key in bad_symbols}, bad_symbols)
    if start not in states:
        raise StartStateError(start)
    if not accepting <= states:
        raise AcceptStateError(accepting - states)


class NFA:
    """A nondeterministic finite automaton with epsilon moves, validated on construction.

    ``transitions`` maps ``(state, symbol)`` to a set of states; the symbol ``EPSILON`` (None)
    marks a move that reads nothing. ``anchors`` maps ``(state, Anchor)`` to states reachable
    by a zero-width move allowed only at the start (``^``) or end (``$``) of the input.
    """

    def __init__(
        self,
        states: Iterable[State],
        alphabet: Iterable[Symbol],
        transitions: Mapping[tuple[State, Symbol | None], Iterable[State]],
        start_state: State,
        accept_states: Iterable[State],
        anchors: Mapping[tuple[State, Anchor], Iterable[State]] | None = None,
    ) -> None:
        self.states: frozenset[State] = frozenset(states)
        self.alphabet: frozenset[Symbol] = frozenset(alphabet)
        self.transitions: dict[tuple[State, Symbol | None], frozenset[State]] = {
            key: frozenset(targets) for key, targets in transitions.items()
        }
        self.anchors: dict[tuple[State, Anchor], frozenset[State]] = {
            key: frozenset(targets) for key, targets in (anchors or {}).items()
        }
        self.start: State = start_state
        self.accepting: frozenset[State] = frozenset(accept_states)
        _validate(
            self.states,
            self.alphabet,
            self.transitions,
            [*self.transitions.items(), *self.anchors.items()],
            self.start,
            self.accepting,
        )
        # Adjacency, for simulation: epsilon successors, symbol successors, anchor successors.
        self._epsilon: dict[State, set[State]] = {}
        self._moves: dict[State, dict[Symbol, frozenset[State]]] = {}
        for (state, symbol), targets in self.transitions.items():
            if symbol is EPSILON:
                self._epsilon.setdefault(state, set()).update(targets)
            elif targets:
                self._moves.setdefault(state, {})[symbol] = targets
        self._anchor: dict[tuple[State, Anchor], frozenset[State]] = dict(self.anchors)

    def __repr__(self) -> str:
        return (
            f"NFA(|Q|={len(self.states)}, |Sigma|={len(self.alphabet)}, |delta|={len(self.transitions)}, "
            f"q0={self.start!r}, F={sorted_states(self.accepting)!r})"
        )

    # -- the simulation, stage by stage -------------------------------------------------------

    def epsilon_closure(
        self, states: Iterable[State], *, at_start: bool = False, at_end: bool = False
    ) -> frozenset[State]:
        """Every state reachable from ``states`` by epsilon moves (and anchor moves the position allows)."""
        closure = set(states)
        stack = list(closure)
        while stack:
            state = stack.pop()
            successors: set[State] = set(self._epsilon.get(state, ()))
            if at_start and (state, Anchor.BEGIN) in self._anchor:
                successors |= self._anchor[(state, Anchor.BEGIN)]
            if at_end and (state, Anchor.END) in self._anchor:
                successors |= self._anchor[(state, Anchor.END)]
            for successor in successors:
                if successor not in closure:
                    closure.add(successor)
                    stack.append(successor)
        return frozenset(closure)

    def tagged_closure(
        self,
        seeds: Iterable[tuple[State, T]],
        into: dict[State, T],
        *,
        at_start: bool = False,
        at_end: bool = False,
        work: Work | None = None,
    ) -> dict[State, T]:
        """Add to ``into`` the epsilon closure of the seeds, each new state tagged as the first seed reaching it.

        One visited set (``into`` itself) is shared by all seeds, so a state is entered at most once
        per call and a call costs O(|Q| + |delta|) however many seeds there are: a Pike VM's step,
        where seeds come in priority order and the first thread to reach a state owns it. ``into``
        must already be closed (every state it holds has its closure in it too).
        """
        epsilon = self._epsilon
        anchored = bool(self._anchor) and (at_start or at_end)
        before, examined = len(into), 0
        for seed, tag in seeds:
            if seed in into:
                continue
            into[seed] = tag
            stack = [seed]
            pop, push = stack.pop, stack.append
            while stack:
                state = pop()
                successors = epsilon.get(state)
                if anchored:
                    successors = {*(successors or ()), *self._anchored(state, at_start=at_start, at_end=at_end)}
                if not successors:
                    continue
                examined += len(successors)
                for successor in successors:
                    if successor not in into:
                        into[successor] = tag
                        push(successor)
        if work is not None:
            work.visits += len(into) - before + examined
        return into

    def _anchored(self, state: State, *, at_start: bool, at_end: bool) -> frozenset[State]:
        """The anchor moves of ``state`` that the position allows."""
        found: frozenset[State] = frozenset()
        if at_start:
            found |= self._anchor.get((state, Anchor.BEGIN), frozenset())
        if at_end:
            found |= self._anchor.get((state, Anchor.END), frozenset())
        return found

    def tagged_move(self, current: Mapping[State, T], symbol: Symbol, *, work: Work | None = None) -> dict[State, T]:
        """One transition on ``symbol`` from every state of ``current``, in its order; a target keeps the first tag."""
        moves = self._moves
        moved: dict[State, T] = {}
        examined = 0
        for state, tag in current.items():
            table = moves.get(state)
            if table is None:
                continue
            targets = table.get(symbol)
            if targets is None:
                continue
            examined += len(targets)
            for target in targets:
                if target not in moved:
                    moved[target] = tag
        if work is not None:
            work.visits += len(current) + examined
        return moved

    def move(self, states: Iterable[State], symbol: Symbol) -> frozenset[State]:
        """The states reached from ``states`` by one transition on ``symbol`` (no closure)."""
        reached: set[State] = set()
        for state in states:
            targets = self._moves.get(state)
            if targets and symbol in targets:
                reached |= targets[symbol]
        return frozenset(reached)

    def initial(self, *, empty_input: bool = False) -> frozenset[State]:
        """The current states before any input is read: the closure of q0 at the start."""
        return self.epsilon_closure([self.start], at_start=True, at_end=empty_input)

    def step(self, states: Iterable[State], symbol: Symbol, *, last: bool = False) -> frozenset[State]:
        """One symbol: move on it, then close over epsilon moves (and ``$`` moves when it was the last)."""
        return self.epsilon_closure(self.move(states, symbol), at_end=last)

    def is_accepting(self, states: Iterable[State]) -> bool:
        """Acceptance by any path: some current state is an accept state."""
        return not self.accepting.isdisjoint(states)

    def trace(self, word: Sequence[Symbol]) -> Trace:
        """Run over ``word`` keeping the set of current states after each symbol."""
        current = self.initial(empty_input=len(word) == 0)
        rows = [TraceRow(0, None, current)]
        for index, symbol in enumerate(word):
            current = self.step(current, symbol, last=index == len(word) - 1)
            rows.append(TraceRow(index + 1, symbol, current))
            if not current:
                rows.extend(TraceRow(later + 1, word[later], current) for later in range(index + 1, len(word)))
                break
        return Trace(tuple(rows), self.is_accepting(current))

    def accepts(self, word: Sequence[Symbol]) -> bool:
        """Whether some path over ``word`` from q0 ends in an accept state."""
        current = self.initial(empty_input=len(word) == 0)
        last = len(word) - 1
        for index, symbol in enumerate(word):
            current = self.step(current, symbol, last=index == last)
            if not current:
                return False
        return self.is_accepting(current)

    def paths(self, word: Sequence[Symbol], *, limit: int = 64) -> list[Path]:
        """The individual computations over ``word`` (at most ``limit``), for showing nondeterminism.

        A path follows one choice at every step: a symbol move, or an epsilon move to a state not
        yet visited since the last symbol. It is *complete* when it has read all of ``word`` (then
        it accepts if it stands in F) and *stuck* when it cannot read the next symbol.
        """
        found: list[Path] = []
        stack: list[tuple[int, tuple[State, ...], frozenset[State]]] = [(0, (self.start,), frozenset({self.start}))]
        while stack and len(found) < limit:
            position, visited, since_symbol = stack.pop()
            state = visited[-1]
            epsilon = [t for t in sorted_states(self._epsilon.get(state, ())) if t not in since_symbol]
            if position == len(word):
                found.append(Path(visited, True, state in self.accepting))
            else:
                targets = self._moves.get(state, {}).get(word[position], frozenset())
                if not targets and not epsilon:
                    found.append(Path(visited, False, False))
                for target in reversed(sorted_states(targets)):
                    stack.append((position + 1, (*visited, target), frozenset({target})))
            for target in reversed(epsilon):
                stack.append((position, (*visited, target), since_symbol | {target}))
        return found

    # -- structure ------------------------------------------------------------------------------

    def nondeterministic_choices(self) -> dict[tuple[State, Symbol], frozenset[State]]:
        """The (state, symbol) pairs with more than one target: where the automaton guesses."""
        return {key: targets for key, targets in self.transitions.items() if key[1] is not EPSILON and len(targets) > 1}  # type: ignore[misc]

    def epsilon_moves(self) -> list[tuple[State, State]]:
        """Every epsilon move as (from, to)."""
        return [(state, target) for state, targets in self._epsilon.items() for target in sorted_states(targets)]

    def reachable(self) -> frozenset[State]:
        """States reachable from q0 by any moves."""
        seen = {self.start}
        stack = [self.start]
        while stack:
            state = stack.pop()
            nexts: set[State] = set(self._epsilon.get(state, ()))
            for targets in self._moves.get(state, {}).values():
                nexts |= targets
            for anchor in Anchor:
                nexts |= self._anchor.get((state, anchor), frozenset())
            for target in nexts - seen:
                seen.add(target)
                stack.append(target)
        return frozenset(seen)

    def edges(self) -> list[tuple[State, str, State]]:
        """Every move as (from, label, to); epsilon is labelled 'ε', anchors '^' and '$'."""
        result: list[tuple[State, str, State]] = []
        for (state, symbol), targets in self.transitions.items():
            result.extend((state, "ε" if symbol is EPSILON else symbol, target) for target in targets)
        for (state, anchor), targets in self.anchors.items():
            result.extend((state, anchor.value, target) for target in targets)
        return result


@dataclass(frozen=True)
class TraceRow:
    """The set of current states after reading ``position`` symbols (the last one being ``symbol``)."""

    position: int
    symbol: Symbol | None
    states: frozenset[State]


@dataclass(frozen=True)
class Path:
    """One computation of an NFA: the states it passes through (epsilon moves included)."""

    states: tuple[State, ...]
    complete: bool  # read the whole input (False: stuck before the end)
    accepting: bool  # complete and ending in an accept state

    def text(self) -> str:
        """``p → q → r``."""
        return " → ".join(str(state) for state in self.states)


@dataclass(frozen=True)
class Trace:
    """A run of an NFA: the current states after each symbol, and the verdict."""

    rows: tuple[TraceRow, ...]
    accepted: bool

    def table(self) -> list[tuple[int, str, str, int]]:
        """Rows (position, symbol read, current states, how many) for the report."""
        return [
            (
                row.position,
                "(start)" if row.symbol is None else row.symbol,
                "{" + ", ".join(str(state) for state in sorted_states(row.states)) + "}",
                len(row.states),
            )
            for row in self.rows
        ]

    @property
    def widest(self) -> int:
        """The largest number of states the automaton was in at once."""
        return max(len(row.states) for row in self.rows)


class DFA:
    """A deterministic finite automaton, possibly partial: a missing transition rejects.

    ``meaning`` maps each DFA state to the set of NFA states it stands for (subset construction)
    or to the DFA states it merges (minimisation), for the report.
    """

    def __init__(
        self,
        states: Iterable[int],
        alphabet: Iterable[Symbol],
        transitions: Mapping[tuple[int, Symbol], int],
        start_state: int,
        accept_states: Iterable[int],
        meaning: Mapping[int, frozenset[State]] | None = None,
    ) -> None:
        self.states: frozenset[int] = frozenset(states)
        self.alphabet: frozenset[Symbol] = frozenset(alphabet)
        self.transitions: dict[tuple[int, Symbol], int] = dict(transitions)
        self.start: int = start_state
        self.accepting: frozenset[int] = frozenset(accept_states)
        self.meaning: dict[int, frozenset[State]] = dict(meaning or {})
        for key in self.transitions:
            if key[1] is EPSILON:  # type: ignore[comparison-overlap]
                raise NondeterministicDFAError(f"a DFA has no epsilon moves: {key!r}")
        _validate(
            frozenset(self.states),
            self.alphabet,
            self.transitions,
            [(key, (target,)) for key, target in self.transitions.items()],
            self.start,
            self.accepting,
        )

    def __repr__(self) -> str:
        return f"DFA(|Q|={len(self.states)}, |Sigma|={len(self.alphabet)}, q0={self.start}, |F|={len(self.accepting)})"

    def accepts(self, word: Sequence[Symbol]) -> bool:
        """Follow the one path over ``word``; accept if it exists and ends in F."""
        state = self.start
        transitions = self.transitions
        for symbol in word:
            next_state = transitions.get((state, symbol))
            if next_state is None:
                return False
            state = next_state
        return state in self.accepting

    def as_nfa(self) -> NFA:
        """The same automaton as an NFA (every target set has one state)."""
        return NFA(
            self.states,
            self.alphabet,
            {key: {target} for key, target in self.transitions.items()},
            self.start,
            self.accepting,
        )

    def edges(self) -> list[tuple[State, str, State]]:
        """Every transition as (from, symbol, to)."""
        return [(state, symbol, target) for (state, symbol), target in self.transitions.items()]


# -- the subset construction ---------------------------------------------------------------------

#: A state of the determinised automaton: the set of NFA states, and whether no input was read yet
#: (``^`` moves are allowed only then, so the same set at the start and later may differ).
SubsetKey = tuple[frozenset[State], bool]


class Subsets:
    """The subset construction's three operations on an NFA, shared by the DFA, the lazy DFA and equivalence."""

    def __init__(self, nfa: NFA) -> None:
        self.nfa = nfa

    def start(self) -> SubsetKey:
        """The start subset: the closure of q0 with ``^`` allowed (flagged only when the NFA has anchors)."""
        return (self.nfa.initial(), bool(self.nfa.anchors))

    def step(self, key: SubsetKey, symbol: Symbol) -> SubsetKey:
        """The subset after one more symbol (not known to be the last)."""
        return (self.nfa.step(key[0], symbol), False)

    def accepting(self, key: SubsetKey) -> bool:
        """Whether the input may end here: close with ``$`` allowed and look for an accept state."""
        states, at_start = key
        if not self.nfa.anchors:
            return self.nfa.is_accepting(states)
        return self.nfa.is_accepting(self.nfa.epsilon_closure(states, at_start=at_start, at_end=True))


def subset_construction(nfa: NFA, *, max_states: int = 20_000) -> DFA:
    """Rabin-Scott: a DFA whose states are the reachable sets of NFA states (the empty set left out)."""
    subsets = Subsets(nfa)
    alphabet = sorted(nfa.alphabet)
    start = subsets.start()
    numbers: dict[SubsetKey, int] = {start: 0}
    queue: deque[SubsetKey] = deque([start])
    transitions: dict[tuple[int, Symbol], int] = {}
    accepting: set[int] = set()
    while queue:
        key = queue.popleft()
        number = numbers[key]
        if subsets.accepting(key):
            accepting.add(number)
        for symbol in alphabet:
            target = subsets.step(key, symbol)
            if not target[0]:
                continue  # the dead state is left implicit: a missing transition rejects
            if target not in numbers:
                if len(numbers) >= max_states:
                    raise PatternTooLargeError(
                        f"subset construction exceeds {max_states} DFA states", what="DFA states", limit=max_states
                    )
                numbers[target] = len(numbers)
                queue.append(target)
            transitions[(number, symbol)] = numbers[target]
    if not start[0]:
        accepting.discard(0)
    meaning = {number: key[0] for key, number in numbers.items()}
    return DFA(numbers.values(), nfa.alphabet, transitions, 0, accepting, meaning)


# -- Hopcroft's minimisation ----------------------------------------------------------------------


def minimize(dfa: DFA) -> DFA:
    """Hopcroft (1971): the smallest DFA for the same language, partial (no dead state), numbered by BFS."""
    dead = -1
    states = [*sorted(dfa.states), dead]
    alphabet = sorted(dfa.alphabet)
    delta = {(state, symbol): dfa.transitions.get((state, symbol), dead) for state in states for symbol in alphabet}
    partition, block_of = _hopcroft_blocks(states, alphabet, delta, set(dfa.accepting))
    return _quotient(dfa, alphabet, delta, partition, block_of, dead)


def _hopcroft_blocks(
    states: list[int], alphabet: list[Symbol], delta: dict[tuple[int, Symbol], int], accepting: set[int]
) -> tuple[list[set[int]], dict[int, int]]:
    """Refine {F, Q - F} until no block is split by any (block, symbol): the blocks and each state's block."""
    # inverse[symbol][q] = predecessors of q on symbol
    inverse: dict[Symbol, dict[int, set[int]]] = {symbol: {} for symbol in alphabet}
    for (state, symbol), target in delta.items():
        inverse[symbol].setdefault(target, set()).add(state)
    rejecting = set(states) - accepting
    partition: list[set[int]] = [block for block in (accepting, rejecting) if block]
    block_of = {state: index for index, block in enumerate(partition) for state in block}
    work: set[int] = set(range(len(partition)))
    while work:
        splitter = set(partition[work.pop()])
        for symbol in alphabet:
            predecessors: set[int] = set()
            for state in splitter:
                predecessors |= inverse[symbol].get(state, set())
            _split_blocks(partition, block_of, work, predecessors)
    return partition, block_of


def _split_blocks(partition: list[set[int]], block_of: dict[int, int], work: set[int], predecessors: set[int]) -> None:
    """Split every block that ``predecessors`` cuts in two, and schedule the smaller half (Hopcroft's trick)."""
    touched: dict[int, set[int]] = {}
    for state in predecessors:
        touched.setdefault(block_of[state], set()).add(state)
    for index, inside in touched.items():
        members = partition[index]
        if len(inside) == len(members):
            continue
        outside = members - inside
        partition[index] = inside
        partition.append(outside)
        new_index = len(partition) - 1
        for state in outside:
            block_of[state] = new_index
        if index in work:
            work.add(new_index)
        else:
            work.add(index if len(inside) <= len(outside) else new_index)


def _quotient(
    dfa: DFA,
    alphabet: list[Symbol],
    delta: dict[tuple[int, Symbol], int],
    partition: list[set[int]],
    block_of: dict[int, int],
    dead: int,
) -> DFA:
    """The DFA over the blocks, numbered breadth-first from the start's block, the dead block left out."""
    dead_block = block_of[dead]
    start_block = block_of[dfa.start]
    numbers: dict[int, int] = {start_block: 0}
    queue: deque[int] = deque([start_block])
    transitions: dict[tuple[int, Symbol], int] = {}
    while queue:
        block = queue.popleft()
        representative = next(iter(partition[block]))
        for symbol in alphabet:
            target_block = block_of[delta[(representative, symbol)]]
            if target_block == dead_block:
                continue
            if target_block not in numbers:
                numbers[target_block] = len(numbers)
                queue.append(target_block)
            transitions[(numbers[block], symbol)] = numbers[target_block]
    accepting = dfa.accepting
    accept = {number for block, number in numbers.items() if partition[block] & accepting}
    meaning: dict[int, frozenset[State]] = {
        number: frozenset(partition[block] - {dead}) for block, number in numbers.items()
    }
    return DFA(numbers.values(), dfa.alphabet, transitions, 0, accept, meaning)


# -- equivalence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equivalence:
    """Whether two automata accept the same language; if not, a shortest word that tells them apart."""

    equivalent: bool
    counterexample: tuple[Symbol, ...] | None = None
    accepted_by: str | None = None  # "first" or "second": which automaton accepts the counterexample
    pairs_explored: int = 0


def equivalent(first: NFA | DFA, second: NFA | DFA, *, max_pairs: int = 200_000) -> Equivalence:
    """Breadth-first search over pairs of subsets of both automata, on the union of their alphabets.

    A symbol outside an automaton's alphabet has no move there, so it rejects; the first pair of
    subsets that disagree on acceptance gives a shortest distinguishing word.
    """
    left = Subsets(first.as_nfa() if isinstance(first, DFA) else first)
    right = Subsets(second.as_nfa() if isinstance(second, DFA) else second)
    alphabet = sorted(left.nfa.alphabet | right.nfa.alphabet)
    start = (left.start(), right.start())
    parents: dict[tuple[SubsetKey, SubsetKey], tuple[tuple[SubsetKey, SubsetKey], Symbol] | None] = {start: None}
    queue: deque[tuple[SubsetKey, SubsetKey]] = deque([start])
    while queue:
        pair = queue.popleft()
        a, b = left.accepting(pair[0]), right.accepting(pair[1])
        if a != b:
            word: list[Symbol] = []
            cursor = pair
            while (link := parents[cursor]) is not None:
                cursor, symbol = link
                word.append(symbol)
            return Equivalence(False, tuple(reversed(word)), "first" if a else "second", len(parents))
        for symbol in alphabet:
            nxt = (left.step(pair[0], symbol), right.step(pair[1], symbol))
            if not nxt[0][0] and not nxt[1][0]:
                continue
            if nxt not in parents:
                if len(parents) >= max_pairs:
                    raise PatternTooLargeError(
                        f"equivalence check exceeds {max_pairs} pairs of states",
                        what="pairs of states",
                        limit=max_pairs,
                    )
                parents[nxt] = (pair, symbol)
                queue.append(nxt)
    return Equivalence(True, None, None, len(parents))
