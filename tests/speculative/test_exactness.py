"""Speculative sampling preserves the target's distribution: one step analytically, whole runs by chi-square."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.gqa import GPTConfig
from livingspec.speculative import (
    GREEDY,
    ModelDraft,
    PromptLookupDraft,
    Sampling,
    SelfSpeculativeDraft,
    accept_or_resample,
    acceptance_probability,
    build_target,
    distil_draft,
    output_distribution,
    residual,
    speculative_generate,
    target_only_generate,
)


def distributions(size):
    weights = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=size, max_size=size)
    return weights.filter(lambda w: sum(w) > 1e-3).map(lambda w: np.array(w) / sum(w))


@st.composite
def p_and_q(draw):
    size = draw(st.integers(1, 12))
    return draw(distributions(size)), draw(distributions(size))


@given(p_and_q())
def test_one_step_emits_exactly_p_computed_analytically(pq):
    """P(out = x) = q(x) min(1, p(x)/q(x)) + P(reject) residual(x), summed over every drafted token."""
    p, q = pq
    out = np.zeros_like(p)
    for drafted in range(len(q)):
        if q[drafted] == 0:
            continue
        keep = acceptance_probability(p, q, drafted)
        out[drafted] += q[drafted] * keep
        out += q[drafted] * (1 - keep) * residual(p, q)
    np.testing.assert_allclose(out, p, atol=1e-9)
    np.testing.assert_allclose(output_distribution(p, q), p, atol=1e-9)


@given(p_and_q(), st.integers(0, 2**32 - 1))
def test_a_kept_token_is_the_drafted_one_and_a_replacement_is_where_p_exceeds_q(pq, seed):
    p, q = pq
    rng = np.random.default_rng(seed)
    drafted = int(rng.choice(len(q), p=q))
    kept, token = accept_or_resample(p, q, drafted, rng)
    if kept:
        assert token == drafted
    else:
        assert p[token] > q[token] or np.allclose(p, q)


def chi_square_critical(dof: int, z: float = 3.0902) -> float:
    """Upper 0.1% point of chi-square (Wilson-Hilferty approximation; z is the normal 99.9% quantile)."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


SMALL = GPTConfig(
    vocab_size=6,
    n_layer=2,
    n_embd=16,
    n_head=4,
    n_kv_head=2,
    mlp_hidden=16,
    max_seq_len=12,
    tied_head=False,
    init_std=0.3,
)


def exact_first_two(target, prompt, sampling):
    """P(first two tokens = (a, b)) from the target's distributions, by enumeration."""
    first = sampling.probs(target.forward(prompt)[-1])
    table = {}
    for a in range(SMALL.vocab_size):
        second = sampling.probs(target.forward([*prompt, a])[-1])
        for b in range(SMALL.vocab_size):
            table[(a, b)] = first[a] * second[b]
    return table


@pytest.mark.parametrize(("sampling", "draft_kind"), [(Sampling(1.0), "small"), (Sampling(0.8, top_k=4), "self")])
def test_first_tokens_follow_the_target_distribution_chi_square(sampling, draft_kind):
    """1500 seeded runs of 3 tokens, gamma 2; the joint law of the first two tokens (36 cells, merged
    where fewer than 5 are expected) against the target's exact law; reject at the 0.1% level."""
    target = build_target(SMALL, seed=3, refinement=0.5)
    draft_model = distil_draft(target, n_sequences=8, length=12) if draft_kind == "small" else None
    prompt = [1, 2, 3]
    expected = exact_first_two(target, prompt, sampling)
    runs = 1500
    counts = dict.fromkeys(expected, 0)
    rng = np.random.default_rng(12345)
    accepted = 0
    for _ in range(runs):
        draft = ModelDraft(draft_model) if draft_model is not None else SelfSpeculativeDraft(target, 1)
        generation = speculative_generate(target, draft, prompt, 3, 2, sampling, rng)
        counts[tuple(generation.tokens[:2])] += 1
        accepted += generation.stats.accepted
    assert accepted > runs // 2, "the drafts must be accepted often, or the test checks only the residual path"
    statistic, dof, pooled_obs, pooled_exp = 0.0, 0, 0, 0.0
    for cell, probability in expected.items():
        if probability * runs >= 5:
            statistic += (counts[cell] - probability * runs) ** 2 / (probability * runs)
            dof += 1
        else:
            pooled_obs += counts[cell]
            pooled_exp += probability * runs
    if pooled_exp > 0:
        statistic += (pooled_obs - pooled_exp) ** 2 / pooled_exp
        dof += 1
    dof -= 1
    assert statistic < chi_square_critical(dof), f"chi-square {statistic:.1f} over {dof} degrees of freedom"


@pytest.fixture(scope="module")
def pair():
    target = build_target(SMALL.replace(vocab_size=16, max_seq_len=40), seed=5, refinement=0.2)
    return target, distil_draft(target, n_sequences=8, length=24)


@settings(max_examples=30)
@given(
    st.lists(st.integers(0, 15), min_size=1, max_size=8),
    st.integers(0, 6),
    st.sampled_from(["small", "self", "lookup"]),
    st.integers(1, 20),
)
def test_greedy_speculative_equals_target_only_greedy(pair, prompt, gamma, kind, count):
    target, small = pair
    draft = {
        "small": lambda: ModelDraft(small),
        "self": lambda: SelfSpeculativeDraft(target, 1),
        "lookup": lambda: PromptLookupDraft(16),
    }[kind]()
    spec = speculative_generate(target, draft, prompt, count, gamma, GREEDY)
    assert spec.tokens == target_only_generate(target, prompt, count, GREEDY).tokens
    assert spec.stats.target_passes == spec.stats.rounds


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.integers(0, 5), st.integers(1, 20), st.sampled_from([None, 3, 7]))
def test_statistics_add_up_and_the_length_and_eos_are_respected(pair, seed, gamma, count, eos):
    target, small = pair
    spec = speculative_generate(
        target, ModelDraft(small), [4, 2], count, gamma, Sampling(1.0), np.random.default_rng(seed), eos_token=eos
    )
    stats = spec.stats
    assert stats.new_tokens == len(spec.tokens) == sum(r.accepted + (r.token is not None) for r in spec.rounds)
    assert stats.accepted <= stats.drafted and stats.target_passes == stats.rounds
    if eos is not None and eos in spec.tokens:
        assert spec.tokens.index(eos) == len(spec.tokens) - 1 and spec.stopped == "eos"
    else:
        assert len(spec.tokens) == count and spec.stopped == "length"


def test_gamma_zero_reproduces_target_only_sampling_with_the_same_seed(pair):
    target, _ = pair
    for seed in range(5):
        spec = speculative_generate(target, None, [1], 15, 0, Sampling(0.9), np.random.default_rng(seed))
        plain = target_only_generate(target, [1], 15, Sampling(0.9), np.random.default_rng(seed))
        assert spec.tokens == plain.tokens


def test_every_pair_of_tokens_is_reachable_in_the_enumeration():
    assert len(list(product(range(SMALL.vocab_size), repeat=2))) == SMALL.vocab_size**2


def test_the_chi_square_test_catches_a_sampler_that_keeps_every_draft(monkeypatch):
    """Power check: with acceptance forced to 1 (the draft's law, not the target's) the same test fails."""
    from livingspec.speculative import decoding

    monkeypatch.setattr(decoding, "acceptance_probability", lambda p, q, token: 1.0)
    with pytest.raises(AssertionError, match="chi-square"):
        test_first_tokens_follow_the_target_distribution_chi_square(Sampling(1.0), "small")
