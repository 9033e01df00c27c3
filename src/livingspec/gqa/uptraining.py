"""GQA's quality claim in miniature: mean-pooled conversions of a trained MHA model, before and after uptraining.

Ainslie et al. (2023), sections 2.1 and 4: an MHA checkpoint is converted by mean-pooling its key
and value heads into groups, then uptrained for a small fraction (alpha = 0.05) of its pre-training
steps. ``make models`` does this to the trained byte-level target (``livingspec.training``) and
writes ``models/gqa_uptraining.json``; this module reads that table and recomputes, in numpy, the
cheap half of it: the validation loss of each conversion before uptraining, from the committed
MHA weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livingspec.gqa.attention import Array
from livingspec.gqa.convert import convert_to_gqa
from livingspec.gqa.errors import CheckpointError
from livingspec.gqa.model import Transformer

MODELS = Path(__file__).resolve().parents[3] / "models"
#: The table ``make models`` writes beside the weights, the MHA target it started from, and the manifest.
UPTRAINING_FILE = MODELS / "gqa_uptraining.json"
TRAINED_TARGET_FILE = MODELS / "target.safetensors"
MANIFEST_FILE = MODELS / "manifest.json"


@dataclass(frozen=True)
class UptrainingRun:
    """One conversion of the MHA target: its grouping and validation loss before and after uptraining."""

    label: str  # MHA (the control, continued the same way), GQA-4:1, GQA-8:1, MQA
    n_kv_heads: int
    group_size: int  # query heads per key/value head
    steps: int  # uptraining steps
    before: float  # validation loss right after mean-pooling (nats per byte)
    after: float  # after uptraining
    curve: tuple[tuple[int, float], ...]  # (uptraining step, validation loss)
    check_windows: int  # the first few validation windows, where ``check_before`` was measured
    check_before: float  # validation loss before uptraining on those windows alone (cheap to recompute)


def load_uptraining(path: str | Path = UPTRAINING_FILE) -> list[UptrainingRun]:
    """The committed uptraining table; CheckpointError naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        runs: list[dict[str, Any]] = json.loads(path.read_text())["runs"]
        return [
            UptrainingRun(
                r["label"],
                int(r["n_kv_heads"]),
                int(r["group_size"]),
                int(r["uptraining_steps"]),
                float(r["validation_before"]),
                float(r["validation_after"]),
                tuple((int(s), float(v)) for s, v in r["curve"]),
                *_check_figure(r),
            )
            for r in runs
        ]
    except OSError as error:
        raise CheckpointError(f"uptraining table {str(path)!r} cannot be read: {error}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"uptraining table {str(path)!r} is malformed: {error!r}") from error


def _check_figure(record: dict[str, Any]) -> tuple[int, float]:
    """The (windows, loss) of the record's ``validation_before_first_<n>_windows`` entry."""
    prefix, suffix = "validation_before_first_", "_windows"
    for key, value in record.items():
        if key.startswith(prefix) and key.endswith(suffix):
            return int(key[len(prefix) : -len(suffix)]), float(value)
    raise KeyError(f"{prefix}<n>{suffix}")


def validation_loss(model: Transformer, windows: Array) -> float:
    """Mean next-token cross-entropy (nats per token) of the model over windows [N, T + 1], in numpy."""
    losses = []
    for window in windows:
        logits = model.forward(window[:-1]).astype(np.float64)  # [T, V]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # [T, V]
        losses.append(-log_p[np.arange(len(window) - 1), window[1:]].mean())
    return float(np.mean(losses))


def pooled_loss(model: Transformer, n_kv_heads: int, windows: Array) -> float:
    """Validation loss of the model mean-pooled to n_kv_heads key/value heads, without uptraining."""
    return validation_loss(convert_to_gqa(model, n_kv_heads), windows)


def original_steps(manifest: str | Path = MANIFEST_FILE) -> int:
    """The MHA target's pre-training steps, from the models manifest."""
    path = Path(manifest)
    try:
        return int(json.loads(path.read_text())["models"]["target"]["recipe"]["steps"])
    except OSError as error:
        raise CheckpointError(f"manifest {str(path)!r} cannot be read: {error}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"manifest {str(path)!r} has no target training steps: {error!r}") from error


def validation_windows(models_dir: str | Path = MODELS) -> Array:
    """The validation windows the uptraining table was measured on (the corpus shipped in the models folder)."""
    from livingspec.training import load_corpus

    path = Path(models_dir) / MANIFEST_FILE.name
    try:
        manifest = json.loads(path.read_text())
        count, length = int(manifest["validation_windows"]), int(manifest["models"]["target"]["window"])
    except OSError as error:
        raise CheckpointError(f"manifest {str(path)!r} cannot be read: {error}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"manifest {str(path)!r} has no validation windows: {error!r}") from error
    return load_corpus(models_dir).fixed_windows("validation", count, length + 1)
