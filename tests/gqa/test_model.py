"""The transformer: cached decode against the full pass, rollback, dtypes, checkpoints, conversion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.gqa import (
    CheckpointError,
    ConfigError,
    GPTConfig,
    GQAError,
    ShapeError,
    Transformer,
    conversion_errors,
    convert_to_gqa,
    greedy_generate,
    load_model,
    mean_pool_heads,
    save_model,
)


def tiny(heads=4, kv=2, layers=2, dtype="float32", tied=True, seed=0):
    config = GPTConfig(
        vocab_size=32,
        n_layer=layers,
        n_embd=4 * heads,
        n_head=heads,
        n_kv_head=kv,
        mlp_hidden=32,
        max_seq_len=48,
        tied_head=tied,
        dtype=dtype,
    )
    return Transformer.init(config, seed)


model_settings = settings(max_examples=25)


@st.composite
def model_and_tokens(draw):
    kv = draw(st.sampled_from([1, 2, 4]))
    group = draw(st.sampled_from([1, 2]))
    model = tiny(
        heads=kv * group,
        kv=kv,
        layers=draw(st.integers(1, 2)),
        tied=draw(st.booleans()),
        seed=draw(st.integers(0, 1000)),
    )
    tokens = draw(st.lists(st.integers(0, 31), min_size=2, max_size=20))
    split = draw(st.integers(1, len(tokens) - 1))
    return model, tokens, split


@model_settings
@given(model_and_tokens())
def test_cached_decode_equals_full_forward(case):
    model, tokens, split = case
    cache = model.new_cache()
    pieces = [model.prefill(tokens[:split], cache)]
    pieces += [model.decode([t], cache) for t in tokens[split:]]
    np.testing.assert_allclose(np.vstack(pieces), model.forward(tokens), atol=1e-5)


@model_settings
@given(model_and_tokens(), st.lists(st.integers(0, 31), min_size=1, max_size=5))
def test_rollback_then_redecode_equals_never_having_decoded(case, others):
    model, tokens, split = case
    cache = model.new_cache()
    model.prefill(tokens[:split], cache)
    model.decode(tokens[split:], cache)
    cache.rollback(split)
    after = model.decode(others, cache)
    fresh = model.new_cache()
    model.prefill(tokens[:split], fresh)
    np.testing.assert_array_equal(after, model.decode(others, fresh))


def test_decoding_several_tokens_at_once_equals_one_at_a_time():
    model = tiny()
    tokens = list(range(10))
    a, b = model.new_cache(), model.new_cache()
    model.prefill(tokens[:4], a)
    model.prefill(tokens[:4], b)
    together = model.decode(tokens[4:], a)
    single = np.vstack([model.decode([t], b) for t in tokens[4:]])
    np.testing.assert_allclose(together, single, atol=1e-5)


def test_float16_model_halves_the_cache_and_stays_close():
    model = tiny()
    half = model.astype("float16")
    tokens = list(range(12))
    c32, c16 = model.new_cache(), half.new_cache()
    model.prefill(tokens, c32)
    logits16 = half.prefill(tokens, c16)
    assert c16.nbytes * 2 == c32.nbytes
    assert all(w.dtype == np.float16 for w in half.params.values())
    np.testing.assert_allclose(logits16, model.forward(tokens), atol=5e-3)
    np.testing.assert_allclose(logits16, half.forward(tokens), atol=1e-6)


def test_greedy_generate_is_seeded_and_deterministic():
    assert greedy_generate(tiny(seed=3), [1, 2, 3], 8) == greedy_generate(tiny(seed=3), [1, 2, 3], 8)


def test_truncated_model_shares_weights():
    model = tiny(layers=2)
    draft = model.truncated(1)
    assert draft.config.n_layer == 1
    assert draft.params["tok_embeddings.weight"] is model.params["tok_embeddings.weight"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"n_kv_head": 3}, "n_kv_head"),
        ({"n_head": 5}, "n_head"),
        ({"dtype": "int8"}, "dtype"),
        ({"n_layer": 0}, "n_layer"),
        ({"n_embd": 12, "n_head": 4}, "n_embd"),
    ],
)
def test_bad_configurations_name_the_field(changes, field):
    with pytest.raises(ConfigError) as caught:
        GPTConfig(**changes)
    assert caught.value.field == field and field in str(caught.value)


def test_bad_tokens_are_refused():
    model = tiny()
    for tokens, message in (([], "non-empty"), ([32], "0..31"), ([-1], "0..31"), (list(range(49)), "max_seq_len")):
        with pytest.raises(ShapeError, match=message):
            model.forward([t % 32 if message == "max_seq_len" else t for t in tokens])
    cache = model.new_cache()
    model.prefill([1], cache)
    with pytest.raises(ShapeError, match="empty cache"):
        model.prefill([1], cache)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("tied", [True, False])
def test_safetensors_round_trip(tmp_path, dtype, tied):
    model = tiny(dtype=dtype, tied=tied)
    loaded = load_model(save_model(model, tmp_path / "m.safetensors"))
    assert loaded.config == model.config
    for key, weight in model.params.items():
        np.testing.assert_array_equal(loaded.params[key], weight)
        assert loaded.params[key].dtype == weight.dtype


def test_checkpoint_with_missing_or_wrong_tensors_is_refused(tmp_path):
    from safetensors.numpy import save_file

    model = tiny()
    params = dict(model.params)
    params.pop("norm.weight")
    path = tmp_path / "broken.safetensors"
    save_file(params, str(path), metadata={"livingspec.gqa.config": '{"vocab_size": 32}'})
    with pytest.raises(CheckpointError):
        load_model(path)
    save_file(model.params, str(path))
    with pytest.raises(CheckpointError, match="metadata"):
        load_model(path)


@settings(max_examples=40)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_load_but_raise_the_concepts_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("junk") / "junk.safetensors"
    path.write_bytes(data)
    with pytest.raises(GQAError):
        load_model(path)


def test_mean_pooling_averages_each_group():
    weight = np.arange(2 * 4 * 2, dtype=np.float32).reshape(2, 8)  # 4 heads of dim 2
    pooled = mean_pool_heads(weight, 4, 2)
    np.testing.assert_array_equal(pooled[0], [(0 + 2) / 2, (1 + 3) / 2, (4 + 6) / 2, (5 + 7) / 2])
    with pytest.raises(ConfigError):
        mean_pool_heads(weight, 4, 3)


def test_conversion_to_the_same_head_count_is_the_identity_and_errors_grow_with_groups():
    model = tiny(heads=8, kv=8, layers=1)
    same = convert_to_gqa(model, 8)
    tokens = list(range(10))
    np.testing.assert_array_equal(same.forward(tokens), model.forward(tokens))
    errors = [r.attention_error for r in conversion_errors(model, np.array(tokens), [8, 4, 2, 1])]
    assert errors[0] == 0.0
    assert errors == sorted(errors)
    with pytest.raises(ConfigError):
        convert_to_gqa(convert_to_gqa(model, 2), 4)
