"""Errors of the delta codec: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class DeltaError(LivingSpecError, ValueError):
    """Root of every delta-encoding error."""


class UnsupportedDtypeError(DeltaError):
    """The values are not integers the codec can hold exactly (int8..int64, uint8..uint32)."""


class MissingScaleError(DeltaError):
    """Floating-point values were given without a fixed-point scale: their deltas would not be exact."""


class InexactScaleError(DeltaError):
    """A value has more decimal places than the fixed-point scale keeps."""


class TruncatedDataError(DeltaError):
    """The packed bytes end before the header or a block says they should."""

    def __init__(self, what: str, offset: int, needed: int, available: int) -> None:
        self.what, self.offset, self.needed, self.available = what, offset, needed, available
        super().__init__(f"truncated packed data: {what} at byte {offset} needs {needed} byte(s), {available} remain")


class CorruptDataError(DeltaError):
    """The packed bytes hold a value the format does not allow (a bad header field or bit width)."""


class ValueCountError(DeltaError):
    """The header promises more values than the packed bytes can hold, or than the caller's max_values."""
