"""Payload compression: send fewer bytes by encoding the body, and restore it exactly on arrival.

Seed, day 9. The client says which content codings it can decode (Accept-Encoding, RFC 9110
12.5.3); the server picks one, compresses the body and labels it (Content-Encoding, RFC 9110
8.4) and says the response varies with that header (Vary, RFC 9110 12.5.5); the client
decodes and the application on either side never notices. gzip and deflate (RFC 1952/1950,
zlib), br (RFC 7932, brotli) and zstd (RFC 8878, zstandard) trade CPU time for bandwidth at a
level of the server's choosing. Request bodies travel compressed too, decoded under hard limits
so that a compression bomb is refused (413) instead of filling memory.
"""

from livingspec.compression.client import Exchange, fetch_in_process, fetch_over_http, http_client
from livingspec.compression.codecs import (
    CODINGS,
    DEFAULT_LEVELS,
    LEVEL_RANGES,
    DecodeLimits,
    Encoder,
    check_layers,
    compress,
    decode,
    decode_all,
    encoder,
    parse_content_encoding,
)
from livingspec.compression.corpus import (
    KINDS,
    MAX_SAMPLE_SIZE,
    SIZE_RANGES,
    check_sample,
    check_stream,
    incompressible,
    payload,
    users_html,
    users_json,
)
from livingspec.compression.errors import (
    CompressionError,
    CompressionRatioLimitError,
    CorruptBodyError,
    DecodedSizeLimitError,
    DecompressionBombError,
    EncodedSizeLimitError,
    InvalidLevelError,
    NotAcceptableError,
    SampleSizeError,
    TooManyCodingsError,
    TruncatedBodyError,
    UnknownSampleKindError,
    UnsupportedEncodingError,
)
from livingspec.compression.middleware import (
    ALREADY_COMPRESSED,
    ORIGINAL_LENGTH,
    CompressionMiddleware,
    CompressionPolicy,
)
from livingspec.compression.negotiation import (
    DEFAULT_PREFERENCE,
    AcceptEncoding,
    Negotiation,
    acceptable_codings,
    negotiate,
    parse_accept_encoding,
)
from livingspec.compression.streaming import StreamTrace, decode_prefix, trace_stream

__all__ = [
    "ALREADY_COMPRESSED",
    "CODINGS",
    "DEFAULT_LEVELS",
    "DEFAULT_PREFERENCE",
    "KINDS",
    "LEVEL_RANGES",
    "MAX_SAMPLE_SIZE",
    "ORIGINAL_LENGTH",
    "SIZE_RANGES",
    "AcceptEncoding",
    "CompressionError",
    "CompressionMiddleware",
    "CompressionPolicy",
    "CompressionRatioLimitError",
    "CorruptBodyError",
    "DecodeLimits",
    "DecodedSizeLimitError",
    "DecompressionBombError",
    "EncodedSizeLimitError",
    "Encoder",
    "Exchange",
    "InvalidLevelError",
    "Negotiation",
    "NotAcceptableError",
    "SampleSizeError",
    "StreamTrace",
    "TooManyCodingsError",
    "TruncatedBodyError",
    "UnknownSampleKindError",
    "UnsupportedEncodingError",
    "acceptable_codings",
    "check_layers",
    "check_sample",
    "check_stream",
    "compress",
    "decode",
    "decode_all",
    "decode_prefix",
    "encoder",
    "fetch_in_process",
    "fetch_over_http",
    "http_client",
    "incompressible",
    "negotiate",
    "parse_accept_encoding",
    "parse_content_encoding",
    "payload",
    "trace_stream",
    "users_html",
    "users_json",
]
