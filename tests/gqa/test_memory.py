"""KV cache accounting: exact figures for named models, the seed's example, and the formula's laws."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.gqa import (
    GIB,
    NAMED_MODELS,
    AttentionShape,
    ConfigError,
    UnknownModelError,
    kv_cache_memory,
    named_model,
)


def test_llama2_70b_in_float16_at_4096_tokens():
    gqa = kv_cache_memory(named_model("Llama 2 70B"), 4096, 1, "float16")
    mha = kv_cache_memory(named_model("Llama 2 70B").with_kv_heads(64), 4096, 1, "float16")
    assert gqa.per_token_per_layer == 2 * 8 * 128 * 2 == 4096
    assert gqa.per_token == 4096 * 80
    assert gqa.total == 1.25 * GIB and mha.total == 10 * GIB


def test_the_seed_example_gives_1_25_and_5_gib_not_6_71_and_26_84_gb():
    seed = named_model("seed model")
    gqa = kv_cache_memory(seed, 2048, 1, "float32")
    mha = kv_cache_memory(seed.with_kv_heads(32), 2048, 1, "float32")
    assert gqa.per_layer == 8 * 2048 * 128 * 2 * 4
    assert (gqa.total_gib, mha.total_gib) == (1.25, 5.0)
    assert round(gqa.total_gb, 2) != 6.71 and round(mha.total_gb, 2) != 26.84


@given(
    st.sampled_from(sorted(NAMED_MODELS)),
    st.integers(0, 1 << 17),
    st.integers(1, 64),
    st.sampled_from(["float32", "float16", "int8"]),
)
def test_cache_shrinks_by_exactly_heads_over_kv_heads_and_is_linear(name, tokens, batch, dtype):
    shape = named_model(name)
    gqa = kv_cache_memory(shape, tokens, batch, dtype)
    mha = kv_cache_memory(shape.with_kv_heads(shape.n_heads), tokens, batch, dtype)
    assert mha.total == gqa.total * shape.group_size
    assert gqa.total == gqa.per_token * tokens * batch == gqa.per_layer * shape.n_layers


def test_errors_name_the_bad_part():
    with pytest.raises(UnknownModelError, match="GPT-5"):
        named_model("GPT-5")
    with pytest.raises(UnknownModelError, match="float8"):
        kv_cache_memory(named_model("Llama 2 7B"), 1, 1, "float8")
    with pytest.raises(ConfigError, match="n_kv_heads"):
        AttentionShape("x", 1, 8, 3, 64)
    with pytest.raises(ConfigError, match="batch"):
        kv_cache_memory(named_model("Llama 2 7B"), 1, 0)
