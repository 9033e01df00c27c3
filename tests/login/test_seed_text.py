"""The seed's "Feature: User Login" (day 8) stands in features/login word for word."""

from __future__ import annotations

from pathlib import Path

FEATURE = Path(__file__).resolve().parents[2] / "features" / "login" / "user_login.feature"

# Copied from the seed (shared/seeds/000_01958fc16b65e126.txt, day 8), indentation as there.
SEED = """\
Feature: User Login
  As a customer
  I want to log into my account
  So that I can access my personal dashboard and order history

  Scenario: Successful login with valid credentials
    Given I am on the login page
    When I enter valid email "john@example.com"
    And I enter valid password "mypassword123"
    And I click the "Login" button
    Then I should be redirected to my dashboard
    And I should see "Welcome back, John!"

  Scenario: Login with invalid credentials
    Given I am on the login page
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should remain on the login page
    And I should see error message "Invalid email or password"

  Scenario: Account lockout after multiple failed attempts
    Given I am on the login page
    And I have already failed to login 2 times
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should see "Account temporarily locked. Try again in 15 minutes"
    And the login form should be disabled
"""


def _blocks(text: str) -> list[str]:
    return [block.strip("\n") for block in text.split("\n\n") if block.strip()]


def test_narrative_opens_the_feature() -> None:
    narrative = _blocks(SEED)[0]
    assert FEATURE.read_text(encoding="utf-8").startswith(narrative + "\n")


def test_each_seed_scenario_is_in_the_feature_word_for_word() -> None:
    feature = FEATURE.read_text(encoding="utf-8")
    for scenario in _blocks(SEED)[1:]:
        assert f"  @seed-example\n{scenario}\n" in feature, f"the seed scenario changed:\n{scenario}"


def test_the_seed_feature_holds_the_seeds_three_scenarios_only() -> None:
    """The declarative scenarios live beside the seed's feature, not inside it."""
    feature = FEATURE.read_text(encoding="utf-8")
    titles = [line.strip() for line in feature.splitlines() if line.strip().startswith(("Scenario", "Rule"))]
    assert titles == [line.strip() for line in SEED.splitlines() if line.strip().startswith("Scenario")]


def _scenarios(path: Path) -> list[tuple[str, list[str]]]:
    """(title, step keywords) per scenario of a feature file."""
    found: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] in ("Scenario:", "Scenario", "Background:"):
            found.append((line.strip(), []))
        elif words[0] in ("Given", "When", "Then", "And", "But") and found:
            found[-1][1].append(words[0])
    return found


def test_each_login_scenario_shows_one_behaviour() -> None:
    """One event per scenario: at most one When, and nothing happens after the outcome is checked."""
    for name in ("user_login.feature", "sign_in.feature", "bdd_cycle.feature"):
        for title, keywords in _scenarios(FEATURE.parent / name):
            assert keywords.count("When") <= 1, f"{name}: {title!r} has {keywords.count('When')} When steps"
            if "Then" in keywords:
                after = keywords[keywords.index("Then") :]
                assert set(after) <= {"Then", "And", "But"}, f"{name}: {title!r} acts after its Then"


def test_the_declarative_feature_names_no_field_button_or_path() -> None:
    """Declarative steps say what the customer does, not how the page is worked."""
    text = (FEATURE.parent / "sign_in.feature").read_text(encoding="utf-8")
    rule = "  Rule: The same behaviour can be told imperatively or declaratively"
    declarative = text.replace(text[text.index(rule) : text.index("  Rule:", text.index(rule) + 1)], "")
    steps = [
        line.strip()
        for line in declarative.splitlines()
        if line.split() and line.split()[0] in ("Given", "When", "Then", "And", "But")
    ]
    for imperative in ("I enter", "I click", "button", "I open the shop page", '"/'):
        assert not [s for s in steps if imperative in s], f"an imperative step ({imperative!r}) in sign_in.feature"
