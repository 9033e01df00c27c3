"""Parse types shared by both runners: registered with behave here, handed to pytest-bdd by the bridge.

Use them in step patterns as ``{name:Type}``; patterns use named fields only, so pytest-bdd can
pass each value to the step by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

import parse

from livingspec.errors import LivingSpecError

F = TypeVar("F", bound=Callable[[str], Any])


class ScenarioTextError(LivingSpecError, AssertionError):
    """The scenario's text is wrong (an unknown value, a step before its Given), not the system under test.

    An AssertionError as well, so both runners report it as the step's clean failure, with its
    sentence and no traceback: behave marks the step failed (not errored) and the pytest plugin
    shortens the report to the step and the sentence.
    """


class UnknownChoiceError(ScenarioTextError):
    """A step named a value outside its list of known ones (the message lists them).

    Deliberately not a ValueError: both runners then report it as the step's failure instead of
    treating the step as undefined.
    """


def _pattern(regex: str) -> Callable[[F], F]:
    """parse.with_pattern, typed: gives the converter the regex its text must match."""
    decorate: Callable[[F], F] = parse.with_pattern(regex)
    return decorate


_INT = r"[+-]?\d+"
_NUM = r"[+-]?\d+(?:\.\d+)?"
_MONEY = r"[+-]?\$\d+(?:\.\d+)?"
_SEP = r"\s*,\s*"


def _list_of(item: str) -> str:
    return rf"{item}(?:{_SEP}{item})*"


@_pattern(_list_of(_INT))
def parse_ints(text: str) -> list[int]:
    """whole numbers separated by commas, each with an optional sign: 3, 5, 7 or 100, +25, -15"""
    return [int(part) for part in re.split(_SEP, text.strip())]


@_pattern(_list_of(_NUM))
def parse_numbers(text: str) -> list[Decimal]:
    """decimal numbers separated by commas, read exactly, optional sign, no exponent: 100.50, 100.75, -0.25"""
    return [Decimal(part) for part in re.split(_SEP, text.strip())]


@_pattern(_list_of(_MONEY))
def parse_amounts(text: str) -> list[Decimal]:
    """dollar amounts separated by commas, read exactly, any sign before the $: $100.50, -$0.15, +$0.25"""
    return [Decimal(part.replace("$", "")) for part in re.split(_SEP, text.strip())]


@_pattern(_NUM)
def parse_decimal(text: str) -> Decimal:
    """a decimal number, read exactly, optional sign, no exponent: 0.15, -2, 12.5"""
    return Decimal(text)


@_pattern(r"[^,\s][^,]*(?:,\s*[^,\s][^,]*)*")
def parse_words(text: str) -> list[str]:
    """items separated by commas, any text but a comma: apples, pears, plums (3 items); GET /jwks, POST /token (2)"""
    return [part.strip() for part in text.split(",")]


@_pattern(r"yes|no|true|false")
def parse_bool(text: str) -> bool:
    """yes or no (true or false are accepted too)"""
    return text in ("yes", "true")


#: One or more words separated by single spaces: a pattern for multi-word choices ("round robin").
MULTIWORD = r"[\w.+-]+(?: [\w.+-]+)*"


def choice(noun: str, options: Iterable[str], pattern: str = r"[\w.+-]+") -> Callable[[str], str]:
    """A parse type that accepts one of ``options`` and refuses any other value with the known ones listed.

    ``pattern`` is the text the step matches structurally; a value that fits it but is not an option
    raises UnknownChoiceError (``unknown strategy 'xyz'; known: a, b, c``). The converter keeps
    ``noun`` and ``options`` for the step catalog.
    """
    known = tuple(options)

    @_pattern(pattern)
    def convert(text: str) -> str:
        if text not in known:
            raise UnknownChoiceError(f"unknown {noun} {text!r}; known: {', '.join(known)}")
        return text

    convert.noun = noun  # type: ignore[attr-defined]
    convert.options = known  # type: ignore[attr-defined]
    convert.__doc__ = f"one {noun}: {', '.join(known)}"
    return convert


#: Every custom type, by the name used in step patterns.
TYPES: dict[str, Callable[[str], Any]] = {
    "Ints": parse_ints,
    "Numbers": parse_numbers,
    "Amounts": parse_amounts,
    "Decimal": parse_decimal,
    "Words": parse_words,
    "Bool": parse_bool,
}


def register(**converters: Callable[[str], Any]) -> None:
    """Add concept-specific parse types (call at the top of a step module, before its steps).

    They join TYPES, which the pytest-bdd bridge passes to every pattern, and behave's registry.
    """
    clash = {name for name, conv in converters.items() if name in TYPES and TYPES[name] is not conv}
    if clash:
        raise ValueError(f"parse type(s) already registered with another converter: {', '.join(sorted(clash))}")
    TYPES.update(converters)
    register_with_behave()


def register_with_behave() -> None:
    """Register TYPES with behave's parse matcher, and report scenario-text errors as failures (idempotent)."""
    from behave.matchers import MatchWithError, ParseMatcher

    _raise_scenario_text_errors(MatchWithError)
    missing = {name: conv for name, conv in TYPES.items() if name not in ParseMatcher.TYPE_REGISTRY}
    if missing:
        ParseMatcher.TYPE_REGISTRY.register_type(**missing)


def _raise_scenario_text_errors(match_with_error: Any) -> None:
    """Make behave raise a converter's ScenarioTextError itself, not wrapped in StepParseError.

    behave wraps any error of a type converter in StepParseError (a ValueError), which it reports
    as an error with a traceback; raised as it is, an UnknownChoiceError (an AssertionError) fails
    the step with its sentence, as an assertion in the step would.
    """
    original = match_with_error.run
    if getattr(original, "raises_scenario_text_errors", False):
        return

    def run(self: Any, context: Any) -> Any:
        if isinstance(self.stored_error, ScenarioTextError):
            raise self.stored_error
        return original(self, context)

    run.raises_scenario_text_errors = True  # type: ignore[attr-defined]
    match_with_error.run = run
