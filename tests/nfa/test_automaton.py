"""The NFA 5-tuple: validation, closure, set simulation, subset construction, minimisation, equivalence."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.nfa import (
    DFA,
    EPSILON,
    NFA,
    AcceptStateError,
    LazyDFA,
    StartStateError,
    UndeclaredStateError,
    UnknownSymbolError,
    compile_regex,
    equivalent,
    minimize,
    subset_construction,
    to_dot,
    to_svg,
)

LETTERS = string.ascii_lowercase


def seed_email_transitions() -> dict[tuple[str, str | None], set[str]]:
    transitions: dict[tuple[str, str | None], set[str]] = {}
    for letter in LETTERS:
        transitions[("start", letter)] = {"username"}
        transitions[("username", letter)] = {"username"}
        transitions[("at", letter)] = {"domain"}
        transitions[("domain", letter)] = {"domain"}
    transitions[("username", "@")] = {"at"}
    transitions[("domain", ".")] = {"dot"}
    transitions[("dot", "c")] = {"c"}
    transitions[("c", "o")] = {"o"}
    transitions[("o", "m")] = {"accept"}
    return transitions


SEED_STATES = {"start", "username", "at", "domain", "dot", "com", "accept"}


def email_nfa() -> NFA:
    return NFA(SEED_STATES | {"c", "o"}, set(LETTERS + "@."), seed_email_transitions(), "start", {"accept"})


def test_the_seed_email_automaton_is_invalid_its_states_c_and_o_are_missing() -> None:
    with pytest.raises(UndeclaredStateError) as caught:
        NFA(SEED_STATES, set(LETTERS + "@."), seed_email_transitions(), "start", {"accept"})
    assert caught.value.states == {"c", "o"}
    assert "'c'" in str(caught.value) and "'o'" in str(caught.value)


def test_the_corrected_email_automaton_accepts_addresses() -> None:
    nfa = email_nfa()
    assert nfa.accepts("bob@mail.com")
    assert not nfa.accepts("bob@mail.co")
    assert not nfa.accepts("Bob@mail.com")  # outside the alphabet: no move
    assert "com" not in nfa.reachable()


def test_the_corrected_email_automaton_equals_the_expression() -> None:
    regex = compile_regex(r"[a-z]+@[a-z]+\.com")
    assert equivalent(email_nfa(), regex.over_alphabet(LETTERS + "@.")).equivalent


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"transitions": {("q0", "x"): {"q1"}}}, UnknownSymbolError),
        ({"transitions": {("q0", "a"): {"q9"}}}, UndeclaredStateError),
        ({"transitions": {("q9", "a"): {"q1"}}}, UndeclaredStateError),
        ({"start_state": "q9"}, StartStateError),
        ({"accept_states": {"q1", "q9"}}, AcceptStateError),
    ],
)
def test_each_defect_of_the_5_tuple_raises_its_own_error(kwargs: dict[str, object], error: type[Exception]) -> None:
    base: dict[str, object] = {
        "states": {"q0", "q1"},
        "alphabet": {"a"},
        "transitions": {("q0", "a"): {"q1"}},
        "start_state": "q0",
        "accept_states": {"q1"},
    }
    with pytest.raises(error):
        NFA(**{**base, **kwargs})  # type: ignore[arg-type]


def test_epsilon_closure_follows_chains_and_cycles() -> None:
    nfa = NFA(
        {0, 1, 2, 3},
        {"a"},
        {(0, EPSILON): {1}, (1, EPSILON): {2}, (2, EPSILON): {0}, (2, "a"): {3}},
        0,
        {3},
    )
    assert nfa.epsilon_closure({0}) == {0, 1, 2}
    assert nfa.accepts("a")
    assert not nfa.accepts("")


def test_the_simulation_is_in_several_states_at_once() -> None:
    nfa = NFA({"p", "q", "r"}, {"a", "b"}, {("p", "a"): {"p", "q"}, ("p", "b"): {"p"}, ("q", "b"): {"r"}}, "p", {"r"})
    trace = nfa.trace("aab")
    assert [set(row.states) for row in trace.rows] == [{"p"}, {"p", "q"}, {"p", "q"}, {"p", "r"}]
    assert trace.accepted
    assert nfa.nondeterministic_choices() == {("p", "a"): {"p", "q"}}


def test_subset_construction_of_the_classic_exponential_family() -> None:
    for n in range(1, 6):
        regex = compile_regex(f"(a|b)*a(a|b){{{n}}}")
        assert len(regex.dfa.states) == 2 ** (n + 1) + 1  # Thompson's start closure is one extra subset
        assert len(regex.minimal_dfa.states) == 2 ** (n + 1)


def test_minimisation_merges_equivalent_states() -> None:
    dfa = DFA({0, 1, 2}, {"a"}, {(0, "a"): 1, (1, "a"): 2, (2, "a"): 1}, 0, {1, 2})
    smaller = minimize(dfa)
    assert len(smaller.states) == 2
    assert equivalent(dfa, smaller).equivalent


def test_equivalence_gives_a_shortest_counterexample() -> None:
    result = compile_regex("a*").equivalent_to(compile_regex("(aa)*"))
    assert not result.equivalent
    assert result.counterexample == ("a",)
    assert result.accepted_by == "first"


def test_the_lazy_dfa_falls_back_to_the_nfa_when_its_cache_is_full() -> None:
    regex = compile_regex("(a|b)*a(a|b){8}")
    lazy = LazyDFA(regex.nfa, regex.partition.classify, max_states=4)
    text = "ab" * 20 + "a" + "b" * 8
    assert lazy.accepts(text) == regex.nfa_fullmatch(text) is True
    assert lazy.stats.fallbacks == 1
    assert lazy.stats.states == 4


def test_the_pathological_expression_keeps_few_states() -> None:
    n = 30
    regex = compile_regex("a?" * n + "a" * n)
    trace = regex.trace("a" * n)
    assert trace.accepted
    assert trace.widest <= 4 * n + 2


def test_dot_and_svg_name_every_state() -> None:
    nfa = email_nfa()
    dot = to_dot(nfa, "email")
    svg = to_svg(nfa, "email")
    for state in nfa.states:
        assert f'"{state}"' in dot
        assert f">{state}<" in svg
    assert '"dot" -> "c" [label="c"]' in dot
    assert '"start" -> "username" [label="a-z"]' in dot
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_subset_construction_on_a_hand_built_nfa() -> None:
    dfa = subset_construction(email_nfa())
    assert dfa.accepts("ab@cd.com") and not dfa.accepts("ab@cd.org")


random_nfas = st.builds(
    lambda edges, accepting: NFA(
        range(5),
        {"a", "b"},
        {(source, symbol): {t for s, sym, t in edges if (s, sym) == (source, symbol)} for source, symbol, _ in edges},
        0,
        accepting,
    ),
    st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["a", "b", EPSILON]), st.integers(0, 4)), max_size=12),
    st.sets(st.integers(0, 4), max_size=3),
)


@settings(max_examples=80)
@given(nfa=random_nfas, words=st.lists(st.text(alphabet="ab", max_size=6), min_size=1, max_size=8))
def test_random_nfas_set_simulation_paths_dfa_and_minimal_dfa_agree(nfa: NFA, words: list[str]) -> None:
    dfa = subset_construction(nfa)
    smallest = minimize(dfa)
    for word in words:
        by_paths = any(path.accepting for path in nfa.paths(word, limit=100_000))
        assert nfa.accepts(word) == by_paths, f"set simulation and path enumeration differ on {word!r}"
        assert dfa.accepts(word) == by_paths, f"the DFA differs on {word!r}"
        assert smallest.accepts(word) == by_paths, f"the minimal DFA differs on {word!r}"
    assert equivalent(nfa, smallest).equivalent
    assert len(smallest.states) <= len(dfa.states)
    assert len(minimize(smallest).states) == len(smallest.states)  # minimal: nothing left to merge


def _moore_count(dfa: DFA) -> int:
    """Minimal state count by Moore's refinement (a reference independent of Hopcroft's)."""
    dead = -1
    states = [*dfa.states, dead]
    step = {(s, c): dfa.transitions.get((s, c), dead) for s in states for c in sorted(dfa.alphabet)}
    block = {s: s in dfa.accepting for s in states}
    while True:
        signature = {s: (block[s], *(block[step[(s, c)]] for c in sorted(dfa.alphabet))) for s in states}
        names = {sig: i for i, sig in enumerate(sorted(set(signature.values()), key=repr))}
        refined = {s: names[signature[s]] for s in states}
        if len(set(refined.values())) == len(set(block.values())):
            break
        block = refined  # type: ignore[assignment]
    reachable = {dfa.start}
    frontier = [dfa.start]
    while frontier:
        s = frontier.pop()
        for c in dfa.alphabet:
            t = step[(s, c)]
            if t not in reachable:
                reachable.add(t)
                frontier.append(t)
    live = {refined[s] for s in reachable} - {refined[dead]}
    return len(live) if live else 1


@settings(max_examples=60)
@given(nfa=random_nfas)
def test_hopcroft_agrees_with_moore_on_the_minimal_size(nfa: NFA) -> None:
    dfa = subset_construction(nfa)
    assert len(minimize(dfa).states) == _moore_count(dfa)
