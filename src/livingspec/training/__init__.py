"""Training the small byte-level transformers that speculative decoding and GQA run on.

The corpus is text the project ships (its feature files, its README and the seed document, copied
under ``models/corpus/``); the tokenizer is the UTF-8 bytes (vocabulary 256). Models are trained
with JAX (jit-compiled on CPU) in the exact architecture of ``livingspec.gqa.Transformer`` and
saved as safetensors; inference stays in numpy. ``python -m livingspec.training`` (``make models``)
trains the target, the draft and the GQA uptraining runs from a fixed seed and writes the manifest.
Only ``corpus`` is importable without JAX.
"""

from livingspec.training.corpus import (
    CORPUS_FILES,
    Corpus,
    CorpusError,
    TrainingError,
    decode,
    encode,
    load_corpus,
)

__all__ = ["CORPUS_FILES", "Corpus", "CorpusError", "TrainingError", "decode", "encode", "load_corpus"]
