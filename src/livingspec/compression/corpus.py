"""Deterministic sample payloads: realistic JSON and HTML API responses, and already-compressed bytes.

Every payload is made from a seeded generator, so sizes and ratios in the specification are
the same on every run. ``users_page(1247)`` is the seed's GET /api/users body. A sample is
described by kind, size and shape (``describe``, ``PayloadSpec``); the named samples are the
kinds' default shapes. Sizes are bounded
(``SIZE_RANGES``): a page of users needs room for its frame, and nothing is made past
``MAX_SAMPLE_SIZE``, so a request cannot make the sample application build gigabytes.
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass

from livingspec.compression.errors import SampleSizeError, UnknownSampleKindError, UnknownShapeError

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
#: The shapes each kind comes in, the kind's default first, with what each looks like.
SHAPES: dict[str, dict[str, str]] = {
    "json": {
        "compact": "user records on one line; an opaque random cursor fills the page to its size",
        "pretty": "user records indented two spaces, as most APIs print them; a short opaque cursor",
    },
    "html": {"table": "a table of users, one row a line; a random comment fills the page to its size"},
    "png": {"random": "a PNG signature, then random bytes, as in a photo"},
    "gzip": {"archive": "a gzip file of JSON, as a download would be; about the size asked"},
}
#: Shapes that need more room than their kind's smallest size (bytes): a pretty page holds a user.
SHAPE_MINIMUM: dict[str, int] = {"pretty": 400}
#: Streamed samples: at most this many chunks, each of at most this many bytes.
MAX_STREAM_CHUNKS = 1024
MAX_STREAM_CHUNK_SIZE = 64 * 1024


def check_sample(kind: str, size: int, shape: str | None = None) -> str:
    """The shape (the kind's default when None) of a ``kind`` sample of ``size`` bytes, if one is made.

    Raises UnknownSampleKindError (404), UnknownShapeError or SampleSizeError (422).
    """
    if kind not in SIZE_RANGES:
        raise UnknownSampleKindError(kind, tuple(KINDS))
    shapes = SHAPES[kind]
    shape = next(iter(shapes)) if shape is None else shape
    if shape not in shapes:
        raise UnknownShapeError(kind, shape, tuple(shapes))
    low, high = SIZE_RANGES[kind]
    low = max(low, SHAPE_MINIMUM.get(shape, low))
    if not low <= size <= high:
        raise SampleSizeError(f"{shape} {kind}" if shape in SHAPE_MINIMUM else kind, size, low, high)
    return shape


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


_CURSOR = (16, 44)  # an opaque cursor's length (characters): base64 of 12 to 32 bytes
_DRAWS = 1000  # users drawn at most to bring a pretty page's cursor within _CURSOR


def _pretty_user(user: dict[str, object]) -> str:
    """One user as ``json.dumps(page, indent=2)`` prints it inside the page's data list."""
    return "\n".join("    " + line for line in json.dumps(user, indent=2).splitlines())


def _pretty_frame(users: list[str], cursor: str) -> str:
    data = "[\n" + ",\n".join(users) + "\n  ]" if users else "[]"
    return f'{{\n  "data": {data},\n  "page": 1,\n  "per_page": {len(users)},\n  "next_cursor": "{cursor}"\n}}\n'


def _pretty_length(total: int, count: int) -> int:
    """Length of a pretty page of ``count`` >= 1 users of ``total`` characters, its cursor empty."""
    one = len(_pretty_frame(["x"], ""))  # the frame around one user of one character
    return one - 1 + total + 2 * (count - 1) + len(str(count)) - 1


def users_page(size: int = 1247, seed: int = 9) -> bytes:
    """A pretty-printed JSON page of users (``json.dumps(page, indent=2)``), exactly ``size`` bytes (>= 400).

    Users are added while they fit; the page ends with a short opaque cursor (16 to 44 characters,
    as real cursors are), so the body is what an API sends rather than padding. When the room left
    is more than a cursor, further (seeded) users are drawn, each replacing a shorter one of the last
    64 when it still fits, until a cursor's room is left; after ``_DRAWS`` draws the cursor takes what
    is left. Pages of 4 KiB and more always end with a cursor of 16 to 44 characters; smaller ones
    hold too few users to take up every room, and their cursor may be longer.
    """
    if size < SHAPE_MINIMUM["pretty"]:
        raise SampleSizeError("pretty json", size, SHAPE_MINIMUM["pretty"], MAX_SAMPLE_SIZE)
    rng = random.Random(seed)
    users: list[str] = []
    total = 0  # characters of the users rendered so far
    low, high = _CURSOR
    for _ in range(size // 100 + _DRAWS):  # bounded: a user takes more than 100 characters
        record = _user(rng, 0)
        added = _pretty_user({**record, "id": len(users) + 1})
        if _pretty_length(total + len(added), len(users) + 1) + low <= size:
            users.append(added)
            total += len(added)
        elif users:  # the next user does not fit: let it replace a shorter one of the last few, if it then fits
            place = min(range(max(len(users) - 64, 0), len(users)), key=lambda index: len(users[index]))
            swapped = _pretty_user({**record, "id": place + 1})
            swapped_total = total - len(users[place]) + len(swapped)
            if swapped_total > total and _pretty_length(swapped_total, len(users)) + low <= size:
                users[place], total = swapped, swapped_total
        if users and size - _pretty_length(total, len(users)) <= high:
            break
    room = size - (_pretty_length(total, len(users)) if users else len(_pretty_frame([], "")))
    body = _pretty_frame(users, "".join(rng.choice(_ALPHABET) for _ in range(room))).encode()
    assert len(body) == size, (len(body), size)
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


_MAKERS = {
    "compact": users_json,
    "pretty": users_page,
    "table": users_html,
    "random": incompressible,
    "archive": gzip_archive,
}


@dataclass(frozen=True)
class PayloadSpec:
    """A sample body described by its kind (json, html, png, gzip), size (bytes) and shape (``SHAPES``)."""

    kind: str
    size: int
    shape: str

    @property
    def content_type(self) -> str:
        """The media type the sample application sends it with."""
        return KINDS[self.kind]

    def make(self, seed: int = 9) -> bytes:
        """The body itself, the same for the same seed."""
        return _MAKERS[self.shape](self.size, seed)


def describe(kind: str, size: int, shape: str | None = None) -> PayloadSpec:
    """A checked description (the kind's default shape when None); raises the sample errors of ``check_sample``."""
    return PayloadSpec(kind, size, check_sample(kind, size, shape))


def payload(kind: str, size: int, seed: int = 9, shape: str | None = None) -> tuple[bytes, str]:
    """A sample body of ``kind`` (json, html, png, gzip), ``shape`` and about ``size`` bytes, with its content type.

    An unknown kind raises UnknownSampleKindError, an unknown shape UnknownShapeError, and a size
    outside ``SIZE_RANGES`` (or the shape's minimum) SampleSizeError.
    """
    spec = describe(kind, size, shape)
    return spec.make(seed), spec.content_type
