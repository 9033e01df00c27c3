"""``python -m livingspec.training [MODELS_DIR]``: train every model from scratch and write the manifest.

Writes target.safetensors, draft.safetensors, manifest.json (corpus hash, recipes, losses) and
gqa_uptraining.json (validation loss of each mean-pooled conversion before and after uptraining).

``python -m livingspec.training check [MODELS_DIR [SCRATCH_DIR]]`` trains everything again into a
scratch folder (a temporary one by default) and compares the losses with the committed ones
(``livingspec.training.check``); it exits 1 when a figure is more than 2% away.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jax

from livingspec.gqa import Params, Transformer, save_model
from livingspec.training.check import compare, table
from livingspec.training.corpus import CORPUS_FILES, load_corpus
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
    if argv[:1] == ["check"]:
        return check(Path(argv[1] if len(argv) > 1 else "models"), argv[2] if len(argv) > 2 else None)
    root = Path(argv[0] if argv else "models")
    began, cpu = time.perf_counter(), time.process_time()
    corpus = load_corpus(root)
    windows = corpus.fixed_windows("validation", EVAL_WINDOWS, WINDOW + 1)
    models: dict[str, Any] = {}
    trained: dict[str, Params] = {}
    for name, config, recipe in (("target", TARGET, TARGET_RECIPE), ("draft", DRAFT, DRAFT_RECIPE)):
        teacher = (TARGET, trained["target"]) if recipe.teacher == "target" else None
        run = train(config, recipe, corpus, f"train {name}", teacher=teacher)
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
        "cpu_seconds": round(time.process_time() - cpu, 1),
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (root / "gqa_uptraining.json").write_text(
        json.dumps({"base": "target", "corpus_sha256": corpus.sha256, "runs": uptraining}, indent=1) + "\n"
    )
    print(f"models written to {root} in {manifest['seconds']:.0f} s")
    return 0


def _read(root: Path, name: str) -> dict[str, Any]:
    return json.loads((root / name).read_text())  # type: ignore[no-any-return]


def check(models: Path, scratch: str | None) -> int:
    """Retrain into ``scratch`` (a temporary folder by default) and compare the losses with the committed ones."""
    folder = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix="livingspec-models-"))
    for name in CORPUS_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(models / name, folder / name)
    main([str(folder)])
    committed, retrained = _read(models, "manifest.json"), _read(folder, "manifest.json")
    figures, problems = compare(
        committed, retrained, _read(models, "gqa_uptraining.json"), _read(folder, "gqa_uptraining.json")
    )
    print(table(figures, committed, retrained))
    if committed["corpus"]["sha256"] != retrained["corpus"]["sha256"]:
        problems.insert(0, "the corpus differs from the one the committed models were trained on")
    for problem in problems:
        print(f"FAIL: {problem}")
    print("the retrained models reproduce the committed losses" if not problems else f"retrained into {folder}")
    if not problems and not scratch:
        shutil.rmtree(folder)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
