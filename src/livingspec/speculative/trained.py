"""The trained byte-level target and draft shipped under ``models/``, loaded into the numpy transformer.

``make models`` trains them (``livingspec.training``) and writes ``manifest.json``: the corpus hash,
each file's SHA-256, configuration, recipe and losses. Loading checks each file against the
manifest, so a missing file, a corrupt or replaced one, a tensor of the wrong shape, or a draft
whose vocabulary is not the target's each raise ModelFileError naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from livingspec.gqa import CheckpointError, GPTConfig, Transformer, load_model, param_shapes
from livingspec.speculative.errors import ModelFileError

#: The repository's models folder (weights, manifest, corpus).
MODELS_DIR = Path(__file__).resolve().parents[3] / "models"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TrainedPair:
    """The trained target and draft and the manifest that describes them."""

    target: Transformer
    draft: Transformer
    manifest: dict[str, Any]

    def record(self, name: str) -> dict[str, Any]:
        """The manifest's entry for "target" or "draft"."""
        return dict(self.manifest["models"][name])


def read_manifest(models_dir: Path) -> dict[str, Any]:
    """The manifest as a dict; ModelFileError when it is missing or not the expected JSON."""
    path = models_dir / MANIFEST
    if not path.is_file():
        raise ModelFileError(path, "the manifest is missing (make models writes it)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(path, f"the manifest is not JSON: {error}") from error
    models = manifest.get("models") if isinstance(manifest, dict) else None
    for name in ("target", "draft"):
        record = models.get(name) if isinstance(models, dict) else None
        lacking = [k for k in ("file", "sha256", "config") if not isinstance(record, dict) or k not in record]
        if lacking:
            raise ModelFileError(path, f"the manifest has no {', '.join(lacking)} for the {name}")
    return manifest  # type: ignore[no-any-return]


def load_checked(path: Path, record: dict[str, Any]) -> Transformer:
    """One model file, checked against its manifest record (hash, configuration, tensor shapes)."""
    if not path.is_file():
        raise ModelFileError(path, "the weights file is missing (make models writes it)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != record["sha256"]:
        raise ModelFileError(
            path, f"its SHA-256 {digest[:12]}... is not the manifest's {record['sha256'][:12]}...: corrupt or replaced"
        )
    try:
        model = load_model(path)
    except CheckpointError as error:
        raise ModelFileError(path, f"unreadable weights: {error}") from error
    expected = GPTConfig.from_dict(record["config"])
    if model.config != expected:
        wrong = sorted(k for k, v in expected.to_dict().items() if model.config.to_dict()[k] != v)
        raise ModelFileError(path, f"its configuration differs from the manifest's in {', '.join(wrong)}")
    for key, shape in param_shapes(expected).items():
        if tuple(model.params[key].shape) != shape:  # load_model checks too; kept for files it would accept
            raise ModelFileError(path, f"weight {key!r} has shape {model.params[key].shape}, expected {shape}")
    return model


def load_pair(models_dir: str | Path = MODELS_DIR) -> TrainedPair:
    """The target and draft from a models folder; the draft must share the target's vocabulary."""
    root = Path(models_dir)
    manifest = read_manifest(root)
    models = manifest["models"]
    target = load_checked(root / models["target"]["file"], models["target"])
    draft_path = root / models["draft"]["file"]
    draft = load_checked(draft_path, models["draft"])
    if draft.config.vocab_size != target.config.vocab_size:
        raise ModelFileError(
            draft_path,
            f"the draft's vocabulary has {draft.config.vocab_size} tokens, the target's "
            f"{target.config.vocab_size}: a draft must share the target's tokenizer",
        )
    return TrainedPair(target, draft, manifest)


@lru_cache(maxsize=2)
def trained_pair(models_dir: str = str(MODELS_DIR)) -> TrainedPair:
    """load_pair, memoised per folder (the features load the committed pair once per process)."""
    return load_pair(models_dir)
