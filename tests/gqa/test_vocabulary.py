"""Errors that teach: an unknown value names the known ones, a step before its Given names the Given."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Mistakes a newcomer makes
  Scenario: An unknown model name
    Given the named attention configuration "Llama 9 900B"

  Scenario: An unknown cache dtype
    Given the named attention configuration "Mistral 7B"
    When its KV cache is sized for 1024 tokens of batch 1 in float8

  Scenario: Sizing before describing a model
    When its KV cache is sized for 1024 tokens of batch 1 in float16

  Scenario: The ad-hoc layer paired with sizing works
    Given a grouped-query attention layer with 8 query heads and 2 key/value heads
    When its KV cache is sized for 4096 tokens of batch 1 in float32
    Then the KV cache takes 2 MiB per layer
"""


def _behave(behave_with, module: str, feature: str) -> str:
    done = behave_with(module, feature)
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_unknown_values_and_missing_givens_teach(behave_with):
    output = _behave(behave_with, "gqa_steps.py", FEATURE)
    assert "undefined" not in output.lower()
    assert "unknown attention configuration 'Llama 9 900B'; known: Llama 2 13B, Llama 2 70B" in output
    assert "unknown cache dtype 'float8'; known: bfloat16, float16, float32, fp8, int8" in output
    assert "start with a step such as: Given the named attention configuration" in output
    assert "AttributeError" not in output
    assert "expected 2 MiB per layer, computed 1.0" in output  # the layer is sized: only the figure is wrong
