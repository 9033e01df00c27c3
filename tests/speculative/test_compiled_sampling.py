"""The compiled softmax and draw give what the numpy formulas give (the speculative loop's per-round cost)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.speculative import Sampling, draw
from livingspec.speculative import sampling as module

pytestmark = pytest.mark.skipif(module._compiled("_draw_index") is None, reason="numba is not installed")


@pytest.mark.parametrize("temperature", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("shape", [(256,), (5, 256), (2, 3, 17)])
def test_the_compiled_softmax_is_numpys(temperature, shape):
    logits = (np.random.default_rng(len(shape)).standard_normal(shape) * 4).astype(np.float32)
    scaled = logits.astype(np.float64) / temperature
    weights = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    expected = weights / weights.sum(axis=-1, keepdims=True)
    got = Sampling(temperature).probs(logits)
    assert got.shape == shape and got.dtype == np.float64
    assert np.abs(got - expected).max() < 1e-15


def test_top_k_and_greedy_keep_their_numpy_paths():
    logits = np.array([0.1, 3.0, 2.0, -1.0])
    assert np.allclose(Sampling(1.0, top_k=2).probs(logits)[[0, 3]], 0.0)
    assert Sampling(0.0).probs(logits).tolist() == [0.0, 1.0, 0.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40), st.floats(0.0, 1.0, exclude_max=True))
def test_the_compiled_draw_is_searchsorted_on_the_cumsum(weights, u):
    p = np.asarray(weights, dtype=np.float64)
    if p.sum() == 0:
        p[0] = 1.0
    cdf = np.cumsum(p)
    expected = int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), p.size - 1))
    assert module._compiled("_draw_index")(p, u) == expected


def test_draw_follows_the_generator_like_before():
    p = Sampling(1.0).probs(np.linspace(-2.0, 2.0, 64))
    ours = [draw(p, rng) for rng in [np.random.default_rng(7)] for _ in range(500)]
    rng = np.random.default_rng(7)
    cdf = np.cumsum(p)
    theirs = [int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), 63)) for _ in range(500)]
    assert ours == theirs
