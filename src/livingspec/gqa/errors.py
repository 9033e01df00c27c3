"""Errors of the grouped-query attention package: one root, a subclass per failure mode."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class GQAError(LivingSpecError, ValueError):
    """Root of every grouped-query attention error."""


class ConfigError(GQAError):
    """A model configuration is impossible (e.g. the KV head count does not divide the query heads)."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field, self.value, self.reason = field, value, reason
        super().__init__(f"bad configuration: {field}={value!r}: {reason}")


class ShapeError(GQAError):
    """An array or token sequence has the wrong shape, length or range for the model."""


class CacheError(GQAError):
    """A KV cache was asked for something it cannot do (overflow, rollback beyond its length)."""


class CheckpointError(GQAError):
    """A weights file is unreadable, or its tensors do not match the configuration."""


class UnknownModelError(GQAError):
    """A named configuration or dtype is not in the table of known ones."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(known)}")
