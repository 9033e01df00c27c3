"""The training corpus: a fixed list of files the project ships, hashed, as UTF-8 bytes.

Tokens are bytes (ids 0..255), so any text has a tokenization and both models share it. The
validation split is every tenth 1 KiB chunk of the concatenation, so it samples every file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from livingspec.errors import LivingSpecError

#: The corpus, in order: paths relative to the models folder.
CORPUS_FILES = ("corpus/seed.txt", "corpus/project_readme.md", "corpus/features.txt")
VOCAB_SIZE = 256  # one token per byte value
CHUNK = 1024  # bytes per chunk of the train/validation split
VALIDATION_EVERY = 10  # every tenth chunk is held out

Tokens = npt.NDArray[np.int32]


class CorpusError(LivingSpecError, ValueError):
    """A corpus file is missing, or the corpus is too small to draw the requested windows."""


class TrainingError(LivingSpecError, ValueError):
    """A training run cannot start as asked (a distilled recipe without its teacher, an unknown command)."""


def encode(text: str) -> list[int]:
    """Text to byte tokens (UTF-8)."""
    return list(text.encode("utf-8"))


def decode(tokens: list[int] | npt.NDArray[Any]) -> str:
    """Byte tokens to text; bytes that are not valid UTF-8 show as U+FFFD."""
    return bytes(int(t) for t in tokens).decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Corpus:
    """The corpus bytes, its SHA-256 and the train and validation token arrays."""

    files: tuple[str, ...]
    sha256: str
    train: Tokens
    validation: Tokens

    def windows(self, split: str, count: int, length: int, rng: np.random.Generator) -> Tokens:
        """``count`` random windows of ``length`` tokens from a split: [count, length]."""
        data = self.train if split == "train" else self.validation
        if len(data) <= length:
            raise CorpusError(f"the {split} split has {len(data)} tokens, a window needs {length + 1}")
        starts = rng.integers(0, len(data) - length, count)
        return np.stack([data[s : s + length] for s in starts])

    def fixed_windows(self, split: str, count: int, length: int) -> Tokens:
        """``count`` evenly spaced windows of ``length`` tokens (a deterministic evaluation set)."""
        data = self.train if split == "train" else self.validation
        if len(data) <= length:
            raise CorpusError(f"the {split} split has {len(data)} tokens, a window needs {length + 1}")
        starts = np.linspace(0, len(data) - length, count).astype(int)
        return np.stack([data[s : s + length] for s in starts])


def load_corpus(models_dir: str | Path) -> Corpus:
    """Read CORPUS_FILES under models_dir, hash them, and split into train and validation tokens."""
    root = Path(models_dir)
    parts = []
    for name in CORPUS_FILES:
        path = root / name
        if not path.is_file():
            raise CorpusError(f"corpus file {str(path)!r} is missing")
        parts.append(path.read_bytes())
    blob = b"\n".join(parts)
    data = np.frombuffer(blob, dtype=np.uint8).astype(np.int32)
    chunk_ids = np.arange(len(data)) // CHUNK
    held_out = chunk_ids % VALIDATION_EVERY == VALIDATION_EVERY - 1
    return Corpus(CORPUS_FILES, hashlib.sha256(blob).hexdigest(), data[~held_out], data[held_out])
