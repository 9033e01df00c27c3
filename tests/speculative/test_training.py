"""Training: a few steps lower the loss, and the jax model computes what the numpy transformer computes."""

from __future__ import annotations

import io

import jax.numpy as jnp
import numpy as np
import pytest

from livingspec.gqa import GPTConfig, init_params
from livingspec.speculative import MODELS_DIR
from livingspec.training import CorpusError, load_corpus
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
