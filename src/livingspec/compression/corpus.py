"""Deterministic sample payloads: realistic JSON and HTML API responses, and already-compressed bytes.

Every payload is made from a seeded generator, so sizes and ratios in the specification are
the same on every run. ``users_json(1247)`` is the seed's GET /api/users body. Sizes are bounded
(``SIZE_RANGES``): a page of users needs room for its frame, and nothing is made past
``MAX_SAMPLE_SIZE``, so a request cannot make the sample application build gigabytes.
"""

from __future__ import annotations

import json
import random
import zlib

from livingspec.compression.errors import SampleSizeError, UnknownSampleKindError

KINDS: dict[str, str] = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
    "gzip": "application/gzip",
}

#: The largest sample made (bytes): half the default decode limit, twice the benchmark's largest body.
MAX_SAMPLE_SIZE = 4 << 20
#: Sizes (bytes, inclusive) each kind is made in; json and html need room for their frame.
SIZE_RANGES: dict[str, tuple[int, int]] = {
    "json": (40, MAX_SAMPLE_SIZE),
    "html": (120, MAX_SAMPLE_SIZE),
    "png": (0, MAX_SAMPLE_SIZE),
    "gzip": (0, MAX_SAMPLE_SIZE // 8),  # made by compressing about 7 times as much JSON
}
#: Streamed samples: at most this many chunks, each of at most this many bytes.
MAX_STREAM_CHUNKS = 1024
MAX_STREAM_CHUNK_SIZE = 64 * 1024


def check_sample(kind: str, size: int) -> None:
    """Raise UnknownSampleKindError (404) or SampleSizeError (422) unless ``kind`` is made in ``size`` bytes."""
    if kind not in SIZE_RANGES:
        raise UnknownSampleKindError(kind, tuple(KINDS))
    low, high = SIZE_RANGES[kind]
    if not low <= size <= high:
        raise SampleSizeError(kind, size, low, high)


def check_stream(chunks: int, size: int) -> None:
    """Raise SampleSizeError (422) unless ``chunks`` chunks of ``size`` bytes are within the stream's bounds."""
    if not 0 <= chunks <= MAX_STREAM_CHUNKS:
        raise SampleSizeError("stream", chunks, 0, MAX_STREAM_CHUNKS, "chunks")
    if not 0 <= size <= MAX_STREAM_CHUNK_SIZE:
        raise SampleSizeError("stream chunk", size, 0, MAX_STREAM_CHUNK_SIZE)


_FIRST = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret", "Ken", "Radia", "Leslie"]
_LAST = ["Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Hamilton", "Thompson", "Perlman"]
_ROLES = ["admin", "editor", "viewer", "billing", "support"]
_CITIES = ["London", "Arlington", "Manchester", "Boston", "Eindhoven", "Pittsburgh", "Berkeley", "Seattle"]
_TAGS = ["beta", "mfa", "sso", "trial", "enterprise", "newsletter", "api", "legacy"]
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _user(rng: random.Random, user_id: int) -> dict[str, object]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return {
        "id": user_id,
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com",
        "role": rng.choice(_ROLES),
        "active": rng.random() < 0.8,
        "city": rng.choice(_CITIES),
        "created_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
        "tags": rng.sample(_TAGS, rng.randint(0, 3)),
    }


def users_json(size: int = 1247, seed: int = 9) -> bytes:
    """A JSON page of users, ``{"data": [...], "next_cursor": "..."}``, exactly ``size`` bytes (size >= 40).

    Users are added while they fit; the cursor (random base32, like a real one) fills the rest.
    """
    if size < 40:
        raise SampleSizeError("json", size, 40, MAX_SAMPLE_SIZE)
    rng = random.Random(seed)
    head, tail = '{"data":[', '],"next_cursor":"{cursor}"}}'
    users: list[str] = []
    length = len(head) + len(tail.format(cursor=""))
    while True:
        user = json.dumps(_user(rng, len(users) + 1), separators=(",", ":"))
        extra = len(user) + (1 if users else 0)
        if length + extra > size - 8:
            break
        users.append(user)
        length += extra
    cursor = "".join(rng.choice(_ALPHABET) for _ in range(size - length))
    body = (head + ",".join(users) + tail.format(cursor=cursor)).encode()
    assert len(body) == size
    return body


def users_html(size: int, seed: int = 9) -> bytes:
    """An HTML page with a table of users, exactly ``size`` bytes (size >= 120)."""
    if size < 120:
        raise SampleSizeError("html", size, 120, MAX_SAMPLE_SIZE)
    rng = random.Random(seed)
    head = "<!doctype html><html><head><title>Users</title></head><body><table>"
    tail = "</table><!--{pad}--></body></html>"
    rows: list[str] = []
    length = len(head) + len(tail.format(pad=""))
    while True:
        user = _user(rng, len(rows) + 1)
        row = (
            f'<tr class="user {user["role"]}"><td>{user["id"]}</td><td>{user["name"]}</td>'
            f'<td><a href="mailto:{user["email"]}">{user["email"]}</a></td><td>{user["city"]}</td></tr>\n'
        )
        if length + len(row) > size:
            break
        rows.append(row)
        length += len(row)
    pad = "".join(rng.choice(_ALPHABET) for _ in range(size - length))
    body = (head + "".join(rows) + tail.format(pad=pad)).encode()
    assert len(body) == size
    return body


def incompressible(size: int, seed: int = 9) -> bytes:
    """``size`` bytes that do not compress (a PNG signature, then seeded random bytes, as in a photo)."""
    signature = b"\x89PNG\r\n\x1a\n"
    return (signature + random.Random(seed).randbytes(max(size - len(signature), 0)))[:size]


def gzip_archive(size: int, seed: int = 9) -> bytes:
    """A gzip file of about ``size`` bytes: JSON already compressed, as a download would be."""
    data = users_json(max(size * 7, 40), seed)
    obj = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = obj.compress(data) + obj.flush()
    return packed


def payload(kind: str, size: int, seed: int = 9) -> tuple[bytes, str]:
    """A sample body of ``kind`` (json, html, png, gzip) and about ``size`` bytes, with its content type.

    An unknown kind raises UnknownSampleKindError, a size outside ``SIZE_RANGES`` SampleSizeError.
    """
    check_sample(kind, size)
    makers = {"json": users_json, "html": users_html, "png": incompressible, "gzip": gzip_archive}
    return makers[kind](size, seed), KINDS[kind]
