"""The login vocabulary: published phrases keep working, phrases work where they read naturally, mistakes teach."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = Path(__file__).resolve().parent / "published_scenarios.feature"

IN_ANY_POSITION = """\
Feature: Phrases in the position a writer reaches for
  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  Scenario: Signing in as the event of a scenario
    Given I am not signed in to the shop
    When I have signed in to the shop as "john@example.com" with password "mypassword123"
    Then I should see "Welcome back, John!"

  Scenario: Typing as the context and clicking as the event
    Given I am on the login page
    And I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    When I click the "Login" button
    Then I should see error message "Invalid email or password"

  Scenario: Failures and time passing as events
    Given I am on the login page
    When I have already failed to login 3 times
    And the login clock moves on 14 minutes
    And I enter valid email "john@example.com"
    And I enter valid password "mypassword123"
    And I click the "Login" button
    Then I should see "Account temporarily locked. Try again in 1 minute"

  Scenario: A customer's failures as the event
    When John has failed to sign in 3 times
    Then the shop's count of consecutive failed logins for "john@example.com" is 3
"""

MISTAKES = """\
Feature: Mistakes a newcomer makes with the login steps
  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  Scenario: A button the shop does not have
    Given I am on the login page
    When I click the "Sign up" button

  Scenario: A customer without an account
    When Bob signs in

  Scenario: A page the shop does not have
    When the visitor opens the basket

  Scenario: A login form state that does not exist
    Given I am on the login page
    Then the login form is greyed

  Scenario: A behave verdict before any run
    Then the BDD workspace run is green
"""

NO_ACCOUNT = """\
Feature: Failures before any account
  Scenario: The seed's failures need to know whose
    Given I have already failed to login 2 times
"""


def _behave(behave_with, feature: str) -> subprocess.CompletedProcess[str]:
    return behave_with("login_steps.py", feature, "-D", "target=embedded")


def _passed(output: str) -> int:
    found = re.search(r"^(\d+) scenarios? passed, 0 failed", output, re.MULTILINE)
    assert found, output[-3000:]
    return int(found.group(1))


def test_every_published_scenario_still_runs_word_for_word(behave_with) -> None:
    """The scenarios written with the earlier phrases run unchanged (they moved to declarative words)."""
    done = _behave(behave_with, PUBLISHED.read_text(encoding="utf-8"))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert _passed(output) == 19


def test_phrases_work_after_given_when_or_then(behave_with) -> None:
    """Signing in, typing, failing and time passing read naturally as context or as event, and work as both."""
    done = _behave(behave_with, IN_ANY_POSITION)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert _passed(output) == 4


def test_mistakes_fail_with_a_sentence_that_says_how_to_put_them_right(behave_with) -> None:
    done = _behave(behave_with, MISTAKES)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "undefined" not in output.lower(), output[-3000:]
    assert "unknown button 'Sign up'; known: Login, Log out" in output
    assert "no customer named 'Bob' (known: John); start with: Given the shop has a customer account" in output
    assert "unknown shop page 'basket'; known: dashboard, order history" in output
    assert "unknown login form state 'greyed'; known: disabled, enabled" in output
    assert "this step needs a behave run of the BDD workspace" in output
    assert "start with a step such as: When behave runs the BDD workspace" in output
    assert "AttributeError" not in output


def test_the_seeds_failures_before_any_account_name_the_given(behave_with) -> None:
    done = _behave(behave_with, NO_ACCOUNT)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "this step needs a customer account, which no earlier step gave" in output
    assert 'start with a step such as: Given the shop has a customer account for "John"' in output
    assert "AttributeError" not in output
