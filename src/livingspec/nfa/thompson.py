"""Thompson's construction: a regular expression's syntax tree to an NFA with epsilon moves.

Ken Thompson, "Regular expression search algorithm", CACM 11(6), 1968; the pipeline (parse,
build, step, match) follows Russ Cox's "Regular Expression Matching Can Be Simple And Fast".

The alphabet of a compiled expression is not the characters themselves but *classes* of
characters that every set in the expression treats alike (RE2's byte classes, over code points):
for ``[a-z]+@[a-z]+\\.com`` the classes are ``c``, ``m``, ``o``, ``@``, ``.``, the other
lower-case letters in three ranges, and everything else. The NFA reads class labels; a text is
first mapped character by character to its classes. ``Regex.over_alphabet`` gives the NFA over
plain characters instead, to compare with hand-built automata.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cached_property

from livingspec.nfa.automaton import (
    DFA,
    NFA,
    Anchor,
    Equivalence,
    State,
    Symbol,
    Trace,
    Work,
    equivalent,
    minimize,
    subset_construction,
)
from livingspec.nfa.errors import PatternTooLargeError
from livingspec.nfa.lazy import LazyDFA
from livingspec.nfa.regex import (
    ANY,
    MAX_CODE_POINT,
    Alternate,
    Assert,
    Chars,
    CharSet,
    Concat,
    Empty,
    Node,
    Repeat,
    charsets,
    parse,
)
from livingspec.nfa.render import to_dot, to_svg

#: Bound on the NFA's states (a {m,n} repetition copies its operand; nested ones multiply).
MAX_NFA_STATES = 100_000
#: Bound on the NFA's transitions on symbols (a set becomes one transition per class inside it).
MAX_NFA_TRANSITIONS = 250_000
#: Bound on the elementary intervals the class partition may touch (sets overlapping each other heavily).
MAX_PARTITION_WORK = 1_000_000


def state_count(node: Node) -> int:
    """How many states Thompson's construction makes for ``node`` (computed from the tree, before building)."""
    if isinstance(node, Empty):
        return 1
    if isinstance(node, Chars | Assert):
        return 2
    if isinstance(node, Concat):
        return sum(state_count(part) for part in node.parts)
    if isinstance(node, Alternate):
        return 2 + sum(state_count(option) for option in node.options)
    item = state_count(node.item)
    if node.high is None:
        return 1 + node.low * item + 1 + item
    return 1 + node.high * item + 1


def transition_count(node: Node, partition: Partition) -> int:
    """How many transitions on symbols Thompson's construction makes for ``node`` (one per class in each set)."""
    if isinstance(node, Chars):
        return len(partition.labels_within(node.charset))
    if isinstance(node, Empty | Assert):
        return 0
    if isinstance(node, Concat):
        return sum(transition_count(part, partition) for part in node.parts)
    if isinstance(node, Alternate):
        return sum(transition_count(option, partition) for option in node.options)
    copies = node.low + 1 if node.high is None else node.high
    return copies * transition_count(node.item, partition)


def _check_transitions(tree: Node, partition: Partition) -> None:
    """Refuse an expression whose NFA would exceed MAX_NFA_TRANSITIONS, before building any of it."""
    needed = transition_count(tree, partition)
    if needed > MAX_NFA_TRANSITIONS:
        raise PatternTooLargeError(
            f"the expression needs {needed:,} NFA transitions; at most {MAX_NFA_TRANSITIONS:,} are allowed",
            what="NFA transitions",
            size=needed,
            limit=MAX_NFA_TRANSITIONS,
        )


def _check_size(tree: Node) -> None:
    """Refuse an expression whose NFA would exceed MAX_NFA_STATES, before building any of it."""
    needed = state_count(tree)
    if needed > MAX_NFA_STATES:
        raise PatternTooLargeError(
            f"the expression needs {needed:,} NFA states; at most {MAX_NFA_STATES:,} are allowed",
            what="NFA states",
            size=needed,
            limit=MAX_NFA_STATES,
        )


class Partition:
    """The coarsest split of all code points into classes that no character set of the expression separates.

    The sets' range ends cut the code points into *elementary intervals*, each wholly inside or
    outside every set. Classes are found by partition refinement (as in Hopcroft's algorithm):
    start with one class of every interval, and let each set split every class it cuts into the
    part inside and the part outside. A set and its complement split alike, so each set is applied
    through whichever of the two covers fewer intervals; a set costs the intervals it (or its
    complement) covers, not the number of classes, and ``touches`` counts them. So 4,000 single
    characters cost about 4,000 touches, where comparing every interval with every set costs 32 million.
    """

    def __init__(self, sets: Iterable[CharSet]) -> None:
        sets = list(dict.fromkeys(sets))
        cuts = {0}
        for charset in sets:
            for lo, hi in charset.ranges:
                cuts.add(lo)
                cuts.add(hi + 1)
        #: starts of the elementary intervals (each lies wholly inside or outside every set)
        self.starts: list[int] = sorted(cut for cut in cuts if cut <= MAX_CODE_POINT)
        self._index = {start: index for index, start in enumerate(self.starts)}
        #: elementary intervals visited while refining and looking classes up (the work done)
        self.touches = 0
        runs = [self._runs(charset, smaller=True) for charset in sets]
        planned = sum(last - first + 1 for set_runs in runs for first, last in set_runs)
        if planned > MAX_PARTITION_WORK:
            raise PatternTooLargeError(
                f"the expression's character sets overlap too much to split into classes: {planned:,} "
                f"interval visits, at most {MAX_PARTITION_WORK:,}",
                what="class partition visits",
                size=planned,
                limit=MAX_PARTITION_WORK,
            )
        refined = [0] * len(self.starts)
        sizes = [len(self.starts)]
        for set_runs in runs:
            self._split(refined, sizes, set_runs)
        # Number the classes by their first interval, so labels come in code-point order.
        number = {klass: index for index, klass in enumerate(dict.fromkeys(refined))}
        #: elementary interval -> class number
        self.class_of_interval: list[int] = [number[klass] for klass in refined]
        pieces: list[list[tuple[int, int]]] = [[] for _ in number]
        for index, klass in enumerate(self.class_of_interval):
            pieces[klass].append((self.starts[index], self._end(index)))
        #: the classes as character sets, and their labels (the NFA's symbols)
        self.classes: list[CharSet] = [CharSet.of(*ranges) for ranges in pieces]
        self.labels: list[Symbol] = [charset.label() for charset in self.classes]
        self._memo: dict[str, Symbol] = {}
        self._within: dict[CharSet, list[Symbol]] = {}

    def _end(self, index: int) -> int:
        """The last code point of elementary interval ``index``."""
        return self.starts[index + 1] - 1 if index + 1 < len(self.starts) else MAX_CODE_POINT

    def _runs(self, charset: CharSet, *, smaller: bool = False) -> list[tuple[int, int]]:
        """The elementary intervals ``charset`` covers, as runs (first, last) of interval numbers.

        ``smaller``: the runs of the complement instead when it covers fewer intervals.
        """
        count = len(self.starts)
        runs = [
            (self._first(lo), self._first(hi + 1) - 1 if hi < MAX_CODE_POINT else count - 1)
            for lo, hi in charset.ranges
        ]
        covered = sum(last - first + 1 for first, last in runs)
        if not smaller or 2 * covered <= count:
            return runs
        complement: list[tuple[int, int]] = []
        previous = 0
        for first, last in runs:
            if first > previous:
                complement.append((previous, first - 1))
            previous = last + 1
        if previous < count:
            complement.append((previous, count - 1))
        return complement

    def _first(self, code: int) -> int:
        """The number of the elementary interval holding ``code``."""
        index = self._index.get(code)
        return index if index is not None else bisect_right(self.starts, code) - 1

    def _split(self, refined: list[int], sizes: list[int], runs: list[tuple[int, int]]) -> None:
        """Split every class the runs cut: the intervals inside move to a new class."""
        inside: dict[int, list[int]] = {}
        for first, last in runs:
            self.touches += last - first + 1
            for index in range(first, last + 1):
                inside.setdefault(refined[index], []).append(index)
        for klass, members in inside.items():
            if len(members) == sizes[klass]:
                continue  # the set holds the whole class: nothing to split
            sizes[klass] -= len(members)
            sizes.append(len(members))
            for index in members:
                refined[index] = len(sizes) - 1

    def class_index(self, char: str) -> int:
        """The class number of a character."""
        return self.class_of_interval[bisect_right(self.starts, ord(char)) - 1]

    def classify(self, char: str) -> Symbol:
        """The class label (the NFA symbol) of a character."""
        label = self._memo.get(char)
        if label is None:
            label = self.labels[self.class_index(char)]
            if len(self._memo) < 65_536:
                self._memo[char] = label
        return label

    def symbols(self, text: str) -> list[Symbol]:
        """A text as the sequence of its characters' classes."""
        return [self.classify(char) for char in text]

    def merge_labels(self, labels: list[Symbol]) -> str:
        """The label of the union of some classes (``c, m, o, [abd-lnp-z]`` -> ``[a-z]``), for pictures."""
        wanted = set(labels)
        ranges = [
            r for label, klass in zip(self.labels, self.classes, strict=True) if label in wanted for r in klass.ranges
        ]
        known = len(wanted & set(self.labels))
        return CharSet.of(*ranges).label() if known == len(wanted) else ", ".join(sorted(wanted))

    def labels_within(self, charset: CharSet) -> list[Symbol]:
        """The labels of the classes inside ``charset`` (the partition refines it, so they cover it).

        Costs the intervals the set covers, not the number of classes.
        """
        known = self._within.get(charset)
        if known is not None:
            return known
        found: set[int] = set()
        for first, last in self._runs(charset):
            self.touches += last - first + 1
            found.update(self.class_of_interval[first : last + 1])
        labels = self._within[charset] = [self.labels[klass] for klass in sorted(found)]
        return labels


class _Builder:
    """Fragments (start, end) glued by epsilon moves; states are numbered in creation order."""

    def __init__(self, partition: Partition, max_states: int, max_transitions: int) -> None:
        self.partition = partition
        self.max_states, self.max_transitions = max_states, max_transitions
        self.transitions: dict[tuple[int, Symbol | None], set[int]] = {}
        self.anchors: dict[tuple[int, Anchor], set[int]] = {}
        self.count = 0
        self.symbol_edges = 0

    def new(self) -> int:
        if self.count >= self.max_states:
            raise PatternTooLargeError(
                f"the expression needs more than {self.max_states:,} NFA states",
                what="NFA states",
                limit=self.max_states,
            )
        self.count += 1
        return self.count - 1

    def chars(self, charset: CharSet) -> tuple[int, int]:
        """One transition per class inside the set, from a new state to another."""
        start, end = self.new(), self.new()
        labels = self.partition.labels_within(charset)
        self.symbol_edges += len(labels)
        if self.symbol_edges > self.max_transitions:
            raise PatternTooLargeError(
                f"the expression needs more than {self.max_transitions:,} NFA transitions",
                what="NFA transitions",
                limit=self.max_transitions,
            )
        for label in labels:
            self.edge(start, label, end)
        return start, end

    def edge(self, source: int, symbol: Symbol | None, target: int) -> None:
        self.transitions.setdefault((source, symbol), set()).add(target)

    def build(self, node: Node) -> tuple[int, int]:
        if isinstance(node, Empty):
            state = self.new()
            return state, state
        if isinstance(node, Chars):
            return self.chars(node.charset)
        if isinstance(node, Assert):
            start, end = self.new(), self.new()
            self.anchors.setdefault((start, node.anchor), set()).add(end)
            return start, end
        if isinstance(node, Concat):
            return self.sequence(node.parts)
        if isinstance(node, Alternate):
            start, end = self.new(), self.new()
            for option in node.options:
                first, last = self.build(option)
                self.edge(start, None, first)
                self.edge(last, None, end)
            return start, end
        return self.repeat(node)

    def sequence(self, parts: Sequence[Node]) -> tuple[int, int]:
        start, end = self.build(parts[0])
        for part in parts[1:]:
            first, last = self.build(part)
            self.edge(end, None, first)
            end = last
        return start, end

    def repeat(self, node: Repeat) -> tuple[int, int]:
        start = end = self.new()
        for _ in range(node.low):  # the required copies
            first, last = self.build(node.item)
            self.edge(end, None, first)
            end = last
        if node.high is None:  # then any number more: a loop
            loop = self.new()
            first, last = self.build(node.item)
            self.edge(end, None, loop)
            self.edge(loop, None, first)
            self.edge(last, None, loop)
            return start, loop
        exit_state = self.new()
        self.edge(end, None, exit_state)
        for _ in range(node.high - node.low):  # optional copies, each may be skipped to the exit
            first, last = self.build(node.item)
            self.edge(end, None, first)
            self.edge(last, None, exit_state)
            end = last
        return start, exit_state


def thompson(
    tree: Node,
    partition: Partition,
    *,
    max_states: int = MAX_NFA_STATES,
    max_transitions: int = MAX_NFA_TRANSITIONS,
) -> NFA:
    """Thompson's construction over the partition's class labels: one start, one accept state."""
    builder = _Builder(partition, max_states, max_transitions)
    start, end = builder.build(tree)
    # Renumber the states breadth-first from the start, so pictures and traces read left to right.
    successors: dict[int, list[int]] = {}
    for (state, _), targets in [*builder.transitions.items(), *builder.anchors.items()]:
        successors.setdefault(state, []).extend(sorted(targets))
    number: dict[int, int] = {start: 0}
    queue = [start]
    for state in queue:
        for target in successors.get(state, []):
            if target not in number:
                number[target] = len(number)
                queue.append(target)
    for state in range(builder.count):
        number.setdefault(state, len(number))
    transitions: dict[tuple[State, Symbol | None], set[State]] = {
        (number[s], symbol): {number[t] for t in ts} for (s, symbol), ts in builder.transitions.items()
    }
    anchors: dict[tuple[State, Anchor], set[State]] = {
        (number[s], anchor): {number[t] for t in ts} for (s, anchor), ts in builder.anchors.items()
    }
    return NFA(range(builder.count), partition.labels, transitions, 0, {number[end]}, anchors)


#: The states ``.*( ).*`` adds around an expression for search: a search NFA may exceed the bound by that much.
_SEARCH_STATES = 8


def _search_tree(tree: Node) -> Node:
    """``.*(tree).*`` with ``.`` any character at all: search as a full match."""
    anything = Repeat(Chars(ANY), 0, None)
    return Concat((anything, tree, anything))


def _longer(
    best: tuple[int, int] | None, current: dict[State, int], accepting: frozenset[State], position: int
) -> tuple[int, int] | None:
    """The better of ``best`` and a match ending at ``position``: the earlier start, then the longer."""
    reached = accepting & current.keys()
    if not reached:
        return best
    start = min(current[state] for state in reached)
    if best is None or start < best[0] or (start == best[0] and position > best[1]):
        return (start, position)
    return best


def _advance(nfa: NFA, current: dict[State, int], symbol: Symbol, *, last: bool, work: Work | None) -> dict[State, int]:
    """Move every state on ``symbol`` and close, each reached state keeping the earliest start.

    ``current`` is in order of start, earliest first; so is the result, since the moves and the
    closure take their seeds in that order.
    """
    moved = nfa.tagged_move(current, symbol, work=work)
    if work is not None:
        work.steps += 1
    return nfa.tagged_closure(moved.items(), {}, at_end=last, work=work)


class Regex:
    """A compiled expression: its tree, its class partition, its NFA, and matchers built from them.

    ``fullmatch`` and ``search`` run the lazy DFA; ``nfa_fullmatch``, ``dfa_fullmatch`` and
    ``minimal_dfa_fullmatch`` run the other automata, which must agree (the tests check it).
    """

    def __init__(self, pattern: str, *, extra_sets: Iterable[CharSet] = (), lazy_cache: int = 2_000) -> None:
        self.pattern = pattern
        self.tree: Node = parse(pattern)
        _check_size(self.tree)
        self.partition = Partition([*charsets(self.tree), *extra_sets])
        _check_transitions(self.tree, self.partition)
        self.nfa: NFA = thompson(self.tree, self.partition)
        self.lazy_cache = lazy_cache

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r}, {len(self.nfa.states)} NFA states, {len(self.partition.labels)} classes)"

    # -- automata built on demand ---------------------------------------------------------------

    @cached_property
    def search_nfa(self) -> NFA:
        """The NFA of ``.*(pattern).*``: its full matches are the texts the pattern occurs in."""
        extra = 2 * len(self.partition.labels)  # the two loops of .* read every class
        return thompson(
            _search_tree(self.tree),
            self.partition,
            max_states=MAX_NFA_STATES + _SEARCH_STATES,
            max_transitions=MAX_NFA_TRANSITIONS + extra,
        )

    @cached_property
    def dfa(self) -> DFA:
        """The subset construction of the NFA (over class labels)."""
        return subset_construction(self.nfa)

    @cached_property
    def minimal_dfa(self) -> DFA:
        """Hopcroft's minimisation of the DFA."""
        return minimize(self.dfa)

    @cached_property
    def lazy(self) -> LazyDFA:
        """The lazy DFA for full matches (states built while matching, bounded cache)."""
        return LazyDFA(self.nfa, self.partition.classify, max_states=self.lazy_cache)

    @cached_property
    def lazy_search(self) -> LazyDFA:
        """The lazy DFA for search, stopping at the first symbol after which a match is certain."""
        return LazyDFA(self.search_nfa, self.partition.classify, max_states=self.lazy_cache, stop_when_sure=True)

    # -- matching -------------------------------------------------------------------------------

    def fullmatch(self, text: str) -> bool:
        """Whether the whole text matches (lazy DFA)."""
        return self.lazy.accepts(text)

    def search(self, text: str) -> bool:
        """Whether the pattern matches somewhere in the text (lazy DFA over ``.*(pattern).*``)."""
        return self.lazy_search.accepts(text)

    def find(self, text: str, *, work: Work | None = None) -> tuple[int, int] | None:
        """The leftmost-longest match as (start, end), or None: POSIX's rule, by one pass of the NFA.

        Every current state remembers the earliest start of a path reaching it (a Pike VM keeping
        only the leftmost thread per state). A new path starts at each position until a match is
        found; then only paths from that match's start go on, to make it as long as possible.
        Python's re picks the leftmost match too but the *first* alternative's end, so on ``a|ab``
        against ``ab`` re finds ``a`` and this finds ``ab``; the start is always the same.

        Cost: O(|Q| + |delta|) per character, so O(text x automaton) in all, as RE2 guarantees.
        The current states are kept in order of their start (earliest first), and each step visits
        them in that order with one shared visited set, so a state is entered once per character;
        ``work`` (if given) counts the visits.
        """
        nfa, symbols = self.nfa, self.partition.symbols(text)
        size = len(symbols)
        current: dict[State, int] = {}
        best: tuple[int, int] | None = None
        for position in range(size + 1):
            at_end = position == size
            if best is None:  # a path may start here (states already reached keep their earlier start)
                nfa.tagged_closure([(nfa.start, position)], current, at_start=position == 0, at_end=at_end, work=work)
            best = _longer(best, current, nfa.accepting, position)
            if best is not None:
                current = {state: start for state, start in current.items() if start <= best[0]}
            if at_end or not current:
                if best is not None or at_end:
                    break
                continue
            current = _advance(nfa, current, symbols[position], last=position + 1 == size, work=work)
        return best

    def nfa_fullmatch(self, text: str) -> bool:
        """Full match by simulating the NFA over sets of states."""
        return self.nfa.accepts(self.partition.symbols(text))

    def nfa_search(self, text: str) -> bool:
        """Search by simulating the search NFA over sets of states."""
        return self.search_nfa.accepts(self.partition.symbols(text))

    def dfa_fullmatch(self, text: str) -> bool:
        """Full match with the subset construction's DFA."""
        return self.dfa.accepts(self.partition.symbols(text))

    def minimal_dfa_fullmatch(self, text: str) -> bool:
        """Full match with the minimal DFA."""
        return self.minimal_dfa.accepts(self.partition.symbols(text))

    def trace(self, text: str) -> Trace:
        """The NFA's current states after each character."""
        return self.nfa.trace(self.partition.symbols(text))

    # -- pictures -------------------------------------------------------------------------------

    def to_svg(self, automaton: NFA | DFA | None = None, title: str = "") -> str:
        """A state diagram of one of this expression's automata (default: the NFA), edges labelled by character sets."""
        return to_svg(automaton or self.nfa, title or self.pattern, self.partition.merge_labels)

    def to_dot(self, automaton: NFA | DFA | None = None, name: str = "") -> str:
        """Graphviz DOT of one of this expression's automata (default: the NFA)."""
        return to_dot(automaton or self.nfa, name or self.pattern, self.partition.merge_labels)

    # -- comparison -----------------------------------------------------------------------------

    def over_alphabet(self, alphabet: Iterable[str]) -> NFA:
        """The NFA with plain characters of ``alphabet`` as symbols (each class edge split per character)."""
        chars = sorted(set(alphabet))
        by_label: dict[Symbol, list[str]] = {}
        for char in chars:
            by_label.setdefault(self.partition.classify(char), []).append(char)
        transitions: dict[tuple[State, Symbol | None], set[State]] = {}
        for (state, symbol), targets in self.nfa.transitions.items():
            if symbol is None:
                transitions[(state, None)] = set(targets)
                continue
            for char in by_label.get(symbol, ()):
                transitions.setdefault((state, char), set()).update(targets)
        return NFA(self.nfa.states, chars, transitions, self.nfa.start, self.nfa.accepting, self.nfa.anchors)

    def equivalent_to(self, other: Regex) -> Equivalence:
        """Language equivalence of two expressions, both compiled over one shared partition."""
        shared = [*charsets(self.tree), *charsets(other.tree)]
        left = Regex(self.pattern, extra_sets=shared)
        right = Regex(other.pattern, extra_sets=shared)
        return equivalent(left.nfa, right.nfa)


def compile_regex(pattern: str, *, lazy_cache: int = 2_000) -> Regex:
    """Parse and build: the Regex for ``pattern`` (raises RegexSyntaxError with the position)."""
    return Regex(pattern, lazy_cache=lazy_cache)
