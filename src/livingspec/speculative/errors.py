"""Errors of speculative decoding: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class SpeculativeError(LivingSpecError, ValueError):
    """Root of every speculative-decoding error."""


class SamplingError(SpeculativeError):
    """A sampling setting or a probability vector is invalid (temperature, top-k, not a distribution)."""


class DraftError(SpeculativeError):
    """A draft cannot serve this target (different vocabulary, bad gamma, bad layer count)."""


class GenerationError(SpeculativeError):
    """A generation request is invalid (empty prompt, negative length, prompt too long for the model)."""


class ModelFileError(SpeculativeError):
    """A trained model's file is missing, corrupt, of the wrong shape, or does not fit its partner."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = str(path), problem
        super().__init__(f"model file {self.path!r}: {problem}")
