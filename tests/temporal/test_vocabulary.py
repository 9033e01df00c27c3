"""Errors that teach: an unknown value names the known ones, a step before its Given names the Given."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Mistakes a newcomer makes
  Scenario: An unknown program
    Given a counter program of 2 tasks incrementing 2 times each without a lock
    When the fancy program runs in simulated time

  Scenario: An unknown cart variant
    When the sorted cart runs in simulated time

  Scenario: A way of locking that does not exist
    Given a counter program of 2 tasks incrementing 2 times each with a mutex

  Scenario: A run before its program
    When the counter program runs in simulated time

  Scenario: Another program than the one set up
    Given a stored cart that 2 writers each load, extend and save without a lock
    When the counter program runs in simulated time
"""


def _behave(behave_with, module: str, feature: str) -> str:
    done = behave_with(module, feature)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_unknown_values_and_missing_givens_teach(behave_with):
    output = _behave(behave_with, "temporal_steps.py", FEATURE)
    assert "undefined" not in output.lower()
    assert "unknown program 'fancy program'; known: counter program, cache program" in output
    assert "unknown cart variant 'sorted'; known: racy, locked, ordered" in output
    assert "unknown locking 'with a mutex'; known: under a lock, without a lock" in output
    assert "which no earlier step gave; start with a step such as: Given a counter program" in output
    assert "the scenario set up the stored cart program, not the counter program" in output
