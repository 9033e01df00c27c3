"""Errors that teach: an unknown value names the known ones, a step before its Given names the Given."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Mistakes a newcomer makes
  Background:
    Given the speculative target transformer with its small, self-speculative and prompt-lookup drafts

  Scenario: An unknown draft
    When the target generates 5 tokens speculatively with the huge draft, gamma 2, greedily

  Scenario: A draft of an unknown kind
    Given a speculative draft "mine" described by:
      | kind   |
      | oracle |

  Scenario: A described draft is known by its name
    Given a speculative draft "mine" described by:
      | kind       | blocks |
      | early exit | 2      |
    When the target generates 5 tokens speculatively with the yours draft, gamma 2, greedily

  Scenario: The formula before its figures
    Then the speculative formula predicts 3.29 tokens per target pass
"""


def _behave(behave_with, module: str, feature: str) -> str:
    done = behave_with(module, feature)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_unknown_values_and_missing_givens_teach(behave_with):
    output = _behave(behave_with, "speculative_steps.py", FEATURE)
    assert "undefined" not in output.lower()
    assert "unknown draft 'huge'; known: small, self-speculative, prompt-lookup, unrelated" in output
    assert "unknown draft kind 'oracle'; known: distilled, early exit, prompt lookup, random" in output
    assert "unknown draft 'yours'; known: small, self-speculative, prompt-lookup, unrelated, mine" in output
    assert "start with a step such as: Given a speculative acceptance rate" in output
