"""Training: a few steps lower the loss, and the jax model computes what the numpy transformer computes."""

from __future__ import annotations

import io

import jax.numpy as jnp
import numpy as np
import pytest

from livingspec.gqa import GPTConfig, init_params
from livingspec.speculative import MODELS_DIR
from livingspec.training import CorpusError, TrainingError, load_corpus
from livingspec.training.check import compare, table
from livingspec.training.train import Progress, Recipe, evaluator, numpy_agrees, train

TINY = GPTConfig(vocab_size=256, n_layer=1, n_embd=32, n_head=4, n_kv_head=2, mlp_hidden=64, max_seq_len=32)


def test_training_a_few_steps_lowers_the_validation_loss():
    corpus = load_corpus(MODELS_DIR)
    windows = corpus.fixed_windows("validation", 16, TINY.max_seq_len + 1)
    evaluate = evaluator(TINY, windows)
    before = evaluate({k: jnp.asarray(v) for k, v in init_params(TINY, 3).items()})
    stream = io.StringIO()
    run = train(TINY, Recipe(steps=12, batch=8, peak_lr=1e-2, warmup=2, seed=3), corpus, "test", stream=stream)
    after = evaluate({k: jnp.asarray(v) for k, v in run.params.items()})
    assert after < before - 0.3, f"validation loss {before:.3f} -> {after:.3f} after 12 steps"
    assert "12/12 loss" in stream.getvalue(), "the progress bar shows the steps and the loss"


def test_the_jax_model_and_the_numpy_transformer_agree_on_grouped_heads():
    corpus = load_corpus(MODELS_DIR)
    drift = numpy_agrees(TINY, init_params(TINY.replace(init_std=0.3), 5), corpus.fixed_windows("train", 1, 33))
    assert drift < 1e-4


def test_progress_bar_counts_to_its_total():
    stream = io.StringIO()
    bar = Progress("run", 4, stream, width=8)
    for step in range(1, 5):
        bar.update(step, 2.0 / step)
    assert stream.getvalue().endswith("[########]    4/4 loss 0.500    0s eta    0s\n")


def test_a_missing_corpus_file_is_named(tmp_path):
    with pytest.raises(CorpusError, match=r"corpus/seed\.txt"):
        load_corpus(tmp_path)


def test_the_validation_split_holds_every_tenth_kibibyte():
    corpus = load_corpus(MODELS_DIR)
    total = len(corpus.train) + len(corpus.validation)
    assert abs(len(corpus.validation) / total - 0.1) < 0.01
    assert np.all(corpus.train < 256)


def test_distilling_a_few_steps_brings_the_student_towards_the_teacher():
    from livingspec.training.model import distillation_loss, logits

    corpus = load_corpus(MODELS_DIR)
    teacher_config = TINY.replace(n_embd=48, n_head=4, n_kv_head=4)
    teacher = train(
        teacher_config, Recipe(steps=12, batch=8, peak_lr=1e-2, warmup=2, seed=4), corpus, "t", stream=io.StringIO()
    ).params
    windows = jnp.asarray(corpus.fixed_windows("validation", 8, TINY.max_seq_len + 1))
    frozen = {k: jnp.asarray(v) for k, v in teacher.items()}
    soft = logits(frozen, windows[:, :-1], teacher_config)

    def kl_to_teacher(params):
        return float(distillation_loss({k: jnp.asarray(v) for k, v in params.items()}, windows, TINY, soft))

    recipe = Recipe(steps=12, batch=8, peak_lr=1e-2, warmup=2, seed=3, teacher="target")
    run = train(TINY, recipe, corpus, "student", stream=io.StringIO(), teacher=(teacher_config, teacher))
    assert kl_to_teacher(run.params) < kl_to_teacher(init_params(TINY, 3)) - 0.3


def test_a_distilled_recipe_without_its_teacher_is_refused():
    recipe = Recipe(steps=2, batch=2, peak_lr=1e-3, warmup=1, seed=1, teacher="target")
    with pytest.raises(TrainingError, match="distils from the target"):
        train(TINY, recipe, load_corpus(MODELS_DIR), "student", stream=io.StringIO())


def _manifest(loss: float, steps: int = 600) -> dict:
    record = {"recipe": {"steps": steps}, "config": {"n_layer": 4}, "sha256": "ab", "seconds": 1.0}
    return {"models": {"target": {**record, "final_train_loss": loss, "validation_loss": loss + 0.2}}, "seconds": 2.0}


def _uptraining(after: float) -> dict:
    return {"runs": [{"label": "MQA", "validation_before": 3.0, "validation_after": after}]}


def test_the_check_accepts_losses_within_two_percent_and_names_the_ones_beyond():
    figures, problems = compare(_manifest(1.50), _manifest(1.52), _uptraining(2.0), _uptraining(2.03))
    assert len(figures) == 4 and not problems, problems
    figures, problems = compare(_manifest(1.50), _manifest(1.55), _uptraining(2.0), _uptraining(2.0))
    assert problems == [
        "target final train loss: 1.5500 is +3.3% from the committed 1.5000",
        "target validation loss: 1.7500 is +2.9% from the committed 1.7000",
    ]
    assert "NO (> 2%)" in table(figures, _manifest(1.50), _manifest(1.55))


def test_the_check_fails_when_a_recipe_changed_or_a_run_is_missing():
    _, problems = compare(_manifest(1.5), _manifest(1.5, steps=300), _uptraining(2.0), {"runs": []})
    assert problems == [
        "the target's recipe or configuration differs from the manifest's (make models retrains)",
        "the uptraining run MQA is missing",
    ]
