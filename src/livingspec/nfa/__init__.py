"""Nondeterministic finite automata: checked 5-tuples, built from regular expressions, simulated in linear time.

Seed, day 7. An NFA (Q, Sigma, delta, q0, F) may have several transitions on one symbol and
epsilon moves, so it is in a set of states at once and accepts if any path accepts. Every NFA
has an equivalent DFA (Rabin and Scott 1959, the subset construction), which Hopcroft's
algorithm minimises. Regular expressions become NFAs by Thompson's construction (1968);
matching them by stepping the set of states, or a DFA built lazily from it, takes time linear in
the text, unlike backtracking (Russ Cox, "Regular Expression Matching Can Be Simple And Fast").
"""

from livingspec.nfa.automaton import (
    DFA,
    EPSILON,
    NFA,
    Anchor,
    Equivalence,
    Path,
    Subsets,
    Trace,
    TraceRow,
    Work,
    equivalent,
    minimize,
    sorted_states,
    subset_construction,
)
from livingspec.nfa.errors import (
    SIZE_BOUNDS,
    AcceptStateError,
    InvalidAutomatonError,
    NFAError,
    NondeterministicDFAError,
    PatternTooLargeError,
    RegexSyntaxError,
    StartStateError,
    UndeclaredStateError,
    UnknownSymbolError,
)
from livingspec.nfa.lazy import LazyDFA, LazyStats
from livingspec.nfa.presets import PRESETS, Description, DescriptionError, parse_symbols
from livingspec.nfa.regex import MAX_NESTING, MAX_PATTERN_LENGTH, MAX_REPEAT, POSIX_CLASSES, CharSet, parse
from livingspec.nfa.render import compress_symbols, to_dot, to_svg
from livingspec.nfa.table import LineMatcher
from livingspec.nfa.thompson import (
    MAX_NFA_STATES,
    MAX_NFA_TRANSITIONS,
    Partition,
    Regex,
    compile_regex,
    state_count,
    thompson,
    transition_count,
)

__all__ = [
    "DFA",
    "EPSILON",
    "MAX_NESTING",
    "MAX_NFA_STATES",
    "MAX_NFA_TRANSITIONS",
    "MAX_PATTERN_LENGTH",
    "MAX_REPEAT",
    "NFA",
    "POSIX_CLASSES",
    "PRESETS",
    "SIZE_BOUNDS",
    "AcceptStateError",
    "Anchor",
    "CharSet",
    "Description",
    "DescriptionError",
    "Equivalence",
    "InvalidAutomatonError",
    "LazyDFA",
    "LazyStats",
    "LineMatcher",
    "NFAError",
    "NondeterministicDFAError",
    "Partition",
    "Path",
    "PatternTooLargeError",
    "Regex",
    "RegexSyntaxError",
    "StartStateError",
    "Subsets",
    "Trace",
    "TraceRow",
    "UndeclaredStateError",
    "UnknownSymbolError",
    "Work",
    "compile_regex",
    "compress_symbols",
    "equivalent",
    "minimize",
    "parse",
    "parse_symbols",
    "sorted_states",
    "state_count",
    "subset_construction",
    "thompson",
    "to_dot",
    "to_svg",
    "transition_count",
]
