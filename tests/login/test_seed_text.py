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
