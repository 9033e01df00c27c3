"""Steps of the NFA features: automata given as 5-tuples, by name or as regular expressions, and what they accept.

Phrases. Given: the NFA transitions are: (table from/on/to); the NFA declares the states <Q>; the
NFA alphabet is <Sigma>; the NFA starts in <q0> and accepts in <F>; an NFA over the alphabet
<Sigma> starting in <q0> and accepting in <F>: (table); the example NFA "<name>"; the regular
expression "<r>" [with a lazy DFA cache of <n> states]. When: the NFA is built; the NFA reads "<w>";
the regular expression "<r>" is compiled [repeated <n> times | nested in <n> groups]; the NFA is
determinised; the regular expression is turned into a DFA; the lazy DFA matches "<w>". Then: the NFA
is valid | is rejected because...; the NFA's transition table is: (table); the NFA accepts|rejects
"<w>" | the input; after <n> symbols the NFA is in the states <S> | in no state at all; the epsilon
closure of <q> in the NFA is <S>; the NFA can move on <a> from <q> to the states <S>; the NFA has
<n> paths over "<w>", <k> of them accepting; the regular expression accepts|rejects "<w>" |
matches|does not match the whole of "<w>" | is found|is not found in "<w>" | finds "<m>" at <i> in
"<w>" | finds nothing in "<w>" | is refused at position <i> because "<reason>" | is refused as too
large...; finding the match ... costs at most <k> visits...; the POSIX class "[:<name>:]" is the
set "<set>"; Python's re agrees...; the DFA has <n> states and the minimal DFA <m>; the regular
expressions "<r>" and "<s>" are [not] equivalent; the lazy DFA ...; the NFA of the pathological
expression ...; state diagrams and traces attached.

Symbols in tables and lists: a single character, a range ``a-z``, or ``ε`` for an epsilon move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import parse
from behave import given, then, when

from livingspec import nfa
from livingspec.nfa import DFA, NFA, Description, Regex, Trace
from livingspec.nfa.presets import table_rows, triples
from livingspec.nfa.table import required_literals
from livingspec.runner import evidence
from livingspec.runner.types import MULTIWORD, choice, register
from livingspec.runner.world import need, need_table, world

NFA_GIVEN = "Given an NFA over the alphabet a, b starting in p and accepting in r: (a table from | on | to)"
TABLE_GIVEN = "Given the NFA transitions are: (a table from | on | to)"
REGEX_GIVEN = 'Given the regular expression "[a-z]+@[a-z]+\\.com"'
COMPILE_WHEN = 'When the regular expression "a{3,2}" is compiled'
READ_WHEN = 'When the NFA reads "abab"'
LAZY_WHEN = 'When the lazy DFA matches "abab"'
DFA_WHEN = "When the NFA is determinised (or: When the regular expression is turned into a DFA)"
PATHOLOGICAL_THEN = "Then the NFA of the pathological expression matches a{10} reading each symbol once"


@parse.with_pattern(r'[^"]*')
def _quoted(text: str) -> str:
    """any text without a double quote (it may be empty)"""
    return text


@parse.with_pattern(r".+?")
def _symbols(text: str) -> str:
    """symbols, comma separated: one character each, a range such as a-z, or ε for an epsilon move (a-z, @, .)"""
    return text


register(
    NfaSymbols=_symbols,
    NfaVerdict=choice("verdict", ["accepts", "rejects"]),
    NfaMatch=choice("match verdict", ["matches", "does not match"], pattern=r"\w+|does not \w+"),
    NfaFound=choice("search verdict", ["is found", "is not found"], pattern=r"is \w+|is not \w+"),
    NfaText=_quoted,
    NfaPart=choice("part of the 5-tuple", ["the start state", "an accept state"], pattern=MULTIWORD),
    NfaEquivalence=choice("equivalence verdict", ["equivalent", "not equivalent"], pattern=MULTIWORD),
    NfaExample=choice("example NFA", list(nfa.PRESETS), pattern=r'[^"]+'),
    NfaPosixClass=choice("POSIX class", list(nfa.POSIX_CLASSES)),
    NfaBound=choice("size bound", list(nfa.SIZE_BOUNDS), pattern=MULTIWORD),
)


@dataclass
class Spec:
    """An NFA being described piece by piece (the Background's Givens); None: not given yet."""

    rows: list[tuple[str, str, str]] | None = None
    states: str | None = None
    alphabet: str | None = None
    start: str | None = None
    accepts: str | None = None

    def description(self) -> Description:
        """The whole description, or a StepOrderError naming the Given that is missing."""
        rows = need(self.rows, "the NFA's transitions", TABLE_GIVEN)
        alphabet = need(self.alphabet, "the NFA's alphabet", "Given the NFA alphabet is a-z, @, .")
        start = need(self.start, "the NFA's start state", "Given the NFA starts in start and accepts in accept")
        accepts = need(self.accepts, "the NFA's accept states", "Given the NFA starts in start and accepts in accept")
        return Description.of(alphabet, start, accepts, rows, self.states)


@dataclass
class NfaWorld:
    """One scenario's state: the automaton described or compiled, and what the last steps produced."""

    spec: Spec = field(default_factory=Spec)
    automaton: NFA | None = None
    invalid: nfa.InvalidAutomatonError | None = None
    regex: Regex | None = None
    regex_error: nfa.NFAError | None = None
    text: str | None = None
    trace: Trace | None = None
    dfa: DFA | None = None
    minimal_dfa: DFA | None = None
    source_nfa: NFA | None = None
    dfa_regex: Regex | None = None
    lazy_verdict: bool | None = None
    pathological: tuple[Regex, Trace] | None = None
    lines: list[str] | None = None
    matching_lines: list[int] | None = None

    @property
    def valid_nfa(self) -> NFA:
        return need(self.automaton, "a valid NFA", NFA_GIVEN)

    @property
    def expression(self) -> Regex:
        return need(self.regex, "a regular expression", REGEX_GIVEN)

    @property
    def error(self) -> nfa.InvalidAutomatonError:
        return need(self.invalid, "an NFA that failed to build", "When the NFA is built")

    @property
    def read(self) -> tuple[str, Trace]:
        return need(self.text, "a text the NFA read", READ_WHEN), need(self.trace, "a run", READ_WHEN)

    @property
    def determinised(self) -> tuple[DFA, DFA, NFA]:
        dfa = need(self.dfa, "a DFA", DFA_WHEN)
        return dfa, need(self.minimal_dfa, "a minimal DFA", DFA_WHEN), need(self.source_nfa, "an NFA", DFA_WHEN)


def _world(context: Any) -> NfaWorld:
    return world(context, NfaWorld)


def _rows(context: Any) -> list[tuple[str, str, str]]:
    return [(row["from"], row["on"], row["to"]) for row in need_table(context, ["from", "on", "to"])]


def _states(states: Any) -> str:
    return "{" + ", ".join(str(s) for s in nfa.sorted_states(states)) + "}"


def _build(state: NfaWorld, description: Description) -> None:
    """Build the NFA (keeping the error and attaching why when the 5-tuple is invalid)."""
    state.automaton, state.invalid = None, None
    try:
        state.automaton = description.build()
    except nfa.InvalidAutomatonError as error:
        state.invalid = error
        evidence.attach_text("why the automaton is invalid", str(error))


def _attach_diagram(name: str, automaton: NFA | DFA, regex: Regex | None = None) -> None:
    merge = regex.partition.merge_labels if regex is not None else None
    evidence.attach_svg(f"state diagram: {name}", nfa.to_svg(automaton, name, merge))
    evidence.attach_text(f"Graphviz DOT: {name}", nfa.to_dot(automaton, name, merge))


def _attach_trace(name: str, trace: Trace, text: str) -> None:
    rows = [
        (position, repr(text[position - 1]) if position else "(start)", states, count)
        for position, _, states, count in trace.table()
    ]
    evidence.attach_table(name, ["symbols read", "last symbol", "current states", "how many"], rows)


# ---------------------------------------------------------------- Given: automata by hand


@given("the NFA transitions are:")
def step_nfa_transitions(context: Any) -> None:
    """Describe delta as a table with columns from, on (a symbol, a range a-z, several comma separated, or ε), to."""
    _world(context).spec.rows = _rows(context)


@given("the NFA declares the states {states:Words}")
def step_nfa_states(context: Any, states: list[str]) -> None:
    """Declare Q, the set of states (names, comma separated)."""
    _world(context).spec.states = ", ".join(states)


@given("the NFA alphabet is {symbols:NfaSymbols}")
def step_nfa_alphabet(context: Any, symbols: str) -> None:
    """Declare Sigma: characters and ranges, comma separated (a-z, @, .)."""
    _world(context).spec.alphabet = symbols


@given("the NFA starts in {start:w} and accepts in {accepts:Words}")
def step_nfa_start_accept(context: Any, start: str, accepts: list[str]) -> None:
    """Declare q0 (one state name) and F (state names, comma separated)."""
    spec = _world(context).spec
    spec.start, spec.accepts = start, ", ".join(accepts)


@given("an NFA over the alphabet {symbols:NfaSymbols} starting in {start:w} and accepting in {accepts:Words}:")
def step_nfa_from_table(context: Any, symbols: str, start: str, accepts: list[str]) -> None:
    """Build an NFA from a table from | on | to; its states are those the table, q0 and F name."""
    state = _world(context)
    _build(state, Description.of(symbols, start, ", ".join(accepts), _rows(context)))
    assert state.automaton is not None, f"the NFA should be valid: {state.invalid}"


@given('the example NFA "{name:NfaExample}"')
def step_example_nfa(context: Any, name: str) -> None:
    """A named automaton, a preset of the same description a table gives (its table is attached)."""
    state = _world(context)
    description = nfa.PRESETS[name]
    state.spec = Spec(
        [(source, on, ", ".join(to)) for source, on, to in description.rows],
        None if description.states is None else ", ".join(description.states),
        description.alphabet,
        description.start,
        ", ".join(description.accepts),
    )
    evidence.attach_table(
        f"the example NFA {name!r}: Sigma = {description.alphabet}, q0 = {description.start}, "
        f"F = {', '.join(description.accepts)}",
        ["from", "on", "to"],
        [(source, on, ", ".join(to)) for source, on, to in description.rows],
    )
    _build(state, description)


# ---------------------------------------------------------------- Given: regular expressions


@given('the regular expression "{pattern:NfaText}"')
def step_regex(context: Any, pattern: str) -> None:
    """Compile a regular expression into its Thompson NFA."""
    _world(context).regex = nfa.compile_regex(pattern)


@given('the regular expression "{pattern:NfaText}" with a lazy DFA cache of {count:d} states')
def step_regex_lazy(context: Any, pattern: str, count: int) -> None:
    """Compile a regular expression whose lazy DFA may cache only so many states (count: DFA states)."""
    _world(context).regex = nfa.compile_regex(pattern, lazy_cache=count)


# ---------------------------------------------------------------- When


@when("the NFA is built")
def step_build(context: Any) -> None:
    """Validate the 5-tuple given so far and build the automaton (or keep the error)."""
    state = _world(context)
    _build(state, state.spec.description())


@when('the NFA reads "{text:NfaText}"')
def step_read(context: Any, text: str) -> None:
    """Run the NFA (or the regular expression's NFA) over a text, keeping the current states after each symbol."""
    state = _world(context)
    if state.automaton is not None:
        state.trace = state.automaton.trace(text)
    else:
        regex = need(state.regex, "an NFA or a regular expression", NFA_GIVEN)
        state.trace = regex.trace(text)
    state.text = text


def _compile(state: NfaWorld, pattern: str) -> None:
    state.regex, state.regex_error = None, None
    try:
        state.regex = nfa.compile_regex(pattern)
    except nfa.NFAError as error:
        state.regex_error = error
        shown = str(error) if len(pattern) <= 200 else str(error).replace(pattern, pattern[:60] + "...")
        evidence.attach_text("why the expression is refused", shown)


@when('the regular expression "{pattern:NfaText}" is compiled')
def step_compile(context: Any, pattern: str) -> None:
    """Compile an expression, keeping the error if it does not parse or is too large."""
    _compile(_world(context), pattern)


@when('the regular expression "{pattern:NfaText}" repeated {count:d} times is compiled')
def step_compile_repeated(context: Any, pattern: str, count: int) -> None:
    """Compile the expression written count times in a row (count: copies), to try the size bounds."""
    _compile(_world(context), pattern * count)


@when('the regular expression "{pattern:NfaText}" nested in {depth:d} groups is compiled')
def step_compile_nested(context: Any, pattern: str, depth: int) -> None:
    """Compile the expression inside depth groups, ((...)), to try the nesting bound (depth: groups)."""
    _compile(_world(context), "(" * depth + pattern + ")" * depth)


@when("the lines below are searched:")
def step_search_lines(context: Any) -> None:
    """grep: which lines of the doc string contain a match (the minimal search DFA, all lines stepped at once)."""
    state = _world(context)
    text = need(getattr(context, "text", None), "lines of text", 'a doc string (""" ... """) under the step')
    matcher = nfa.LineMatcher(state.expression)
    verdicts = matcher.match_lines(text).tolist()
    state.lines = text.split("\n")
    state.matching_lines = [number for number, hit in enumerate(verdicts, start=1) if hit]
    evidence.attach_table(
        f"lines containing {state.expression.pattern!r} (literal prefilter: {matcher.literal!r})",
        ["line", "text", "contains a match"],
        [
            (number, line, "yes" if hit else "")
            for number, (line, hit) in enumerate(zip(state.lines, verdicts, strict=True), 1)
        ],
    )


@when("the NFA is determinised")
def step_determinise(context: Any) -> None:
    """Subset construction, then Hopcroft's minimisation, of the hand-built NFA."""
    state = _world(context)
    state.dfa = nfa.subset_construction(state.valid_nfa)
    state.minimal_dfa = nfa.minimize(state.dfa)
    state.source_nfa, state.dfa_regex = state.valid_nfa, None


@when("the regular expression is turned into a DFA")
def step_regex_dfa(context: Any) -> None:
    """Subset construction, then Hopcroft's minimisation, of the expression's NFA."""
    state = _world(context)
    regex = state.expression
    state.dfa, state.minimal_dfa = regex.dfa, regex.minimal_dfa
    state.source_nfa, state.dfa_regex = regex.nfa, regex


@when('the lazy DFA matches "{text:NfaText}"')
def step_lazy(context: Any, text: str) -> None:
    """Match a whole text with the expression's lazy DFA."""
    state = _world(context)
    state.text = text
    state.lazy_verdict = state.expression.fullmatch(text)


# ---------------------------------------------------------------- Then: validity


@then("the NFA is rejected because the states {states:Words} are not declared")
def step_rejected_states(context: Any, states: list[str]) -> None:
    """The 5-tuple is invalid: transitions name states missing from Q."""
    error = _world(context).error
    assert isinstance(error, nfa.UndeclaredStateError), f"expected UndeclaredStateError, got {error!r}"
    assert error.states == set(states), f"expected undeclared states {states}, error names {_states(error.states)}"


@then("the NFA is rejected because {part:NfaPart} is not in Q")
def step_rejected_other(context: Any, part: str) -> None:
    """The 5-tuple is invalid: its start state or an accept state is missing from Q."""
    error = _world(context).error
    kinds: dict[str, type[nfa.InvalidAutomatonError]] = {
        "the start state": nfa.StartStateError,
        "an accept state": nfa.AcceptStateError,
    }
    assert isinstance(error, kinds[part]), f"expected {kinds[part].__name__}, got {error!r}"


@then("the NFA is rejected because it reads symbols {symbols:NfaSymbols} outside its alphabet")
def step_rejected_symbols(context: Any, symbols: str) -> None:
    """The 5-tuple is invalid: transitions read symbols missing from Sigma (symbols: characters, ranges)."""
    error = _world(context).error
    assert isinstance(error, nfa.UnknownSymbolError), f"expected UnknownSymbolError, got {error!r}"
    expected = set(nfa.parse_symbols(symbols))
    assert error.symbols == expected, f"expected {symbols}, error names {sorted(map(str, error.symbols))}"


@then("the NFA is valid")
def step_valid(context: Any) -> None:
    """The 5-tuple passed validation."""
    state = _world(context)
    assert state.automaton is not None, f"expected a valid NFA, got {state.invalid or 'no NFA yet'}"


@then("the NFA state {state:w} is unreachable")
def step_unreachable(context: Any, state: str) -> None:
    """A declared state that no path from q0 reaches."""
    reachable = _world(context).valid_nfa.reachable()
    assert state not in reachable, f"expected {state} unreachable; reachable: {_states(reachable)}"


@then("the NFA's transition table is:")
def step_transition_table(context: Any) -> None:
    """delta, as a table from | on | to (on: symbols or ranges such as a-z, ε for epsilon; to: states)."""
    seen = triples(_world(context).valid_nfa.transitions)
    expected = triples(Description.of("", "-", "", _rows(context)).transitions())
    evidence.attach_table("the NFA's transitions", ["from", "on", "to"], table_rows(seen))
    assert seen == expected, f"missing {table_rows(expected - seen)}; not in the table {table_rows(seen - expected)}"


# ---------------------------------------------------------------- Then: runs


@then('the NFA {verdict:NfaVerdict} "{text:NfaText}"')
def step_nfa_verdict(context: Any, verdict: str, text: str) -> None:
    """Acceptance by the hand-built NFA, with its states after each symbol attached."""
    trace = _world(context).valid_nfa.trace(text)
    _attach_trace(f"current states reading {text!r}", trace, text)
    assert trace.accepted == (verdict == "accepts"), (
        f"expected the NFA to {verdict[:-1]} {text!r}; it ended in {_states(trace.rows[-1].states)}"
    )


@then("the NFA {verdict:NfaVerdict} the input")
def step_nfa_verdict_input(context: Any, verdict: str) -> None:
    """Acceptance of the text the NFA read."""
    text, trace = _world(context).read
    _attach_trace(f"current states reading {text!r}", trace, text)
    assert trace.accepted == (verdict == "accepts"), f"expected the NFA to {verdict[:-1]} {text!r}"


def _row(context: Any, count: int) -> frozenset[Any]:
    text, trace = _world(context).read
    assert 0 <= count <= len(text), f"the NFA read {len(text)} symbols of {text!r}; there is no step {count}"
    return trace.rows[count].states


@then("after {count:d} symbols the NFA is in the states {states:Words}")
def step_states_after(context: Any, count: int, states: list[str]) -> None:
    """The set of current states after reading so many symbols (count: symbols read)."""
    seen = _row(context, count)
    assert seen == set(states), f"after {count} symbols expected {{{', '.join(states)}}}, the NFA is in {_states(seen)}"


@then("after {count:d} symbols the NFA is in no state at all")
def step_no_states_after(context: Any, count: int) -> None:
    """Every path has died by then (count: symbols read)."""
    seen = _row(context, count)
    assert not seen, f"after {count} symbols expected no current state, the NFA is in {_states(seen)}"


@then("the NFA was in at most {count:d} states at once")
def step_widest(context: Any, count: int) -> None:
    """The largest set of current states during the run (count: states)."""
    text, trace = _world(context).read
    _attach_trace(f"current states reading {text!r}", trace, text)
    assert trace.widest <= count, f"expected at most {count} states at once, saw {trace.widest}"


@then("the epsilon closure of {state:w} in the NFA is {states:Words}")
def step_closure(context: Any, state: str, states: list[str]) -> None:
    """The states reachable by epsilon moves alone."""
    closure = _world(context).valid_nfa.epsilon_closure({state})
    assert closure == set(states), f"expected the closure {{{', '.join(states)}}}, got {_states(closure)}"


@then("the NFA can move on {symbol} from {state:w} to the states {states:Words}")
def step_several_moves(context: Any, symbol: str, state: str, states: list[str]) -> None:
    """Several transitions on one symbol (one character): delta(state, symbol) is the listed set of states."""
    automaton = _world(context).valid_nfa
    targets = automaton.transitions.get((state, symbol), frozenset())
    assert targets == set(states), (
        f"expected delta({state}, {symbol}) = {{{', '.join(states)}}}, got {_states(targets)}"
    )
    choices = automaton.nondeterministic_choices()
    evidence.attach_table(
        "nondeterministic choices",
        ["state", "symbol", "targets"],
        [(key[0], key[1], _states(value)) for key, value in choices.items()],
    )


@then('the NFA has {total:d} paths over "{text:NfaText}", {accepting:d} of them accepting')
def step_paths(context: Any, total: int, text: str, accepting: int) -> None:
    """Every computation over a text, each a path of states; the NFA accepts if any path accepts."""
    paths = _world(context).valid_nfa.paths(text)
    rows = [(p.text(), "accepts" if p.accepting else ("rejects" if p.complete else "stuck")) for p in paths]
    evidence.attach_table(f"paths over {text!r}", ["path", "outcome"], rows)
    seen = sum(p.accepting for p in paths)
    assert (len(paths), seen) == (total, accepting), f"expected {total} paths, {accepting} accepting; got {rows}"


# ---------------------------------------------------------------- Then: regular expressions


@then('the regular expression {verdict:NfaVerdict} "{text:NfaText}"')
def step_regex_verdict(context: Any, verdict: str, text: str) -> None:
    """Full match of the expression (lazy DFA), checked against the NFA simulation."""
    regex = _world(context).expression
    got, by_nfa = regex.fullmatch(text), regex.nfa_fullmatch(text)
    assert got == by_nfa, f"the lazy DFA says {got}, the NFA says {by_nfa} for {text!r}"
    assert got == (verdict == "accepts"), f"expected the expression to {verdict[:-1]} {text!r}"


@then("the NFA is equivalent to the regular expression")
def step_equivalent(context: Any) -> None:
    """Language equivalence of the hand-built NFA and the expression's NFA over the same characters."""
    state = _world(context)
    automaton, regex = state.valid_nfa, state.expression
    result = nfa.equivalent(automaton, regex.over_alphabet(automaton.alphabet))
    _attach_diagram("the expression's Thompson NFA", regex.nfa, regex)
    assert result.equivalent, f"they differ on {''.join(result.counterexample or ())!r}"


@then('the regular expression {verdict:NfaMatch} the whole of "{text:NfaText}"')
def step_fullmatch(context: Any, verdict: str, text: str) -> None:
    """Full match by the lazy DFA, the NFA, the DFA and the minimal DFA, all agreeing."""
    regex = _world(context).expression
    verdicts = {
        "lazy DFA": regex.fullmatch(text),
        "NFA": regex.nfa_fullmatch(text),
        "DFA": regex.dfa_fullmatch(text),
        "minimal DFA": regex.minimal_dfa_fullmatch(text),
    }
    expected = verdict == "matches"
    assert set(verdicts.values()) == {expected}, f"expected {expected} for {text!r} from all; got {verdicts}"


@then('the regular expression {verdict:NfaFound} in "{text:NfaText}"')
def step_search(context: Any, verdict: str, text: str) -> None:
    """Search: the expression matches somewhere in the text (lazy DFA and NFA agree)."""
    regex = _world(context).expression
    got, by_nfa, expected = regex.search(text), regex.nfa_search(text), verdict == "is found"
    assert got == by_nfa == expected, f"expected found={expected} in {text!r}; lazy DFA {got}, NFA {by_nfa}"


@then('Python\'s re agrees with the regular expression on "{text:NfaText}"')
def step_python_agrees(context: Any, text: str) -> None:
    """The same verdicts from Python's re (with re.ASCII, and $ as \\Z: our $ is end of text)."""
    regex = _world(context).expression
    pattern = re.sub(r"(?<!\\)((?:\\\\)*)\$", r"\1\\Z", regex.pattern)
    reference = re.compile(pattern, re.ASCII)
    ours = (regex.fullmatch(text), regex.search(text))
    theirs = (reference.fullmatch(text) is not None, reference.search(text) is not None)
    assert ours == theirs, f"(fullmatch, search) of {text!r}: ours {ours}, re {theirs}"


def _refusal(context: Any) -> nfa.NFAError:
    state = _world(context)
    assert state.regex is None or state.regex_error is not None, "expected the expression to be refused; it compiled"
    return need(state.regex_error, "an expression that was compiled", COMPILE_WHEN)


@then('the regular expression is refused at position {position:d} because "{reason:NfaText}"')
def step_refused(context: Any, position: int, reason: str) -> None:
    """A syntax error that says where (position: 0-based index of the character) and why."""
    error = _refusal(context)
    assert isinstance(error, nfa.RegexSyntaxError), f"expected a syntax error, got {error!r}"
    assert (error.position, error.reason.startswith(reason)) == (position, True), (
        f"expected {reason!r} at {position}; got {error.reason!r} at {error.position}"
    )


@then("the regular expression is refused as too large: more {what:NfaBound} than the limit of {limit:d}")
def step_too_large(context: Any, what: str, limit: int) -> None:
    """A size bound refused the expression before the work grew (what: the bound; limit: its value)."""
    error = _refusal(context)
    assert isinstance(error, nfa.PatternTooLargeError), f"expected PatternTooLargeError, got {error!r}"
    assert (error.what, error.limit) == (what, limit), (
        f"expected {what} over {limit}; got {error.what} over {error.limit}"
    )


@then('the POSIX class "[:{name:NfaPosixClass}:]" is the set "{label:NfaText}"')
def step_posix_class(context: Any, name: str, label: str) -> None:
    """A POSIX bracket class, written [[:name:]] in an expression, and the ASCII set it stands for (a class label)."""
    charset = nfa.POSIX_CLASSES[name]
    assert charset.label() == label, f"[:{name}:] is {charset.label()!r}, not {label!r}"
    regex, negated = nfa.compile_regex(f"[[:{name}:]]"), nfa.compile_regex(f"[[:^{name}:]]")
    wrong = [chr(code) for code in range(256) if regex.fullmatch(chr(code)) != (chr(code) in charset)]
    wrong += [chr(code) for code in range(256) if negated.fullmatch(chr(code)) == (chr(code) in charset)]
    assert not wrong, f"[[:{name}:]] or [[:^{name}:]] disagrees with the set on {wrong!r}"


@then("the state diagram of the regular expression's NFA is attached")
def step_regex_diagram(context: Any) -> None:
    """Attach the Thompson NFA's picture and DOT text."""
    regex = _world(context).expression
    _attach_diagram(f"Thompson NFA of {regex.pattern}", regex.nfa, regex)
    dot = nfa.to_dot(regex.nfa)
    assert dot.count("->") >= len(regex.nfa.edges()) // 2, "the DOT export lost edges"


@then("the state diagram of the NFA is attached")
def step_nfa_diagram(context: Any) -> None:
    """Attach the hand-built NFA's picture and DOT text."""
    automaton = _world(context).valid_nfa
    _attach_diagram("the NFA", automaton)
    assert all(f'"{s}"' in nfa.to_dot(automaton) for s in automaton.states), "the DOT export lost a state"


@then('the current states of the regular expression\'s NFA reading "{text:NfaText}" are attached')
def step_regex_trace(context: Any, text: str) -> None:
    """Attach the set of current states after each character."""
    trace = _world(context).expression.trace(text)
    _attach_trace(f"current states reading {text!r}", trace, text)
    assert len(trace.rows) == len(text) + 1, "expected one row per character, plus the start"


# ---------------------------------------------------------------- Then: determinisation


@then("the DFA has {count:d} states and the minimal DFA {minimal:d}")
def step_dfa_counts(context: Any, count: int, minimal: int) -> None:
    """State counts of the subset construction and of Hopcroft's minimisation (no dead state)."""
    state = _world(context)
    dfa, minimal_dfa, _ = state.determinised
    rows = [
        (number, _states(dfa.meaning[number]), "yes" if number in dfa.accepting else "")
        for number in sorted(dfa.states)
    ]
    evidence.attach_table(
        "subset construction: each DFA state is a set of NFA states", ["DFA state", "NFA states", "accepts"], rows
    )
    _attach_diagram("the DFA", dfa, state.dfa_regex)
    _attach_diagram("the minimal DFA", minimal_dfa, state.dfa_regex)
    seen = (len(dfa.states), len(minimal_dfa.states))
    assert seen == (count, minimal), f"expected {count} DFA and {minimal} minimal states, got {seen}"


@then("the DFA and the minimal DFA accept what the NFA accepts")
def step_dfa_equivalent(context: Any) -> None:
    """Language equivalence of the NFA, its DFA and its minimal DFA."""
    dfa, minimal_dfa, source = _world(context).determinised
    for name, automaton in (("DFA", dfa), ("minimal DFA", minimal_dfa)):
        result = nfa.equivalent(source, automaton)
        assert result.equivalent, f"the {name} differs from the NFA on {result.counterexample}"


@then('the regular expressions "{first:NfaText}" and "{second:NfaText}" are {verdict:NfaEquivalence}')
def step_regex_equivalence(context: Any, first: str, second: str, verdict: str) -> None:
    """Language equivalence of two expressions, with a shortest distinguishing text when they differ."""
    result = nfa.compile_regex(first).equivalent_to(nfa.compile_regex(second))
    if result.counterexample is not None:
        evidence.attach_text(
            "a shortest text that tells them apart", f"{result.counterexample!r}, accepted by the {result.accepted_by}"
        )
    expected = verdict == "equivalent"
    assert result.equivalent == expected, f"expected {verdict}; counterexample {result.counterexample}"


# ---------------------------------------------------------------- Then: the lazy DFA and the pathological case


@then("the lazy DFA {verdict:NfaVerdict} it, agreeing with the NFA")
def step_lazy_verdict(context: Any, verdict: str) -> None:
    """The lazy DFA's verdict, equal to the NFA simulation's."""
    state = _world(context)
    lazy = need(state.lazy_verdict, "a lazy DFA run", LAZY_WHEN)
    by_nfa = state.expression.nfa_fullmatch(need(state.text, "a text", LAZY_WHEN))
    expected = verdict == "accepts"
    assert lazy == by_nfa == expected, f"expected {expected}; lazy {lazy}, NFA {by_nfa}"


@then("the lazy DFA built {count:d} states and fell back to the NFA {fallbacks:d} time(s)")
def step_lazy_stats(context: Any, count: int, fallbacks: int) -> None:
    """What the bounded cache did (count: DFA states built; fallbacks: texts finished by the NFA)."""
    stats = _world(context).expression.lazy.stats
    evidence.attach_json("lazy DFA cache", stats.__dict__)
    assert (stats.states, stats.fallbacks) == (count, fallbacks), (
        f"expected {count} states, {fallbacks} fallbacks; got {stats}"
    )


@then("the NFA of the pathological expression matches a{{{count:d}}} reading each symbol once")
def step_pathological(context: Any, count: int) -> None:
    """(a?){n}a{n} on a^n: one pass, the set of current states linear in n (attached as a plot)."""
    regex = nfa.compile_regex(f"(a?){{{count}}}a{{{count}}}")
    text = "a" * count
    trace = regex.trace(text)
    _world(context).pathological = (regex, trace)
    figure = evidence.new_figure(5, 2.5)
    axes = figure.add_subplot()
    axes.plot([row.position for row in trace.rows], [len(row.states) for row in trace.rows], marker=".")
    axes.set_xlabel("symbols read")
    axes.set_ylabel("current NFA states")
    axes.set_title(f"(a?){{{count}}}a{{{count}}} on a^{count}")
    evidence.attach_figure("current states per symbol", figure)
    assert trace.accepted, "expected a match"
    assert len(trace.rows) == count + 1, f"expected {count} steps, took {len(trace.rows) - 1}"
    assert regex.fullmatch(text), "the lazy DFA should match too"


def _pathological(context: Any) -> tuple[Regex, Trace]:
    return need(_world(context).pathological, "the pathological expression", PATHOLOGICAL_THEN)


@then("the NFA of the pathological expression has {states:d} states and is never in more than {widest:d} at once")
def step_pathological_size(context: Any, states: int, widest: int) -> None:
    """Size of the Thompson NFA and of the widest set of current states: both linear in n."""
    regex, trace = _pathological(context)
    seen = (len(regex.nfa.states), trace.widest)
    assert seen == (states, widest), f"expected {states} NFA states and at most {widest} at once, got {seen}"


@then("the lazy DFA of the pathological expression built {count:d} states")
def step_pathological_lazy(context: Any, count: int) -> None:
    """The lazy DFA for (a?){n}a{n} built one state per symbol read, plus the start."""
    regex, _ = _pathological(context)
    stats = regex.lazy.stats
    evidence.attach_json("lazy DFA cache", stats.__dict__)
    assert stats.states == count, f"expected {count} lazy DFA states, got {stats.states}"


def _find_cost(regex: Regex, text: str, bound: int) -> None:
    """Run find counting its work; attach the figures; assert the visits per state, transition and character."""
    work = nfa.Work()
    found = regex.find(text, work=work)
    size = len(regex.nfa.states) + len(regex.nfa.edges())
    per = work.visits / ((len(text) + 1) * size)
    evidence.attach_table(
        f"the work of finding {regex.pattern!r} in a text of {len(text)} characters",
        ["characters", "NFA states + transitions", "visits", "visits per state and transition per character", "match"],
        [(len(text), size, work.visits, f"{per:.2f}", found)],
    )
    assert found is not None, f"expected a match of {regex.pattern!r}"
    assert per <= bound, f"expected at most {bound} visits per NFA state and transition per character, made {per:.2f}"


@then("finding its match in a{{{count:d}}} costs at most {bound:d} visits per NFA state and transition per character")
def step_pathological_find(context: Any, count: int, bound: int) -> None:
    """find on the pathological expression is linear in text x automaton (RE2's guarantee), counted not timed."""
    regex, _ = _pathological(context)
    _find_cost(regex, "a" * count, bound)


@then('finding the match in "{text:NfaText}" costs at most {bound:d} visits per NFA state and transition per character')
def step_find_cost(context: Any, text: str, bound: int) -> None:
    """The leftmost-longest search's work, counted: at most bound visits per state and transition per character."""
    _find_cost(_world(context).expression, text, bound)


@then("the lines {numbers:Ints} contain a match, and no others")
def step_matching_lines(context: Any, numbers: list[int]) -> None:
    """The lines (numbered from 1) the search found, checked line by line against the lazy DFA's search."""
    state = _world(context)
    found = need(state.matching_lines, "searched lines", "When the lines below are searched: (a doc string)")
    by_search = [n for n, line in enumerate(state.lines or [], start=1) if state.expression.search(line)]
    assert found == by_search, f"the line matcher found lines {found}, a search of each line {by_search}"
    assert found == numbers, f"expected the lines {numbers}, found {found}"


@then('every match contains the literal "{literal:NfaText}"')
def step_required_literal(context: Any, literal: str) -> None:
    """The longest string every match must contain: the prefilter looks for it with str.find first."""
    regex = _world(context).expression
    literals = required_literals(regex.tree)
    evidence.attach_text("strings every match contains, longest first", "\n".join(map(repr, literals)) or "(none)")
    assert next(iter(literals), "") == literal, f"expected {literal!r}, the longest required literal is {literals[:1]}"


@then('the regular expression finds "{match:NfaText}" at {start:d} in "{text:NfaText}"')
def step_find(context: Any, match: str, start: int, text: str) -> None:
    """Search with a position (start: 0-based): the leftmost-longest match (POSIX), and what Python's re finds."""
    regex = _world(context).expression
    found = regex.find(text)
    theirs = re.search(regex.pattern, text, re.ASCII)
    evidence.attach_table(
        f"matches in {text!r}",
        ["engine", "rule", "start", "match"],
        [
            ("ours", "leftmost-longest", found[0] if found else "-", text[found[0] : found[1]] if found else "-"),
            ("Python re", "leftmost-first", theirs.start() if theirs else "-", theirs.group() if theirs else "-"),
        ],
    )
    assert found is not None, f"expected {match!r} at {start} in {text!r}, found nothing"
    seen = (text[found[0] : found[1]], found[0])
    assert seen == (match, start), f"expected {match!r} at {start}, found {seen[0]!r} at {seen[1]}"


@then('the regular expression finds nothing in "{text:NfaText}"')
def step_find_nothing(context: Any, text: str) -> None:
    """Search with a position finds no match at all."""
    found = _world(context).expression.find(text)
    assert found is None, f"expected no match in {text!r}, found {text[found[0] : found[1]]!r} at {found[0]}"
