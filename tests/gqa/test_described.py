"""Models you describe: a table row becomes an AttentionShape; the named models are presets of it."""

from __future__ import annotations

import pytest

from livingspec.gqa import NAMED_MODELS, AttentionShape, ConfigError, kv_cache_memory


@pytest.mark.parametrize("name", sorted(NAMED_MODELS))
def test_every_named_model_is_a_preset_of_the_description(name):
    shape = NAMED_MODELS[name]
    assert AttentionShape.described(shape.describe()) == shape


def test_a_described_model_is_sized_like_a_named_one():
    described = AttentionShape.described(
        {"layers": "80", "query heads": "64", "key/value heads": "8", "head dimension": "128"}
    )
    assert described.name == "described model"
    named = NAMED_MODELS["Llama 2 70B"]
    assert kv_cache_memory(described, 4096).total == kv_cache_memory(named, 4096).total


@pytest.mark.parametrize(
    ("description", "field"),
    [
        ({"layers": "2", "query heads": "8", "key/value heads": "3", "head dimension": "16"}, "n_kv_heads"),
        ({"layers": "2", "query heads": "8", "key/value heads": "2"}, "head dimension"),
        ({"layers": "two", "query heads": "8", "key/value heads": "2", "head dimension": "16"}, "layers"),
        ({"layers": "2", "heads": "8", "key/value heads": "2", "head dimension": "16"}, "heads"),
    ],
)
def test_a_bad_description_names_its_bad_field(description, field):
    with pytest.raises(ConfigError) as caught:
        AttentionShape.described(description)
    assert caught.value.field == field


def test_heads_map_to_their_group_and_the_kind_is_named():
    shape = AttentionShape("layer", 1, 8, 2, 16)
    assert [shape.kv_head_of(h) for h in range(8)] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert (shape.kind, shape.with_kv_heads(8).kind, shape.with_kv_heads(1).kind) == ("GQA-2", "MHA", "MQA")
    with pytest.raises(ConfigError):
        shape.kv_head_of(8)
