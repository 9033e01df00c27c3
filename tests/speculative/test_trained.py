"""The committed trained pair: the loader, its errors on bad files, and exact sampling on real text."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from livingspec.gqa import Transformer, save_model
from livingspec.speculative import (
    MODELS_DIR,
    ModelDraft,
    ModelFileError,
    Sampling,
    load_pair,
    speculative_generate,
    trained_pair,
)
from livingspec.training import decode, encode, load_corpus


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A copy of the committed models folder (weights and manifest) to spoil."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("manifest.json", "target.safetensors", "draft.safetensors"):
        shutil.copy(MODELS_DIR / name, folder / name)
    return folder


def rewrite(folder: Path, name: str, model: Transformer) -> None:
    """Save a model as one of the folder's files and record it in the manifest as make models would."""
    import hashlib

    path = save_model(model, folder / f"{name}.safetensors")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"][name]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["models"][name]["config"] = model.config.to_dict()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_the_committed_pair_loads_and_matches_its_manifest():
    pair = load_pair()
    assert pair.target.config.vocab_size == pair.draft.config.vocab_size == 256
    assert pair.record("target")["n_params"] == pair.target.n_params
    assert 8 <= pair.target.n_params / pair.draft.n_params <= 16, "the draft is about a tenth of the target"
    assert pair.manifest["corpus"]["sha256"] == load_corpus(MODELS_DIR).sha256, "the corpus is the one trained on"


def test_the_trained_target_predicts_the_corpus_far_better_than_uniform():
    pair = trained_pair()
    text = encode("  Scenario: The small draft is a fraction of the target\n")
    logits = pair.target.forward(text[:-1]).astype(np.float64)
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    nats = -log_p[np.arange(len(text) - 1), text[1:]].mean()
    assert nats < 0.5 * math.log(256), f"{nats:.2f} nats per byte is no better than half of uniform's"


def test_a_missing_weights_file_is_named(models):
    (models / "draft.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"draft\.safetensors.*missing"):
        load_pair(models)


def test_a_missing_manifest_is_named(models):
    (models / "manifest.json").unlink()
    with pytest.raises(ModelFileError, match=r"manifest\.json.*missing"):
        load_pair(models)


def test_a_corrupt_file_fails_its_hash(models):
    data = bytearray((models / "target.safetensors").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (models / "target.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"target\.safetensors.*SHA-256.*corrupt"):
        load_pair(models)


def test_an_unreadable_file_recorded_in_the_manifest_is_named(models):
    import hashlib

    garbage = b"not a safetensors file at all"
    (models / "draft.safetensors").write_bytes(garbage)
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["models"]["draft"]["sha256"] = hashlib.sha256(garbage).hexdigest()
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=r"draft\.safetensors.*unreadable"):
        load_pair(models)


def test_a_tensor_of_the_wrong_shape_is_named(models):
    import hashlib

    pair = load_pair()
    params = dict(pair.draft.params)
    params["norm.weight"] = np.ones(7, dtype=np.float32)
    path = models / "draft.safetensors"
    save_file(params, str(path), metadata={"livingspec.gqa.config": json.dumps(pair.draft.config.to_dict())})
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["models"]["draft"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=r"draft\.safetensors.*'norm\.weight' has shape \(7,\)"):
        load_pair(models)


def test_a_file_of_another_configuration_than_the_manifest_says_is_named(models):
    pair = load_pair()
    path = save_model(Transformer.init(pair.draft.config.replace(n_layer=1)), models / "draft.safetensors")
    manifest = json.loads((models / "manifest.json").read_text())
    import hashlib

    manifest["models"]["draft"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=r"draft\.safetensors.*differs from the manifest's in n_layer"):
        load_pair(models)


def test_a_draft_with_another_vocabulary_is_refused(models):
    pair = load_pair()
    rewrite(models, "draft", Transformer.init(pair.draft.config.replace(vocab_size=128)))
    with pytest.raises(ModelFileError, match=r"draft\.safetensors.*vocabulary has 128 tokens, the target's 256"):
        load_pair(models)


def chi_square_critical(dof: int, z: float = 3.0902) -> float:
    """Upper 0.1% point of chi-square (Wilson-Hilferty approximation)."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def test_first_bytes_follow_the_trained_targets_distribution_chi_square():
    """1200 seeded runs of 3 bytes, gamma 2, trained draft; the joint law of the first two bytes (cells with
    fewer than 5 expected pooled) against the trained target's exact law; reject at the 0.1% level."""
    pair = trained_pair()
    sampling = Sampling(1.0)
    prompt = encode("  Scenario: The")
    first = sampling.probs(pair.target.forward(prompt)[-1])
    likely = [a for a in range(256) if first[a] * 1200 >= 1]
    expected = {}
    for a in likely:
        second = sampling.probs(pair.target.forward([*prompt, a])[-1])
        for b in range(256):
            expected[(a, b)] = first[a] * second[b]
    runs, rng, accepted = 1200, np.random.default_rng(2025), 0
    counts: dict[tuple[int, int], int] = {}
    for _ in range(runs):
        generation = speculative_generate(pair.target, ModelDraft(pair.draft), prompt, 3, 2, sampling, rng)
        key = (generation.tokens[0], generation.tokens[1])
        counts[key] = counts.get(key, 0) + 1
        accepted += generation.stats.accepted
    assert accepted > runs // 2, "the trained draft must be accepted often, or only the residual path is tested"
    statistic, dof, pooled_obs, pooled_exp = 0.0, 0, runs - sum(counts.get(c, 0) for c in expected), 0.0
    pooled_exp = runs * (1 - sum(expected.values()))
    for cell, probability in expected.items():
        if probability * runs >= 5:
            statistic += (counts.get(cell, 0) - probability * runs) ** 2 / (probability * runs)
            dof += 1
        else:
            pooled_obs += counts.get(cell, 0)
            pooled_exp += probability * runs
    statistic += (pooled_obs - pooled_exp) ** 2 / pooled_exp
    assert dof >= 5, f"only {dof} cells expect 5 or more: the test would say little"
    assert statistic < chi_square_critical(dof), f"chi-square {statistic:.1f} over {dof} degrees of freedom"


def test_decoded_text_round_trips():
    text = "Given the speculative target — 4 blocks\n"
    assert decode(encode(text)) == text
