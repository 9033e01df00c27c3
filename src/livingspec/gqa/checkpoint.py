"""Saving and loading weights with safetensors (the format Hugging Face checkpoints ship in).

The configuration travels in the file's string metadata under "livingspec.gqa.config" (JSON),
so a file alone rebuilds the model. Unreadable files and mismatched tensors raise CheckpointError.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import CheckpointError, ConfigError
from livingspec.gqa.model import Transformer

CONFIG_KEY = "livingspec.gqa.config"


def save_model(model: Transformer, path: str | Path) -> Path:
    """Write the weights and configuration to a .safetensors file."""
    path = Path(path)
    metadata = {CONFIG_KEY: json.dumps(model.config.to_dict())}
    save_file({key: w for key, w in model.params.items()}, str(path), metadata=metadata)
    return path


def load_model(path: str | Path) -> Transformer:
    """Read a model written by save_model (or any safetensors file with the same keys and metadata)."""
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
            params = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"cannot read safetensors file {str(path)!r}: {error}") from error
    if CONFIG_KEY not in metadata:
        raise CheckpointError(f"{str(path)!r} has no {CONFIG_KEY!r} metadata: the configuration is unknown")
    try:
        config = GPTConfig.from_dict(json.loads(metadata[CONFIG_KEY]))
    except (json.JSONDecodeError, TypeError, ConfigError) as error:
        raise CheckpointError(f"bad configuration in {str(path)!r}: {error}") from error
    return Transformer(config, params)
