"""The committed GQA uptraining table: it matches the committed weights, and bad tables are named."""

from __future__ import annotations

import json

import pytest

from livingspec.gqa import (
    TRAINED_TARGET_FILE,
    UPTRAINING_FILE,
    CheckpointError,
    load_model,
    load_uptraining,
    original_steps,
    pooled_loss,
    validation_windows,
)


@pytest.mark.parametrize("n_kv_heads", [16, 1])
def test_the_loss_before_uptraining_is_the_committed_weights_on_all_validation_windows(n_kv_heads):
    """numpy on the committed target, mean-pooled, against the table jax wrote (48 windows)."""
    run = next(r for r in load_uptraining() if r.n_kv_heads == n_kv_heads)
    seen = pooled_loss(load_model(TRAINED_TARGET_FILE), n_kv_heads, validation_windows())
    assert seen == pytest.approx(run.before, rel=1e-4)


def test_the_table_has_the_four_groupings_uptrained_for_five_percent_of_the_steps():
    runs = load_uptraining()
    assert [r.label for r in runs] == ["MHA", "GQA-4:1", "GQA-8:1", "MQA"]
    assert [r.n_kv_heads * r.group_size for r in runs] == [16] * 4
    assert {r.steps for r in runs} == {round(0.05 * original_steps())}
    assert all(r.curve[0] == (0, r.before) and r.curve[-1] == (r.steps, r.after) for r in runs)


def test_the_mha_row_starts_from_the_manifests_validation_loss():
    manifest = json.loads((UPTRAINING_FILE.parent / "manifest.json").read_text())
    mha = load_uptraining()[0]
    assert mha.before == pytest.approx(manifest["models"]["target"]["validation_loss"], abs=1e-4)


def test_a_missing_table_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=r"nothing\.json.*cannot be read"):
        load_uptraining(tmp_path / "nothing.json")


def test_a_malformed_table_is_named(tmp_path):
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"runs": [{"label": "MHA"}]}))
    with pytest.raises(CheckpointError, match=r"table\.json.*malformed"):
        load_uptraining(path)
