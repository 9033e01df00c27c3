"""The fused (compiled) decode path computes what the numpy reference computes, to float32 tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.gqa import CacheError, FusedTransformer, GPTConfig, ShapeError, Transformer, greedy_generate
from livingspec.gqa import fused as module
from livingspec.gqa.fused import load
from livingspec.speculative import ModelDraft, Sampling, speculative_generate, target_only_generate, trained_pair

pytestmark = pytest.mark.skipif(load() is None, reason="numba is not installed: no fused path")

GQA = GPTConfig(vocab_size=64, n_layer=3, n_embd=48, n_head=6, n_kv_head=2, mlp_hidden=80, max_seq_len=64)


def _pairs() -> list[tuple[str, Transformer]]:
    pair = trained_pair()
    return [("trained target", pair.target), ("trained draft", pair.draft), ("GQA 6:2", Transformer.init(GQA, 3))]


def _close(reference: np.ndarray, fused: np.ndarray) -> None:
    scale = float(np.abs(reference).max())
    assert np.abs(reference - fused).max() <= 1e-5 * max(scale, 1.0), np.abs(reference - fused).max()


@pytest.mark.parametrize("gamma", [0, 1, 4, 6])
@pytest.mark.parametrize("name", ["trained target", "trained draft", "GQA 6:2"])
def test_a_cached_pass_over_gamma_plus_one_tokens_matches_the_reference(name, gamma):
    model = dict(_pairs())[name]
    fused = FusedTransformer.of(model)
    assert fused.fused
    rng = np.random.default_rng(gamma)
    prompt = [int(t) for t in rng.integers(0, model.config.vocab_size, 30)]
    block = [int(t) for t in rng.integers(0, model.config.vocab_size, gamma + 1)]
    reference_cache, fused_cache = model.new_cache(), fused.new_cache()
    _close(model.prefill(prompt, reference_cache), fused.prefill(prompt, fused_cache))
    _close(model.decode(block, reference_cache), fused.decode(block, fused_cache))
    assert fused_cache.length == reference_cache.length == 30 + gamma + 1
    for ref, ours in zip(reference_cache.layers, fused_cache.layers, strict=True):
        _close(ref.k[:, : ref.length], ours.k[:, : ref.length])
        _close(ref.v[:, : ref.length], ours.v[:, : ref.length])


def test_after_a_rollback_the_fused_cache_continues_like_the_reference():
    model = trained_pair().target
    fused = FusedTransformer.of(model)
    prompt = list(b"Scenario: a rollback drops rejected drafts")
    reference_cache, fused_cache = model.new_cache(), fused.new_cache()
    model.prefill(prompt, reference_cache)
    fused.prefill(prompt, fused_cache)
    fused.decode(list(b"xyzw"), fused_cache)  # rejected drafts: rolled back, then overwritten
    fused_cache.rollback(len(prompt))
    _close(model.decode(list(b" and"), reference_cache), fused.decode(list(b" and"), fused_cache))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 8), st.integers(0, 2**16))
def test_any_split_of_a_sequence_gives_the_full_pass_logits(prefix, block, seed):
    model = Transformer.init(GQA, 1)
    fused = FusedTransformer.of(model)
    ids = [int(t) for t in np.random.default_rng(seed).integers(0, GQA.vocab_size, prefix + block)]
    cache = fused.new_cache()
    fused.prefill(ids[:prefix], cache)
    _close(model.forward(ids)[prefix:], fused.decode(ids[prefix:], cache))


def test_float16_weights_keep_the_reference_path():
    model = Transformer.init(GQA, 2).astype("float16")
    fused = FusedTransformer.of(model)
    assert not fused.fused, "numba has no float16 arithmetic: the fused path is float32 only"
    ids = list(range(10))
    reference_cache, cache = model.new_cache(), fused.new_cache()
    assert np.array_equal(model.prefill(ids, reference_cache), fused.prefill(ids, cache))
    assert np.array_equal(model.decode([3, 4], reference_cache), fused.decode([3, 4], cache))


def test_greedy_decoding_on_the_fused_path_writes_the_reference_text():
    pair = trained_pair()
    prompt = list(b"Feature: Speculative decoding drafts tokens cheaply")
    assert greedy_generate(FusedTransformer.of(pair.target), prompt, 40) == greedy_generate(pair.target, prompt, 40)


def test_speculative_greedy_on_the_fused_pair_equals_target_only_greedy():
    pair = trained_pair()
    target, draft = FusedTransformer.of(pair.target), FusedTransformer.of(pair.draft)
    prompt = list(b"Rule: Two models: a cheap draft proposes, the target decides")
    greedy = Sampling(0.0)
    ours = speculative_generate(target, ModelDraft(draft), prompt, 48, 4, greedy)
    assert ours.tokens == target_only_generate(target, prompt, 48, greedy).tokens
    assert ours.stats.target_passes < 48


def test_bad_tokens_and_overflow_are_named():
    fused = FusedTransformer.of(Transformer.init(GQA, 0))
    cache = fused.new_cache()
    with pytest.raises(ShapeError, match=r"token ids must lie in 0\.\.63"):
        fused.prefill([1, 64], cache)
    with pytest.raises(ShapeError, match="non-empty"):
        fused.prefill([], cache)
    with pytest.raises(ShapeError, match="integers"):
        fused.prefill([1.5], cache)  # type: ignore[list-item]
    small = fused.new_cache(capacity=8)
    with pytest.raises(CacheError, match="overflow"):
        fused.prefill(list(range(9)), small)
    assert small.length == 0


def test_the_compiled_exp_is_exp_to_float32_precision():
    load()
    x = np.linspace(-87.0, 88.0, 100_001).astype(np.float32)
    values = x.copy()
    module._exp(values, values.size, np.empty(values.size, dtype=np.int32))
    relative = np.abs(values.astype(np.float64) / np.exp(x.astype(np.float64)) - 1.0)
    assert relative.max() < 5e-7, relative.max()
