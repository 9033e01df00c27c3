"""The docstrings of table-taking steps list every setting, field and value the concept accepts.

The catalog prints a step's docstring as its meaning, so a newcomer learns a table's columns from
it; these tests compare each docstring with the concept constant the step's converter reads, so a
setting added to the concept without a line in the docstring fails here.
"""

from decimal import Decimal
from pathlib import Path

import parse
import pytest

from livingspec.chubby.client import SESSION_EVENT_KINDS
from livingspec.chubby.config import SETTINGS as CHUBBY_SETTINGS
from livingspec.chubby.store import EVENT_KINDS
from livingspec.compression import corpus
from livingspec.delta import samples
from livingspec.oidc import forgery
from livingspec.runner.bridge import load_behave_steps
from livingspec.sticky import described

ROOT = Path(__file__).resolve().parents[2]


def docstring(pattern: str) -> str:
    """The docstring of the step whose pattern is ``pattern``, with its lines joined."""
    registry = load_behave_steps(ROOT / "steps")
    for matchers in registry.steps.values():
        for matcher in matchers:
            if matcher.pattern == pattern:
                return " ".join((matcher.func.__doc__ or "").split())
    raise AssertionError(f"no step with the pattern {pattern!r}")


DELTA_NAMES = (*samples.SETTINGS, *samples.SHAPES)
STICKY_STRATEGY = (*described.STRATEGY_SETTINGS,)
STICKY_SHOP = (*described.SHOP_SETTINGS, *described.STRATEGY_SETTINGS[1:], *described.BALANCERS, *described.STORES)

OIDC_DESCRIPTION = (*forgery.SIGNATURES, forgery.ABSENT, "claim <name>", "header <name>", "preset", "now+3600")
COMPRESSION_PAYLOADS = (*corpus.KINDS, *(shape for shapes in corpus.SHAPES.values() for shape in shapes))

DOCUMENTED = [
    ("a {alg:OidcAlg} ID token from the OpenID provider described as:", OIDC_DESCRIPTION),
    ("the ID token is replaced by one described as:", OIDC_DESCRIPTION),
    ("the payloads:", COMPRESSION_PAYLOADS),
    ("a {kind:DeltaSeriesKind} series of {count:d} values with these settings:", DELTA_NAMES),
    ("a series of {count:d} values described by:", DELTA_NAMES),
    ('a series kind "{name}" described by:', DELTA_NAMES),
    ("a shop described as:", STICKY_SHOP),
    ("a balancer over servers {names:StickyServers} using a strategy described as:", STICKY_STRATEGY),
    ("a Chubby cell described as:", tuple(CHUBBY_SETTINGS)),
    ("the Chubby client {name:ChubbyName} received these events:", (*EVENT_KINDS, *SESSION_EVENT_KINDS)),
]


@pytest.mark.parametrize(("pattern", "names"), DOCUMENTED, ids=[pattern for pattern, _ in DOCUMENTED])
def test_a_table_steps_docstring_lists_every_name_it_accepts(pattern, names):
    text = docstring(pattern)
    missing = [name for name in names if name not in text]
    assert not missing, f"the docstring of {pattern!r} does not mention {missing}"


def test_the_sticky_shop_docstring_gives_the_default_cookie_name():
    from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME

    assert f"default {DEFAULT_COOKIE_NAME}" in docstring("a shop described as:")


def test_the_delta_docstrings_give_the_series_kinds_defaults():
    defaults = samples.SeriesKind("regular")
    text = docstring("a series of {count:d} values described by:")
    for name in ("start", "step", "jitter", "volatility", "minimum", "seed"):
        assert f"{name}: " in text and str(getattr(defaults, name)) in text, name


def test_the_explorer_steps_docstring_lists_every_programs_symptom():
    from livingspec.temporal import subjects

    programs = [
        subjects.cart("racy", []),
        subjects.counter(2, 1, locked=False),
        subjects.cache(10, 5),
        subjects.stored_cart(2, locked=False),
        subjects.task_steps([1, 1], shared=True),
    ]
    text = docstring("the explorer found {count:d} {noun:TemporalInterleavings} that {symptom}")
    missing = [p.symptom for p in programs if f"{p.symptom} (" not in text]
    assert not missing, f"the explorer step's docstring does not list the symptoms {missing}"


# Each shared parse type's docstring (the catalog's line for it) gives examples; each example, parsed
# by the type as a step would, gives the value the docstring implies.
SHARED_EXAMPLES = [
    ("Ints", "3, 5, 7", [3, 5, 7]),
    ("Ints", "100, +25, -15", [100, 25, -15]),
    ("Numbers", "100.50, 100.75, -0.25", [Decimal("100.50"), Decimal("100.75"), Decimal("-0.25")]),
    ("Amounts", "$100.50, -$0.15, +$0.25", [Decimal("100.50"), Decimal("-0.15"), Decimal("0.25")]),
    ("Decimal", "-2", Decimal(-2)),
    ("Decimal", "12.5", Decimal("12.5")),
    ("Words", "apples, pears, plums", ["apples", "pears", "plums"]),
    ("Words", "GET /jwks, POST /token", ["GET /jwks", "POST /token"]),
    ("Bool", "yes", True),
    ("Bool", "false", False),
]


@pytest.mark.parametrize(("type_name", "example", "value"), SHARED_EXAMPLES)
def test_a_shared_types_docstring_examples_parse_as_it_says(type_name, example, value):
    from livingspec.runner.types import TYPES

    converter = TYPES[type_name]
    assert example in (converter.__doc__ or ""), f"{type_name}'s docstring no longer shows {example!r}"
    parsed = parse.parse(f"<{{x:{type_name}}}>", f"<{example}>", extra_types=TYPES)
    assert parsed is not None, f"{example!r} does not match {type_name}"
    assert parsed["x"] == value


def test_the_words_docstring_counts_its_examples_items_right():
    from livingspec.runner.types import parse_words

    assert "apples, pears, plums (3 items)" in (parse_words.__doc__ or "")
    assert "GET /jwks, POST /token (2)" in (parse_words.__doc__ or "")
