"""Errors of payload compression: one root, a subclass per failure mode, each naming the bad part.

Each error carries the HTTP status the middleware answers with, so the boundary maps them in
one place: 400 for a body that is not what its Content-Encoding says, 413 for a bomb, 415 for a
coding the server does not know, 406 when no representation is acceptable.
"""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class CompressionError(LivingSpecError, ValueError):
    """Root of every payload-compression error."""

    status = 400


class UnsupportedEncodingError(CompressionError):
    """A content coding this server neither produces nor decodes (answered with 415)."""

    status = 415

    def __init__(self, coding: str, supported: tuple[str, ...]) -> None:
        self.coding, self.supported = coding, supported
        super().__init__(f"unsupported content coding {coding!r}; supported: {', '.join(supported)}")


class TooManyCodingsError(CompressionError):
    """A Content-Encoding lists more codings than the server undoes (answered with 415).

    Each layer costs a full decode: 150 gzip layers cost seconds of CPU, so the count is capped as
    urllib3 does (5 at most); nginx's gunzip undoes a single layer.
    """

    status = 415

    def __init__(self, count: int, limit: int) -> None:
        self.count, self.limit = count, limit
        super().__init__(f"Content-Encoding lists {count} codings; at most {limit} are decoded")


class UnknownSampleKindError(CompressionError):
    """The sample application has no sample of this kind (answered with 404)."""

    status = 404

    def __init__(self, kind: str, known: tuple[str, ...]) -> None:
        self.kind, self.known = kind, known
        super().__init__(f"unknown payload kind {kind!r}; known: {', '.join(known)}")


class UnknownShapeError(CompressionError):
    """A sample shape the kind does not come in (answered with 422)."""

    status = 422

    def __init__(self, kind: str, shape: str, known: tuple[str, ...]) -> None:
        self.kind, self.shape, self.known = kind, shape, known
        super().__init__(f"unknown shape {shape!r} of {kind} samples; known: {', '.join(known)}")


class SampleSizeError(CompressionError):
    """A sample size outside what the sample application makes (answered with 422)."""

    status = 422

    def __init__(self, kind: str, size: int, low: int, high: int, unit: str = "bytes") -> None:
        self.kind, self.size, self.low, self.high, self.unit = kind, size, low, high, unit
        super().__init__(f"{kind} samples have {low}..{high} {unit}, asked for {size}")


class InvalidLevelError(CompressionError):
    """A compression level outside the coding's range."""

    def __init__(self, coding: str, level: int | str, low: int, high: int) -> None:
        self.coding, self.level, self.low, self.high = coding, level, low, high
        super().__init__(f"{coding} level {level} outside {low}..{high} (or default, fastest, best)")


class NotAcceptableError(CompressionError):
    """No content coding the server offers is acceptable to the client, identity included (406)."""

    status = 406

    def __init__(self, header: str | None) -> None:
        self.header = header
        super().__init__(f"no acceptable content coding for Accept-Encoding {header!r}")


class CorruptBodyError(CompressionError):
    """The bytes are not a valid stream of their declared coding (answered with 400)."""

    status = 400

    def __init__(self, coding: str, detail: str) -> None:
        self.coding, self.detail = coding, detail
        super().__init__(f"corrupt {coding} body: {detail}")


class TruncatedBodyError(CorruptBodyError):
    """The stream of the declared coding ends before its end marker (answered with 400)."""

    def __init__(self, coding: str, decoded: int) -> None:
        self.decoded = decoded
        super().__init__(coding, f"stream ends before its end marker after {decoded} decoded byte(s)")


class DecompressionBombError(CompressionError):
    """Decoding would exceed a hard limit: a compression bomb, refused with 413 before memory runs out."""

    status = 413


class DecodedSizeLimitError(DecompressionBombError):
    """The decoded body grew past the limit on decoded bytes."""

    def __init__(self, coding: str, decoded: int, limit: int) -> None:
        self.coding, self.decoded, self.limit = coding, decoded, limit
        super().__init__(f"{coding} body decodes to more than {limit} bytes (stopped at {decoded})")


class CompressionRatioLimitError(DecompressionBombError):
    """The decoded body is more times larger than its encoded form than the ratio limit allows."""

    def __init__(self, coding: str, decoded: int, encoded: int, limit: float) -> None:
        self.coding, self.decoded, self.encoded, self.limit = coding, decoded, encoded, limit
        super().__init__(
            f"{coding} body expands {decoded / max(encoded, 1):.0f}x ({encoded} -> {decoded}+ bytes), limit {limit:g}x"
        )


class EncodedSizeLimitError(DecompressionBombError):
    """The encoded request body itself is larger than the server reads."""

    def __init__(self, received: int, limit: int) -> None:
        self.received, self.limit = received, limit
        super().__init__(f"encoded body of more than {limit} bytes (received {received})")
