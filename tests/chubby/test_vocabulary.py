"""Errors that teach on the Chubby steps: unknown values list the known ones, a missing Given is named."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Mistakes a newcomer makes with Chubby
  Scenario: An unknown session state
    Given a Chubby cell of 3 replicas
    And the Chubby client App has an open session
    Then the Chubby client App's session is sleepy

  Scenario: An unknown write verdict
    Given a Chubby cell of 3 replicas
    And the Chubby client Writer has an open session
    When the Chubby client Writer writes 10 bytes to /ls/local/config/blob
    Then the Chubby write is maybe

  Scenario: An unknown event kind
    Given a Chubby cell of 3 replicas
    And the Chubby client Reader has an open session
    And the Chubby client Reader subscribes to "contents changed" on /ls/local/config

  Scenario: A replica the cell does not have
    Given a Chubby cell of 3 replicas
    When the Chubby replica Replica9 fails

  Scenario: An unknown setting of a described cell
    Given a Chubby cell described as:
      | setting | value |
      | lease   | 3     |

  Scenario: A fault before any cell
    When the Chubby master fails
"""


def test_unknown_values_and_missing_givens_teach(behave_with):
    done = behave_with("chubby_steps.py", FEATURE)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "undefined" not in output.lower()
    assert "unknown session state 'sleepy'; known: safe, jeopardy, expired" in output
    assert "unknown write verdict 'maybe'; known: accepted, refused" in output
    assert "unknown node event kind 'contents changed'; known: contents modified, child added" in output
    assert "no replica named 'Replica9'; the cell has Replica1, Replica2, Replica3" in output
    assert "unknown Chubby setting 'lease'; known: replicas, master lease" in output
    missing = "this step needs a Chubby cell, which no earlier step gave; start with a step such as: "
    assert missing + "Given a Chubby cell of 5 replicas" in output
    assert "AttributeError" not in output
