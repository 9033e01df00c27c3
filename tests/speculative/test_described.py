"""Described drafts and targets, and the two readings of an acceptance rate."""

from __future__ import annotations

import pytest

from livingspec.speculative import (
    DRAFT_PRESETS,
    TINY,
    DraftError,
    DraftSpec,
    PromptLookupDraft,
    SelfSpeculativeDraft,
    TargetSpec,
    alpha_for_kept_fraction,
    expected_tokens_per_pass,
    kept_fraction,
    readings,
)


def test_the_named_drafts_are_presets_of_the_description():
    pair = TINY.build()
    assert isinstance(DRAFT_PRESETS["self-speculative"].build(pair), SelfSpeculativeDraft)
    assert isinstance(DRAFT_PRESETS["prompt-lookup"].build(pair), PromptLookupDraft)
    assert DRAFT_PRESETS["small"].build(pair).model is pair.small_draft


@pytest.mark.parametrize(
    "description",
    [{"kind": "oracle"}, {"blocks": "2"}, {"kind": "early exit", "blocks": "two"}, {"kind": "random", "colour": "1"}],
)
def test_a_bad_draft_description_is_refused(description):
    with pytest.raises(DraftError):
        DraftSpec.described(description)


def test_a_target_description_keeps_the_presets_other_values():
    spec = TargetSpec.described({"blocks": "6", "refinement": "0.1"})
    assert (spec.blocks, spec.refinement, spec.heads, spec.seed) == (6, 0.1, TINY.heads, TINY.seed)
    with pytest.raises(DraftError):
        TargetSpec.described({"depth": "6"})


@pytest.mark.parametrize("gamma", [1, 3, 5, 8])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.75, 0.95])
def test_kept_fraction_and_alpha_invert_each_other(alpha, gamma):
    fraction = kept_fraction(alpha, gamma)
    assert fraction <= alpha
    assert alpha_for_kept_fraction(fraction, gamma) == pytest.approx(alpha, abs=1e-9)
    # tokens per pass = kept per round + the target's own token
    assert expected_tokens_per_pass(alpha, gamma) == pytest.approx(fraction * gamma + 1)


def test_the_seeds_75_percent_read_both_ways():
    per_token, kept = readings(0.75, 5, 0.1, 3.2)
    assert round(per_token.seconds, 2) == 1.46 and round(per_token.speedup, 2) == 2.19
    assert round(kept.alpha, 3) == 0.906 and round(kept.tokens_per_pass, 2) == 4.75
    assert round(kept.seconds, 2) == 1.01 and round(kept.speedup, 2) == 3.17
