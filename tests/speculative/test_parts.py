"""Sampling settings, drafts, the theory formulas, the chatbot and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.gqa import Transformer
from livingspec.speculative import (
    GREEDY,
    TINY_TARGET,
    ChatBotWithSpeculativeDecoding,
    DraftError,
    GenerationError,
    ModelDraft,
    PromptLookupDraft,
    Sampling,
    SamplingError,
    SelfSpeculativeDraft,
    SpeculativeError,
    best_gamma,
    check_distribution,
    cost_ratio_for_speedup,
    detokenize,
    draw,
    expected_speedup,
    expected_tokens_per_pass,
    model_pair,
    speculative_generate,
    tokenize,
)


def test_sampling_applies_temperature_top_k_and_greedy():
    logits = np.array([[1.0, 3.0, 2.0, 0.0]])
    np.testing.assert_array_equal(GREEDY.probs(logits), [[0, 1, 0, 0]])
    top2 = Sampling(1.0, top_k=2).probs(logits)[0]
    assert top2[0] == top2[3] == 0 and np.isclose(top2.sum(), 1)
    assert Sampling(0.5).probs(logits)[0, 1] > Sampling(1.0).probs(logits)[0, 1]
    for bad in ({"temperature": -1.0}, {"temperature": float("inf")}, {"top_k": 0}):
        with pytest.raises(SamplingError):
            Sampling(**bad)


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20), st.floats(0.05, 5), st.integers(1, 25))
def test_probs_are_always_distributions(logits, temperature, top_k):
    p = Sampling(temperature, top_k).probs(np.array(logits))
    check_distribution(p)
    assert (p > 0).sum() <= top_k or len(set(logits)) < len(logits)


def test_check_distribution_names_the_vector():
    for bad in ([0.5, 0.6], [-0.1, 1.1], [], [float("nan"), 1.0]):
        with pytest.raises(SamplingError, match="q is not"):
            check_distribution(np.array(bad), "q")


def test_draw_is_seeded_and_inside_the_support():
    p = np.array([0.0, 0.3, 0.0, 0.7])
    draws = {draw(p, np.random.default_rng(s)) for s in range(50)}
    assert draws == {1, 3}


def test_theory_formulas():
    assert expected_tokens_per_pass(1.0, 4) == 5
    assert expected_tokens_per_pass(0.0, 4) == 1
    assert expected_tokens_per_pass(0.5, 0) == 1
    assert round(expected_speedup(0.75, 5, 0.1), 2) == 2.19
    assert round(cost_ratio_for_speedup(0.75, 5, 3.2 / 1.1), 3) == 0.026
    assert best_gamma(0.9, 0.05) > best_gamma(0.6, 0.05) >= 1
    assert best_gamma(0.1, 0.5) == 0
    with pytest.raises(DraftError):
        expected_speedup(1.5, 2, 0.1)
    with pytest.raises(DraftError):
        cost_ratio_for_speedup(0.5, 0, 2)


@given(st.floats(0, 0.999), st.integers(0, 16), st.floats(0, 1))
def test_speedup_is_tokens_per_pass_over_cost(alpha, gamma, c):
    assert np.isclose(expected_speedup(alpha, gamma, c) * (gamma * c + 1), expected_tokens_per_pass(alpha, gamma))
    assert 1 <= expected_tokens_per_pass(alpha, gamma) <= gamma + 1 + 1e-9


def test_prompt_lookup_prefers_the_longest_and_latest_match():
    draft = PromptLookupDraft(10, max_ngram=3)
    assert draft.lookup([1, 2, 3, 9, 1, 2, 3, 8, 1, 2, 3], 2) == [8, 1]
    assert draft.lookup([5, 6, 7], 3) == []
    assert draft.lookup([4, 4], 3) == [4]
    proposal = draft.propose([1, 2, 1], 3, GREEDY, np.random.default_rng(0))
    assert proposal.tokens == [2, 1] and proposal.dists.shape == (2, 10)


def test_drafts_and_generation_refuse_bad_requests():
    pair = model_pair()
    with pytest.raises(DraftError, match=r"1\.\.3"):
        SelfSpeculativeDraft(pair.target, 4)
    with pytest.raises(DraftError, match="needs a draft"):
        speculative_generate(pair.target, None, [1], 5, 2)
    with pytest.raises(DraftError, match="gamma"):
        speculative_generate(pair.target, None, [1], 5, -1)
    with pytest.raises(GenerationError, match="empty"):
        speculative_generate(pair.target, None, [], 5, 0)
    with pytest.raises(GenerationError, match="max_seq_len"):
        speculative_generate(pair.target, None, [1] * 100, 100, 0)
    with pytest.raises(GenerationError, match=r"0\.\.63"):
        speculative_generate(pair.target, None, [64], 1, 0)
    assert issubclass(GenerationError, SpeculativeError)
    other_vocabulary = Transformer.init(TINY_TARGET.replace(n_layer=1, vocab_size=32), seed=3)
    with pytest.raises(DraftError, match="one vocabulary"):
        speculative_generate(pair.target, ModelDraft(other_vocabulary), [1], 5, 2)


def test_caches_are_reused_across_rounds_and_rolled_back():
    pair = model_pair()
    draft = ModelDraft(pair.small_draft)
    generation = speculative_generate(pair.target, draft, [1, 2, 3], 30, 4, Sampling(1.0), np.random.default_rng(1))
    assert draft.runner.rolled_back > 0
    assert draft.runner.cache.length == len(draft.runner.tokens)
    assert generation.stats.draft_passes == draft.passes


def test_chatbot_tokenizer_and_response():
    assert detokenize(tokenize("User: hello \n Assistant:")) == "User: hello \\n Assistant:"
    with pytest.raises(GenerationError, match="'zebra'"):
        tokenize("zebra")
    pair = model_pair()
    bot = ChatBotWithSpeculativeDecoding(ModelDraft(pair.small_draft), pair.target, gamma=5, max_new_tokens=12)
    response = bot.generate_response("how can I run my code quickly")
    assert response.generation.tokens == bot.target_only_response("how can I run my code quickly").generation.tokens


def test_an_unrelated_draft_is_slow_but_still_exact():
    pair = model_pair()
    unrelated = Transformer.init(TINY_TARGET.replace(n_layer=1), seed=99)
    spec = speculative_generate(pair.target, ModelDraft(unrelated), [1, 2], 20, 4, GREEDY)
    assert spec.stats.alpha < 0.5
    plain = speculative_generate(pair.target, None, [1, 2], 20, 0, GREEDY)
    assert spec.tokens == plain.tokens
