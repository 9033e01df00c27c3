"""``python -m livingspec.training [MODELS_DIR]``: train every model from scratch and write the manifest.

Writes target.safetensors, draft.safetensors, manifest.json (corpus hash, recipes, losses) and
gqa_uptraining.json (validation loss of each mean-pooled conversion before and after uptraining).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import jax

from livingspec.gqa import Transformer, save_model
from livingspec.training.corpus import load_corpus
from livingspec.training.train import (
    DRAFT,
    DRAFT_RECIPE,
    EVAL_WINDOWS,
    TARGET,
    TARGET_RECIPE,
    WINDOW,
    evaluator,
    numpy_agrees,
    recipe_record,
    train,
    uptrain_all,
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    """Train target, draft and the GQA uptraining runs into the models folder."""
    root = Path(argv[0] if argv else "models")
    began = time.perf_counter()
    corpus = load_corpus(root)
    windows = corpus.fixed_windows("validation", EVAL_WINDOWS, WINDOW + 1)
    models: dict[str, Any] = {}
    trained = {}
    for name, config, recipe in (("target", TARGET, TARGET_RECIPE), ("draft", DRAFT, DRAFT_RECIPE)):
        run = train(config, recipe, corpus, f"train {name}")
        trained[name] = run.params
        path = save_model(Transformer(config, run.params), root / f"{name}.safetensors")
        drift = numpy_agrees(config, run.params, windows)
        validation = evaluator(config, windows)({k: jax.numpy.asarray(v) for k, v in run.params.items()})
        if drift > 1e-3:
            raise SystemExit(f"numpy and jax logits differ by {drift} for the {name}: the architectures disagree")
        models[name] = {
            "file": path.name,
            "sha256": _sha256(path),
            **recipe_record(config, recipe),
            "n_params": Transformer(config, run.params).n_params,
            "final_train_loss": round(run.final_loss, 4),
            "validation_loss": round(validation, 4),
            "train_loss_every_10_steps": [round(v, 4) for v in run.train_losses[9::10]],
            "seconds": round(run.seconds, 1),
        }
    uptraining = uptrain_all(trained["target"], corpus)
    manifest = {
        "corpus": {
            "files": list(corpus.files),
            "sha256": corpus.sha256,
            "train_bytes": len(corpus.train),
            "validation_bytes": len(corpus.validation),
        },
        "tokenizer": "UTF-8 bytes, vocabulary 256",
        "library": f"jax {jax.__version__}",
        "validation_windows": EVAL_WINDOWS,
        "models": models,
        "seconds": round(time.perf_counter() - began, 1),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (root / "gqa_uptraining.json").write_text(
        json.dumps({"base": "target", "corpus_sha256": corpus.sha256, "runs": uptraining}, indent=1) + "\n"
    )
    print(f"models written to {root} in {manifest['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
