"""Grouped attention against the repeat-K/V reference, RoPE, the cache, and torch when available."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.gqa import (
    CacheError,
    LayerCache,
    ShapeError,
    apply_rope,
    causal_mask,
    grouped_attention,
    reference_attention,
    rope_tables,
)


@st.composite
def attention_inputs(draw):
    kv = draw(st.integers(1, 4))
    group = draw(st.integers(1, 4))
    head_dim = draw(st.sampled_from([2, 4, 8]))
    keys = draw(st.integers(1, 12))
    queries = draw(st.integers(1, keys))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((kv * group, queries, head_dim)).astype(np.float32)
    k = rng.standard_normal((kv, keys, head_dim)).astype(np.float32)
    v = rng.standard_normal((kv, keys, head_dim)).astype(np.float32)
    return q, k, v


@given(attention_inputs())
def test_grouped_attention_equals_mha_on_repeated_kv(inputs):
    q, k, v = inputs
    np.testing.assert_allclose(grouped_attention(q, k, v), reference_attention(q, k, v), atol=2e-5)


@given(attention_inputs())
def test_repeated_kv_through_the_grouped_path_as_mha_gives_the_same(inputs):
    q, k, v = inputs
    group = q.shape[0] // k.shape[0]
    as_mha = grouped_attention(q, np.repeat(k, group, axis=0), np.repeat(v, group, axis=0))
    np.testing.assert_allclose(grouped_attention(q, k, v), as_mha, atol=2e-5)


def test_mqa_gives_every_head_the_same_keys():
    rng = np.random.default_rng(0)
    q = np.repeat(rng.standard_normal((1, 4, 8)).astype(np.float32), 4, axis=0)
    k, v = rng.standard_normal((2, 1, 4, 8)).astype(np.float32)
    out = grouped_attention(q, k, v)
    assert np.allclose(out, out[0])


def test_the_first_query_sees_only_the_first_key():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((3, 2, 5, 4)).astype(np.float32)
    out = grouped_attention(q[:2], k[:1], v[:1])
    np.testing.assert_allclose(out[:, 0], np.repeat(v[:1, 0], 2, axis=0), atol=1e-6)


def test_causal_mask_with_offset():
    mask = causal_mask(2, 4, 2)
    assert np.isinf(mask).tolist() == [[False, False, False, True], [False, False, False, False]]


def test_rope_keeps_norms_and_makes_scores_depend_on_relative_position():
    cos, sin = rope_tables(32, 8)
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, 1, 1, 8)).astype(np.float32)
    rotated = apply_rope(np.repeat(q, 1, axis=1), cos[5:6], sin[5:6])
    assert np.isclose(np.linalg.norm(rotated), np.linalg.norm(q), rtol=1e-5)

    def score(m, n):
        return float(
            (apply_rope(q, cos[m : m + 1], sin[m : m + 1]) * apply_rope(k, cos[n : n + 1], sin[n : n + 1])).sum()
        )

    assert np.isclose(score(7, 3), score(14, 10), rtol=1e-4)


def test_bad_shapes_are_refused():
    q = np.zeros((6, 1, 4), np.float32)
    with pytest.raises(ShapeError, match="must divide"):
        grouped_attention(q, np.zeros((4, 2, 4), np.float32), np.zeros((4, 2, 4), np.float32))
    with pytest.raises(ShapeError, match="keys"):
        grouped_attention(q, np.zeros((2, 2, 4), np.float32), np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ShapeError, match="positions"):
        grouped_attention(q, np.zeros((2, 2, 4), np.float32), np.zeros((2, 2, 4), np.float32), offset=5)


def test_layer_cache_appends_reports_bytes_and_rolls_back():
    cache = LayerCache(2, 4, capacity=8, dtype=np.float16)
    k = np.ones((2, 3, 4), np.float32)
    keys, values = cache.append(k, 2 * k)
    assert keys.shape == (2, 3, 4) and values.dtype == np.float16
    assert cache.nbytes == 2 * 2 * 3 * 4 * 2
    cache.rollback(1)
    assert cache.length == 1 and cache.nbytes == 2 * 2 * 1 * 4 * 2
    with pytest.raises(CacheError, match="roll back to length 2"):
        cache.rollback(2)
    with pytest.raises(CacheError, match="overflow"):
        cache.append(np.ones((2, 8, 4)), np.ones((2, 8, 4)))
    with pytest.raises(ShapeError):
        cache.append(np.ones((3, 1, 4)), np.ones((3, 1, 4)))


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed: no peer to compare with")
def test_matches_torch_scaled_dot_product_attention_with_enable_gqa():
    import torch  # type: ignore[import-not-found]

    rng = np.random.default_rng(4)
    q = rng.standard_normal((8, 6, 16)).astype(np.float32)
    k, v = rng.standard_normal((2, 2, 6, 16)).astype(np.float32)
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q)[None], torch.from_numpy(k)[None], torch.from_numpy(v)[None], is_causal=True, enable_gqa=True
    )[0].numpy()
    np.testing.assert_allclose(grouped_attention(q, k, v), expected, atol=1e-5)
