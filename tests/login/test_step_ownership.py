"""The seed's generic phrases ("I click the "Login" button", "I should see ...") belong to the login steps only.

All concepts share one step registry. The seed's phrases carry no concept word, so this test
checks across every loaded step module that each of them is matched by exactly one definition,
in steps/login_steps.py, whatever step type it is used with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from livingspec.runner.bridge import load_behave_steps

ROOT = Path(__file__).resolve().parents[2]
SEED_PHRASES = [
    "I am on the login page",
    'I enter valid email "john@example.com"',
    'I enter valid password "mypassword123"',
    'I click the "Login" button',
    "I should be redirected to my dashboard",
    'I should see "Welcome back, John!"',
    'I enter email "john@example.com"',
    'I enter incorrect password "wrongpassword"',
    "I should remain on the login page",
    'I should see error message "Invalid email or password"',
    "I have already failed to login 2 times",
    'I should see "Account temporarily locked. Try again in 15 minutes"',
    "the login form should be disabled",
]


@pytest.mark.parametrize("phrase", SEED_PHRASES)
def test_seed_phrase_has_exactly_one_definition_and_it_is_ours(phrase: str) -> None:
    registry = load_behave_steps(ROOT / "steps")
    owners = [
        str(matcher.location.filename)
        for matchers in registry.steps.values()
        for matcher in matchers
        if matcher.match(phrase) is not None
    ]
    assert len(owners) == 1 and Path(owners[0]).name == "login_steps.py", f"{phrase!r} is matched by {owners}"
