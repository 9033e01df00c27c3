"""Steps of the NFA features: automata given as 5-tuples or regular expressions, and what they accept.

Phrases. Given: the NFA transitions are: (table from/on/to); the NFA declares the states <Q>; the
NFA alphabet is <Sigma>; the NFA starts in <q0> and accepts in <F>; an NFA over the alphabet
<Sigma> starting in <q0> and accepting in <F>: (table); the regular expression "<r>" [with a lazy
DFA cache of <n> states]. When: the NFA is built; the NFA reads "<w>"; the regular expression "<r>"
is compiled; the NFA is determinised; the regular expression is turned into a DFA; the lazy DFA
matches "<w>". Then: the NFA is valid | is rejected because...; the NFA accepts|rejects "<w>" | the
input; after <n> symbols the NFA is in the states <S> | in no state at all; the epsilon closure of
<q> in the NFA is <S>; the NFA can move on <a> from <q> to the states <S>; the NFA has <n> paths
over "<w>", <k> of them accepting; the regular expression accepts|rejects "<w>" | matches|does not
match the whole of "<w>" | is found|is not found in "<w>" | finds "<m>" at <i> in "<w>" | finds
nothing in "<w>" | is refused at position <i> because "<reason>"; Python's re agrees...; the DFA has
<n> states and the minimal DFA <m>; the regular expressions "<r>" and "<s>" are [not] equivalent;
the lazy DFA ...; the NFA of the pathological expression ...; state diagrams and traces attached.

Symbols in tables and lists: a single character, a range ``a-z``, or ``ε`` for an epsilon move.
"""

import re

import parse
from behave import given, then, when

from livingspec import nfa
from livingspec.runner import evidence
from livingspec.runner.types import register


@parse.with_pattern(r"accepts|rejects")
def _verdict(text):
    return text == "accepts"


@parse.with_pattern(r"matches|does not match")
def _matches(text):
    return text == "matches"


@parse.with_pattern(r"is found|is not found")
def _found(text):
    return text == "is found"


@parse.with_pattern(r'[^"]*')
def _quoted(text):
    return text


register(NfaVerdict=_verdict, NfaMatch=_matches, NfaFound=_found, NfaText=_quoted)


def _symbols(text):
    """``a-z`` -> the 26 letters; ``ε`` -> [EPSILON]; ``@`` -> ['@']; ``a-c, @`` -> both."""
    result = []
    for part in (p.strip() for p in text.split(",")):
        if part in ("ε", "epsilon"):
            result.append(nfa.EPSILON)
        elif len(part) == 3 and part[1] == "-":
            result.extend(chr(code) for code in range(ord(part[0]), ord(part[2]) + 1))
        elif len(part) == 1:
            result.append(part)
        elif part == "":
            result.append(",")  # a lone comma cell
        else:
            raise AssertionError(f"a symbol is one character, a range like a-z, or ε; got {part!r}")
    return result


def _transitions(table):
    transitions = {}
    for row in table:
        targets = [t.strip() for t in row["to"].split(",")]
        for symbol in _symbols(row["on"]):
            transitions.setdefault((row["from"], symbol), set()).update(targets)
    return transitions


def _states(states):
    return "{" + ", ".join(str(s) for s in nfa.sorted_states(states)) + "}"


def _build(context):
    spec = context.nfa_spec
    context.nfa_error = None
    try:
        context.nfa = nfa.NFA(spec["states"], spec["alphabet"], spec["transitions"], spec["start"], spec["accepts"])
    except nfa.InvalidAutomatonError as error:
        context.nfa, context.nfa_error = None, error
        evidence.attach_text("why the automaton is invalid", str(error))


def _attach_diagram(name, automaton, regex=None):
    merge = regex.partition.merge_labels if regex is not None else None
    evidence.attach_svg(f"state diagram: {name}", nfa.to_svg(automaton, name, merge))
    evidence.attach_text(f"Graphviz DOT: {name}", nfa.to_dot(automaton, name, merge))


def _attach_trace(name, trace, text):
    rows = [
        (position, repr(text[position - 1]) if position else "(start)", states, count)
        for position, _, states, count in trace.table()
    ]
    evidence.attach_table(name, ["symbols read", "last symbol", "current states", "how many"], rows)


# ---------------------------------------------------------------- Given: automata by hand


@given("the NFA transitions are:")
def step_nfa_transitions(context):
    """Describe delta as a table with columns from, on (a symbol, a range a-z, or ε) and to (states)."""
    context.nfa_spec = getattr(context, "nfa_spec", {}) | {"transitions": _transitions(context.table)}


@given("the NFA declares the states {states:Words}")
def step_nfa_states(context, states):
    """Declare Q, the set of states."""
    context.nfa_spec["states"] = set(states)


@given("the NFA alphabet is {symbols}")
def step_nfa_alphabet(context, symbols):
    """Declare Sigma: characters and ranges, comma separated (a-z, @, .)."""
    context.nfa_spec["alphabet"] = set(_symbols(symbols))


@given("the NFA starts in {start:w} and accepts in {accepts:Words}")
def step_nfa_start_accept(context, start, accepts):
    """Declare q0 and F."""
    context.nfa_spec["start"] = start
    context.nfa_spec["accepts"] = set(accepts)


@given("an NFA over the alphabet {symbols} starting in {start:w} and accepting in {accepts:Words}:")
def step_nfa_from_table(context, symbols, start, accepts):
    """Build an NFA whose states are those its transitions, q0 and F name."""
    transitions = _transitions(context.table)
    states = {start, *accepts} | {key[0] for key in transitions} | set().union(*transitions.values())
    context.nfa_spec = {
        "states": states,
        "alphabet": set(_symbols(symbols)),
        "transitions": transitions,
        "start": start,
        "accepts": set(accepts),
    }
    _build(context)
    assert context.nfa is not None, f"the NFA should be valid: {context.nfa_error}"


# ---------------------------------------------------------------- Given: regular expressions


@given('the regular expression "{pattern:NfaText}"')
def step_regex(context, pattern):
    """Compile a regular expression into its Thompson NFA."""
    context.regex = nfa.compile_regex(pattern)


@given('the regular expression "{pattern:NfaText}" with a lazy DFA cache of {count:d} states')
def step_regex_lazy(context, pattern, count):
    """Compile a regular expression whose lazy DFA may cache only so many states."""
    context.regex = nfa.compile_regex(pattern, lazy_cache=count)


# ---------------------------------------------------------------- When


@when("the NFA is built")
def step_build(context):
    """Validate the 5-tuple and build the automaton (or keep the error)."""
    _build(context)


@when('the NFA reads "{text:NfaText}"')
def step_read(context, text):
    """Run the NFA over a text, keeping the set of current states after each symbol."""
    automaton = context.nfa if getattr(context, "nfa", None) is not None else context.regex.nfa
    symbols = text if getattr(context, "nfa", None) is not None else context.regex.partition.symbols(text)
    context.input = text
    context.trace = automaton.trace(symbols)


@when('the regular expression "{pattern:NfaText}" is compiled')
def step_compile(context, pattern):
    """Compile an expression, keeping the syntax error if it does not parse."""
    context.regex, context.regex_error = None, None
    try:
        context.regex = nfa.compile_regex(pattern)
    except nfa.RegexSyntaxError as error:
        context.regex_error = error
        evidence.attach_text("syntax error", str(error))


@when("the NFA is determinised")
def step_determinise(context):
    """Subset construction, then Hopcroft's minimisation, of the hand-built NFA."""
    context.dfa = nfa.subset_construction(context.nfa)
    context.minimal_dfa = nfa.minimize(context.dfa)
    context.source_nfa, context.dfa_regex = context.nfa, None


@when("the regular expression is turned into a DFA")
def step_regex_dfa(context):
    """Subset construction, then Hopcroft's minimisation, of the expression's NFA."""
    context.dfa = context.regex.dfa
    context.minimal_dfa = context.regex.minimal_dfa
    context.source_nfa, context.dfa_regex = context.regex.nfa, context.regex


@when('the lazy DFA matches "{text:NfaText}"')
def step_lazy(context, text):
    """Match a whole text with the expression's lazy DFA."""
    context.input = text
    context.lazy_verdict = context.regex.fullmatch(text)


# ---------------------------------------------------------------- Then: validity


@then("the NFA is rejected because the states {states:Words} are not declared")
def step_rejected_states(context, states):
    """The 5-tuple is invalid: transitions name states missing from Q."""
    error = context.nfa_error
    assert isinstance(error, nfa.UndeclaredStateError), f"expected UndeclaredStateError, got {error!r}"
    assert error.states == set(states), f"expected undeclared states {states}, error names {sorted(error.states)}"


@then("the NFA is rejected because {part} is not in Q")
def step_rejected_other(context, part):
    """The 5-tuple is invalid: its start state or an accept state is missing from Q."""
    error = context.nfa_error
    kinds = {"the start state": nfa.StartStateError, "an accept state": nfa.AcceptStateError}
    assert isinstance(error, kinds[part]), f"expected {kinds[part].__name__}, got {error!r}"


@then("the NFA is rejected because it reads symbols {symbols} outside its alphabet")
def step_rejected_symbols(context, symbols):
    """The 5-tuple is invalid: transitions read symbols missing from Sigma."""
    error = context.nfa_error
    assert isinstance(error, nfa.UnknownSymbolError), f"expected UnknownSymbolError, got {error!r}"
    assert error.symbols == set(_symbols(symbols)), f"expected {symbols}, error names {sorted(error.symbols)}"


@then("the NFA is valid")
def step_valid(context):
    """The 5-tuple passed validation."""
    assert context.nfa is not None, f"expected a valid NFA, got {context.nfa_error}"


@then("the NFA state {state:w} is unreachable")
def step_unreachable(context, state):
    """A declared state that no path from q0 reaches."""
    reachable = context.nfa.reachable()
    assert state not in reachable, f"expected {state} unreachable; reachable: {_states(reachable)}"


# ---------------------------------------------------------------- Then: runs


@then('the NFA {verdict:NfaVerdict} "{text:NfaText}"')
def step_nfa_verdict(context, verdict, text):
    """Acceptance by the hand-built NFA, with its states after each symbol attached."""
    trace = context.nfa.trace(text)
    _attach_trace(f"current states reading {text!r}", trace, text)
    word = "accept" if verdict else "reject"
    assert trace.accepted == verdict, (
        f"expected the NFA to {word} {text!r}; it ended in {_states(trace.rows[-1].states)}"
    )


@then("the NFA {verdict:NfaVerdict} the input")
def step_nfa_verdict_input(context, verdict):
    """Acceptance of the text the NFA read."""
    _attach_trace(f"current states reading {context.input!r}", context.trace, context.input)
    word = "accept" if verdict else "reject"
    assert context.trace.accepted == verdict, f"expected the NFA to {word} {context.input!r}"


@then("after {count:d} symbols the NFA is in the states {states:Words}")
def step_states_after(context, count, states):
    """The set of current states after reading so many symbols."""
    seen = context.trace.rows[count].states
    assert seen == set(states), f"after {count} symbols expected {{{', '.join(states)}}}, the NFA is in {_states(seen)}"


@then("after {count:d} symbols the NFA is in no state at all")
def step_no_states_after(context, count):
    """Every path has died by then."""
    seen = context.trace.rows[count].states
    assert not seen, f"after {count} symbols expected no current state, the NFA is in {_states(seen)}"


@then("the NFA was in at most {count:d} states at once")
def step_widest(context, count):
    """The largest set of current states during the run."""
    _attach_trace(f"current states reading {context.input!r}", context.trace, context.input)
    assert context.trace.widest <= count, f"expected at most {count} states at once, saw {context.trace.widest}"


@then("the epsilon closure of {state:w} in the NFA is {states:Words}")
def step_closure(context, state, states):
    """The states reachable by epsilon moves alone."""
    closure = context.nfa.epsilon_closure({state})
    assert closure == set(states), f"expected the closure {{{', '.join(states)}}}, got {_states(closure)}"


@then("the NFA can move on {symbol} from {state:w} to the states {states:Words}")
def step_several_moves(context, symbol, state, states):
    """Several transitions on one symbol: delta(state, symbol) has more than one state."""
    targets = context.nfa.transitions.get((state, symbol), frozenset())
    assert targets == set(states), (
        f"expected delta({state}, {symbol}) = {{{', '.join(states)}}}, got {_states(targets)}"
    )
    choices = context.nfa.nondeterministic_choices()
    evidence.attach_table(
        "nondeterministic choices",
        ["state", "symbol", "targets"],
        [(k[0], k[1], _states(v)) for k, v in choices.items()],
    )


@then('the NFA has {total:d} paths over "{text:NfaText}", {accepting:d} of them accepting')
def step_paths(context, total, text, accepting):
    """Every computation over a text, each a path of states; the NFA accepts if any path accepts."""
    paths = context.nfa.paths(text)
    rows = [(p.text(), "accepts" if p.accepting else ("rejects" if p.complete else "stuck")) for p in paths]
    evidence.attach_table(f"paths over {text!r}", ["path", "outcome"], rows)
    seen = sum(p.accepting for p in paths)
    assert (len(paths), seen) == (total, accepting), f"expected {total} paths, {accepting} accepting; got {rows}"


# ---------------------------------------------------------------- Then: regular expressions


@then('the regular expression {verdict:NfaVerdict} "{text:NfaText}"')
def step_regex_verdict(context, verdict, text):
    """Full match of the expression (lazy DFA), checked against the NFA simulation."""
    got, by_nfa = context.regex.fullmatch(text), context.regex.nfa_fullmatch(text)
    assert got == by_nfa, f"the lazy DFA says {got}, the NFA says {by_nfa} for {text!r}"
    assert got == verdict, f"expected the expression to {'accept' if verdict else 'reject'} {text!r}"


@then("the NFA is equivalent to the regular expression")
def step_equivalent(context):
    """Language equivalence of the hand-built NFA and the expression's NFA over the same characters."""
    compiled = context.regex.over_alphabet(context.nfa.alphabet)
    result = nfa.equivalent(context.nfa, compiled)
    _attach_diagram("the expression's Thompson NFA", context.regex.nfa, context.regex)
    assert result.equivalent, f"they differ on {''.join(result.counterexample or ())!r}"


@then('the regular expression {verdict:NfaMatch} the whole of "{text:NfaText}"')
def step_fullmatch(context, verdict, text):
    """Full match by the lazy DFA, the NFA, the DFA and the minimal DFA, all agreeing."""
    regex = context.regex
    verdicts = {
        "lazy DFA": regex.fullmatch(text),
        "NFA": regex.nfa_fullmatch(text),
        "DFA": regex.dfa_fullmatch(text),
        "minimal DFA": regex.minimal_dfa_fullmatch(text),
    }
    assert set(verdicts.values()) == {verdict}, f"expected {verdict} for {text!r} from all; got {verdicts}"


@then('the regular expression {verdict:NfaFound} in "{text:NfaText}"')
def step_search(context, verdict, text):
    """Search: the expression matches somewhere in the text (lazy DFA and NFA agree)."""
    got, by_nfa = context.regex.search(text), context.regex.nfa_search(text)
    assert got == by_nfa == verdict, f"expected found={verdict} in {text!r}; lazy DFA {got}, NFA {by_nfa}"


@then('Python\'s re agrees with the regular expression on "{text:NfaText}"')
def step_python_agrees(context, text):
    """The same verdicts from Python's re (with re.ASCII, and $ as \\Z: our $ is end of text)."""
    pattern = re.sub(r"(?<!\\)((?:\\\\)*)\$", r"\1\\Z", context.regex.pattern)
    reference = re.compile(pattern, re.ASCII)
    ours = (context.regex.fullmatch(text), context.regex.search(text))
    theirs = (reference.fullmatch(text) is not None, reference.search(text) is not None)
    assert ours == theirs, f"(fullmatch, search) of {text!r}: ours {ours}, re {theirs}"


@then('the regular expression is refused at position {position:d} because "{reason:NfaText}"')
def step_refused(context, position, reason):
    """A syntax error that says where and why."""
    error = context.regex_error
    assert error is not None, "expected a syntax error, the expression compiled"
    assert (error.position, error.reason.startswith(reason)) == (position, True), (
        f"expected {reason!r} at {position}; got {error.reason!r} at {error.position}"
    )


@then("the state diagram of the regular expression's NFA is attached")
def step_regex_diagram(context):
    """Attach the Thompson NFA's picture and DOT text."""
    _attach_diagram(f"Thompson NFA of {context.regex.pattern}", context.regex.nfa, context.regex)
    dot = nfa.to_dot(context.regex.nfa)
    assert dot.count("->") >= len(context.regex.nfa.edges()) // 2, "the DOT export lost edges"


@then("the state diagram of the NFA is attached")
def step_nfa_diagram(context):
    """Attach the hand-built NFA's picture and DOT text."""
    _attach_diagram("the NFA", context.nfa)
    assert all(f'"{s}"' in nfa.to_dot(context.nfa) for s in context.nfa.states), "the DOT export lost a state"


@then('the current states of the regular expression\'s NFA reading "{text:NfaText}" are attached')
def step_regex_trace(context, text):
    """Attach the set of current states after each character."""
    trace = context.regex.trace(text)
    _attach_trace(f"current states reading {text!r}", trace, text)
    assert len(trace.rows) == len(text) + 1, "expected one row per character, plus the start"


# ---------------------------------------------------------------- Then: determinisation


@then("the DFA has {count:d} states and the minimal DFA {minimal:d}")
def step_dfa_counts(context, count, minimal):
    """State counts of the subset construction and of Hopcroft's minimisation (no dead state)."""
    rows = [
        (state, _states(context.dfa.meaning[state]), "yes" if state in context.dfa.accepting else "")
        for state in sorted(context.dfa.states)
    ]
    evidence.attach_table(
        "subset construction: each DFA state is a set of NFA states", ["DFA state", "NFA states", "accepts"], rows
    )
    _attach_diagram("the DFA", context.dfa, getattr(context, "dfa_regex", None))
    _attach_diagram("the minimal DFA", context.minimal_dfa, getattr(context, "dfa_regex", None))
    seen = (len(context.dfa.states), len(context.minimal_dfa.states))
    assert seen == (count, minimal), f"expected {count} DFA and {minimal} minimal states, got {seen}"


@then("the DFA and the minimal DFA accept what the NFA accepts")
def step_dfa_equivalent(context):
    """Language equivalence of the NFA, its DFA and its minimal DFA."""
    for name, automaton in (("DFA", context.dfa), ("minimal DFA", context.minimal_dfa)):
        result = nfa.equivalent(context.source_nfa, automaton)
        assert result.equivalent, f"the {name} differs from the NFA on {result.counterexample}"


@then('the regular expressions "{first:NfaText}" and "{second:NfaText}" are {verdict}')
def step_regex_equivalence(context, first, second, verdict):
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
def step_lazy_verdict(context, verdict):
    """The lazy DFA's verdict, equal to the NFA simulation's."""
    by_nfa = context.regex.nfa_fullmatch(context.input)
    assert context.lazy_verdict == by_nfa == verdict, f"expected {verdict}; lazy {context.lazy_verdict}, NFA {by_nfa}"


@then("the lazy DFA built {count:d} states and fell back to the NFA {fallbacks:d} time(s)")
def step_lazy_stats(context, count, fallbacks):
    """What the bounded cache did."""
    stats = context.regex.lazy.stats
    evidence.attach_json("lazy DFA cache", stats.__dict__)
    assert (stats.states, stats.fallbacks) == (count, fallbacks), (
        f"expected {count} states, {fallbacks} fallbacks; got {stats}"
    )


@then("the NFA of the pathological expression matches a{{{count:d}}} reading each symbol once")
def step_pathological(context, count):
    """(a?){n}a{n} on a^n: one pass, the set of current states linear in n (attached as a plot)."""
    regex = nfa.compile_regex(f"(a?){{{count}}}a{{{count}}}")
    text = "a" * count
    trace = regex.trace(text)
    context.pathological = (regex, trace)
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


@then("the NFA of the pathological expression has {states:d} states and is never in more than {widest:d} at once")
def step_pathological_size(context, states, widest):
    """Size of the Thompson NFA and of the widest set of current states: both linear in n."""
    regex, trace = context.pathological
    seen = (len(regex.nfa.states), trace.widest)
    assert seen == (states, widest), f"expected {states} NFA states and at most {widest} at once, got {seen}"


@then("the lazy DFA of the pathological expression built {count:d} states")
def step_pathological_lazy(context, count):
    """The lazy DFA for (a?){n}a{n} built one state per symbol read, plus the start."""
    regex, _ = context.pathological
    stats = regex.lazy.stats
    evidence.attach_json("lazy DFA cache", stats.__dict__)
    assert stats.states == count, f"expected {count} lazy DFA states, got {stats.states}"


@then('the regular expression finds "{match:NfaText}" at {start:d} in "{text:NfaText}"')
def step_find(context, match, start, text):
    """Search with a position: the leftmost-longest match (POSIX), and what Python's re finds there."""
    found = context.regex.find(text)
    theirs = re.search(context.regex.pattern, text, re.ASCII)
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
def step_find_nothing(context, text):
    """Search with a position finds no match at all."""
    found = context.regex.find(text)
    assert found is None, f"expected no match in {text!r}, found {text[found[0] : found[1]]!r} at {found[0]}"
