"""Training runs: the speculative target and draft, then GQA uptraining of the target (Ainslie et al. 2023).

Every run is seeded (weights from ``livingspec.gqa.init_params``, batches from a numpy generator) and
uses AdamW with gradient clipping; the target and draft follow a warm-up and cosine schedule. The GQA
runs start from the trained multi-head target mean-pooled to fewer key/value heads
(``livingspec.gqa.convert_params``) and continue for about 5% of the target's steps at a constant rate;
the multi-head model continued the same way is the control.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO, Any

import jax
import jax.numpy as jnp
import numpy as np
import optax  # type: ignore[import-untyped]

from livingspec.gqa import GPTConfig, Params, Transformer, convert_params, init_params
from livingspec.training.corpus import VOCAB_SIZE, Corpus, TrainingError
from livingspec.training.model import JaxParams, distillation_loss, logits, loss

WINDOW = 128  # tokens of context per training window (the models' max_seq_len)

#: The target: 4 blocks of width 192, 16 heads (multi-head, so GQA can pool them), SwiGLU 512.
TARGET = GPTConfig(
    vocab_size=VOCAB_SIZE, n_layer=4, n_embd=192, n_head=16, n_kv_head=16, mlp_hidden=512, max_seq_len=WINDOW
)
#: The draft: 2 blocks of width 64, about a tenth of the target's weights, same byte vocabulary.
DRAFT = GPTConfig(
    vocab_size=VOCAB_SIZE, n_layer=2, n_embd=64, n_head=4, n_kv_head=4, mlp_hidden=256, max_seq_len=WINDOW
)


@dataclass(frozen=True)
class Recipe:
    """How one model is trained."""

    steps: int  # optimiser steps
    batch: int  # windows per step
    peak_lr: float  # learning rate after warm-up (cosine decay to 10% of it), or the constant rate
    warmup: int  # steps of linear warm-up; 0 with cosine=False means a constant rate
    seed: int  # weights and batch order
    cosine: bool = True
    weight_decay: float = 0.01
    clip: float = 1.0  # global gradient-norm clip
    teacher: str = ""  # "" learns the data's next byte; "target" matches the target's distributions (distillation)


TARGET_RECIPE = Recipe(steps=600, batch=16, peak_lr=4e-3, warmup=20, seed=1)
DRAFT_RECIPE = Recipe(steps=600, batch=16, peak_lr=4e-3, warmup=20, seed=2, teacher="target")
UPTRAIN_FRACTION = 0.05  # of the target's steps, as the paper's "5% of original pre-training compute"
UPTRAIN_LR = 5e-4
KV_HEADS = (16, 4, 2, 1)  # MHA (the control), GQA-4:1, GQA-8:1, MQA
EVAL_WINDOWS = 48  # validation windows of WINDOW + 1 tokens, evenly spaced
CHECK_WINDOWS = 8  # the first few of them: a figure the specification recomputes in numpy, cheaply


class Progress:
    """A one-line progress bar with the loss, redrawn in place (carriage return)."""

    def __init__(self, label: str, total: int, stream: IO[str] = sys.stderr, width: int = 30) -> None:
        self.label, self.total, self.stream, self.width = label, total, stream, width
        self.start = time.perf_counter()

    def update(self, step: int, value: float) -> None:
        """Redraw after ``step`` of ``total`` steps with the latest loss (nats per byte)."""
        done = int(self.width * step / self.total)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / step * (self.total - step) if step else 0.0
        bar = "#" * done + "-" * (self.width - done)
        self.stream.write(
            f"\r{self.label:<16} [{bar}] {step:>4}/{self.total} loss {value:.3f} {elapsed:4.0f}s eta {eta:4.0f}s"
        )
        if step == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _schedule(recipe: Recipe) -> optax.Schedule:
    if not recipe.cosine:
        return optax.constant_schedule(recipe.peak_lr)
    return optax.warmup_cosine_decay_schedule(
        0.0, recipe.peak_lr, recipe.warmup, recipe.steps, end_value=recipe.peak_lr * 0.1
    )


def evaluator(config: GPTConfig, windows: np.ndarray[Any, Any], batch: int = 16) -> Callable[[JaxParams], float]:
    """Mean loss over fixed windows (nats per byte), jit-compiled once per configuration."""
    loss_fn = jax.jit(lambda p, w: loss(p, w, config))

    def evaluate(params: JaxParams) -> float:
        values = [float(loss_fn(params, jnp.asarray(windows[i : i + batch]))) for i in range(0, len(windows), batch)]
        return float(np.mean(values))

    return evaluate


@dataclass
class RunResult:
    """A trained model and how its training went."""

    params: Params
    train_losses: list[float]  # every step's batch loss
    evaluations: list[tuple[int, float]]  # (step, validation loss)
    seconds: float

    @property
    def final_loss(self) -> float:
        """Mean training loss of the last 10% of steps (less noisy than the last batch)."""
        tail = max(1, len(self.train_losses) // 10)
        return float(np.mean(self.train_losses[-tail:]))


def train(
    config: GPTConfig,
    recipe: Recipe,
    corpus: Corpus,
    label: str,
    start: Params | None = None,
    evaluate: Callable[[JaxParams], float] | None = None,
    eval_every: int = 0,
    stream: IO[str] = sys.stderr,
    teacher: tuple[GPTConfig, Params] | None = None,
) -> RunResult:
    """Train from seeded weights (or ``start``) for recipe.steps; evaluate every ``eval_every`` steps.

    With a ``teacher`` (its configuration and weights) the loss is the cross-entropy to the teacher's
    softmax on the same windows (distillation), else to the next byte of the text.
    """
    began = time.perf_counter()
    params: JaxParams = {k: jnp.asarray(v) for k, v in (start or init_params(config, recipe.seed)).items()}
    optimiser = optax.chain(
        optax.clip_by_global_norm(recipe.clip), optax.adamw(_schedule(recipe), weight_decay=recipe.weight_decay)
    )
    state = optimiser.init(params)
    if recipe.teacher and teacher is None:
        raise TrainingError(f"the recipe distils from the {recipe.teacher}: pass its weights as teacher")
    teacher_config, teacher_params = teacher if teacher else (config, {})
    frozen: JaxParams = {k: jnp.asarray(v) for k, v in teacher_params.items()}

    def objective(p: JaxParams, windows: jax.Array) -> jax.Array:
        if not frozen:
            return loss(p, windows, config)
        return distillation_loss(p, windows, config, logits(frozen, windows[:, :-1], teacher_config))

    @jax.jit
    def step(p: JaxParams, s: Any, windows: jax.Array) -> tuple[JaxParams, Any, jax.Array]:
        value, grads = jax.value_and_grad(objective)(p, windows)
        updates, s = optimiser.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    rng = np.random.default_rng(recipe.seed + 1000)
    progress = Progress(label, recipe.steps, stream)
    losses: list[float] = []
    evaluations = [(0, evaluate(params))] if evaluate and eval_every else []
    for i in range(1, recipe.steps + 1):
        windows = jnp.asarray(corpus.windows("train", recipe.batch, config.max_seq_len + 1, rng))
        params, state, value = step(params, state, windows)
        losses.append(float(value))
        progress.update(i, losses[-1])
        if evaluate and eval_every and (i % eval_every == 0 or i == recipe.steps):
            evaluations.append((i, evaluate(params)))
    numpy_params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
    return RunResult(numpy_params, losses, evaluations, time.perf_counter() - began)


def uptrain_all(
    target: Params, corpus: Corpus, stream: IO[str] = sys.stderr, kv_heads: tuple[int, ...] = KV_HEADS
) -> list[dict[str, Any]]:
    """Mean-pool the multi-head target to each key/value head count and uptrain it; one record each."""
    steps = max(1, round(TARGET_RECIPE.steps * UPTRAIN_FRACTION))
    recipe = Recipe(steps=steps, batch=TARGET_RECIPE.batch, peak_lr=UPTRAIN_LR, warmup=0, seed=7, cosine=False)
    windows = corpus.fixed_windows("validation", EVAL_WINDOWS, WINDOW + 1)
    records = []
    for n_kv in kv_heads:
        config, params = convert_params(TARGET, target, n_kv)
        label = "MHA" if n_kv == TARGET.n_head else "MQA" if n_kv == 1 else f"GQA-{TARGET.n_head // n_kv}:1"
        run = train(config, recipe, corpus, f"uptrain {label}", params, evaluator(config, windows), 3, stream)
        check = evaluator(config, windows[:CHECK_WINDOWS])({k: jnp.asarray(v) for k, v in params.items()})
        records.append(
            {
                "label": label,
                "n_kv_heads": n_kv,
                "group_size": TARGET.n_head // n_kv,
                "uptraining_steps": steps,
                "validation_before": run.evaluations[0][1],
                f"validation_before_first_{CHECK_WINDOWS}_windows": check,
                "validation_after": run.evaluations[-1][1],
                "curve": run.evaluations,
                "seconds": round(run.seconds, 1),
            }
        )
    return records


def numpy_agrees(config: GPTConfig, params: Params, windows: np.ndarray[Any, Any]) -> float:
    """Largest |numpy logits - jax logits| on one window: the trained weights mean the same in both."""
    from livingspec.training.model import logits

    tokens = windows[0, :-1]
    ours = Transformer(config, params).forward(tokens)  # [T, V]
    theirs = np.asarray(logits({k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(tokens[None]), config))[0]
    return float(np.max(np.abs(ours - theirs)))


def recipe_record(config: GPTConfig, recipe: Recipe) -> dict[str, Any]:
    """The configuration and recipe as manifest fields."""
    return {"config": config.to_dict(), "recipe": asdict(recipe), "window": WINDOW}
