"""Steps of payload compression: a client, the compression server, its codings and its limits.

Phrases: the compression server prefers <codings>; the compression server runs Starlette's
GZipMiddleware instead; nginx with gzip on stands in front of the compression server | the
uncompressed application; the payloads: (a table of name, kind, size, shape); a client asks the
compression server for "<path>" | for the payload "<name>" with Accept-Encoding "<header>" |
(missing); a client posts the <kind> sample of <n> bytes | the payload "<name>" to the compression
server encoded as <coding> [but <damage>]; a client posts <n> MiB of zeros to the compression server
encoded as <coding>; a client posts a body to the compression server with Content-Encoding
"<coding>"; the <kind> sample of <n> bytes | the payload "<name>" is compressed with every
compression coding | at every level of every compression coding; every payload is compressed with
<coding> at level <level>; the application streams <n> chunks of <n> bytes through the compression
middleware with Accept-Encoding <header>; then checks of status, content coding, sizes, headers,
decoding, the refusal's message, what the application received, the payloads' compressed sizes,
our compression middleware beside a peer, and the seed's verdicts (its coding corrected, its size
checked).

The target (``-D target=real``, ``pytest --target=real``) picks the server through
livingspec.compression.targets.open_target: the sample app in process (httpx's ASGITransport) or
under uvicorn on loopback (one server per setup, started on first use, stopped at exit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import parse
from behave import given, then, when

from livingspec.compression import (
    CODINGS,
    DEFAULT_LEVELS,
    KINDS,
    LEVEL_RANGES,
    LEVEL_WORDS,
    ORIGINAL_LENGTH,
    SHAPES,
    Exchange,
    PayloadSpec,
    StreamTrace,
    compress,
    decode_prefix,
    describe,
    fetch_in_process,
    level_named,
    negotiate,
    parse_accept_encoding,
    payload,
    trace_stream,
    users_json,
    users_page,
)
from livingspec.compression.app import build_app, sample_app
from livingspec.compression.measure import (
    Compressed,
    LevelPoint,
    compress_payloads,
    larger_than_lowest,
    level_sweep,
    seeded_sizes,
    sizes_by_coding,
)
from livingspec.compression.targets import RealTarget, ServerSetup, open_target
from livingspec.runner import evidence
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, skip_unavailable, target_of
from livingspec.runner.types import MULTIWORD, UnknownChoiceError, choice, register
from livingspec.runner.world import need, world

ASK_WHEN = 'When a client asks the compression server for "/api/users" with Accept-Encoding "gzip"'
SAMPLE_WHEN = "When the json sample of 65536 bytes is compressed with every compression coding"
LEVELS_WHEN = "When the json sample of 32768 bytes is compressed at every level of every compression coding"
STREAM_WHEN = (
    'When the application streams 6 chunks of 4096 bytes through the compression middleware with Accept-Encoding "zstd"'
)
PAYLOADS_GIVEN = "Given the payloads: (a table: name, kind, size, shape), e.g. | export | json | 20000 | pretty |"
PAYLOADS_WHEN = "When every payload is compressed with gzip at level default"
_LIST = r"[^,\s][^,]*(?:,\s*[^,\s][^,]*)*"
_LEVELS_KNOWN = (
    ", ".join(LEVEL_WORDS)
    + ", or a number ("
    + ", ".join(f"{c} {lo}-{hi}" for c, (lo, hi) in LEVEL_RANGES.items())
    + ")"
)


@parse.with_pattern(r'"[^"]*"|\(missing\)')
def parse_header(text: str) -> str | None:
    """a header value in double quotes ("gzip;q=0, br"; "" is an empty header), or (missing) for no header"""
    return None if text == "(missing)" else text[1:-1]


def _codings_list(noun: str, known: tuple[str, ...]) -> Callable[[str], list[str]]:
    """A comma-separated list of content codings, each one of ``known`` (else the listing error)."""

    def convert(text: str) -> list[str]:
        codings = [part.strip() for part in text.split(",")]
        for coding in codings:
            if coding not in known:
                raise UnknownChoiceError(f"unknown {noun} {coding!r}; known: {', '.join(known)}")
        return codings

    convert.__doc__ = f"a comma-separated list of {noun}s, best first: {', '.join(known)}"
    typed: Callable[[str], list[str]] = parse.with_pattern(_LIST)(convert)
    return typed


@parse.with_pattern(r"[\w-]+")
def parse_level(text: str) -> str:
    """a compression level: default, fastest, best, or a number (br 0-11, zstd 1-22, gzip 0-9, deflate 0-9)"""
    if text not in LEVEL_WORDS and not text.isdigit():
        raise UnknownChoiceError(f"unknown compression level {text!r}; known: {_LEVELS_KNOWN}")
    return text


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "cut short": lambda data: data[: max(len(data) - 10, 1)],
    "preceded by garbage": lambda data: b"NOT COMPRESSED" + data,
    "followed by garbage": lambda data: data + b"TRAILING",
}

register(
    CompressionHeader=parse_header,
    CompressionCoding=choice("content coding", (*CODINGS, "identity")),
    CompressionCodings=_codings_list("content coding", CODINGS),
    CompressionKind=choice("sample kind", tuple(KINDS)),
    CompressionDamage=choice("damage", tuple(DAMAGES), MULTIWORD),
    CompressionLevel=parse_level,
)


@dataclass(frozen=True)
class SentRequest:
    """The request a When step sent: kept so Then steps can send the same one to a peer."""

    path: str
    accept_encoding: str | None
    method: str = "GET"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def shown(self) -> dict[str, Any]:
        """The request for the evidence (the body as its length)."""
        return {
            "path": self.path,
            "accept-encoding": self.accept_encoding,
            "method": self.method,
            "body": f"{len(self.body)} bytes",
            "headers": self.headers,
        }


@dataclass
class CompressionWorld:
    """One scenario's state: which server answers, what was sent, and what came back or was measured."""

    setup: ServerSetup = field(default_factory=ServerSetup)
    request: SentRequest | None = None
    exchange: Exchange | None = None
    bomb: tuple[int, int] | None = None  # (decoded bytes, sent bytes) of a posted bomb
    original: int | None = None  # bytes of the sample the last compression step measured
    sizes: dict[str, int] | None = None  # compressed bytes per coding
    levels: dict[str, list[LevelPoint]] | None = None
    trace: StreamTrace | None = None
    payloads: dict[str, PayloadSpec] = field(default_factory=dict)  # described payloads by name
    compressed: dict[str, Compressed] | None = None  # the described payloads, compressed

    def payload(self, name: str) -> PayloadSpec:
        """A payload described earlier, by name."""
        return need(self.payloads.get(name), f"a payload named {name!r}", PAYLOADS_GIVEN)

    @property
    def answer(self) -> Exchange:
        return need(self.exchange, "a response from the compression server", ASK_WHEN)

    @property
    def sent(self) -> SentRequest:
        return need(self.request, "a request to the compression server", ASK_WHEN)


def _w(context: Any) -> CompressionWorld:
    return world(context, CompressionWorld)


def _fetch(context: Any, request: SentRequest) -> Exchange:
    """Send ``request`` to the compression server on the selected target; keep it and its answer."""
    w = _w(context)
    target = open_target(target_of(context))
    exchange = target.fetch(
        w.setup,
        request.path,
        request.accept_encoding,
        method=request.method,
        body=request.body,
        headers=request.headers,
    )
    w.request, w.exchange = request, exchange
    return exchange


def _show_exchange(w: CompressionWorld) -> None:
    exchange = w.answer
    evidence.attach_json(
        "request and response", {"request": w.sent.shown(), "status": exchange.status, "headers": exchange.headers}
    )


def _ours_beside_peer(w: CompressionWorld) -> tuple[Exchange, Exchange]:
    """The same request to our middleware (in process) beside the peer's answer; the table attached."""
    request, peer = w.sent, w.answer
    ours = fetch_in_process(build_app(), request.path, request.accept_encoding)
    rows = [["peer", peer.content_encoding, len(peer.raw)], ["ours", ours.content_encoding, len(ours.raw)]]
    evidence.attach_table("peer beside ours", ["server", "content coding", "bytes"], rows)
    return ours, peer


# ---------------------------------------------------------------- Given: which server answers


@given("the compression server prefers {codings:CompressionCodings}")
def step_server_prefers(context: Any, codings: list[str]) -> None:
    """Set the server's order among codings of equal client weight, best first (br, zstd, gzip, deflate)."""
    w = _w(context)
    w.setup = replace(w.setup, preference=tuple(codings))


@given("the compression server runs Starlette's GZipMiddleware instead")
def step_server_is_starlette(context: Any) -> None:
    """Serve the same application behind Starlette's GZipMiddleware with its defaults (the peer)."""
    w = _w(context)
    w.setup = replace(w.setup, app="starlette_app")


def _nginx_in_front(context: Any, app: str) -> None:
    """Put nginx (gzip on) in front of ``app`` on the real target; skip with the reason elsewhere."""
    if target_of(context) != "real":
        skip_scenario(context, "nginx runs only on the real target")
        return
    w = _w(context)
    setup = replace(w.setup, app=app, nginx=True)
    real = open_target("real")
    assert isinstance(real, RealTarget)
    try:
        real.base_url(setup)  # starts uvicorn and nginx now, or says what is missing
    except TargetUnavailableError as error:
        skip_unavailable(context, error)
        return
    w.setup = setup


@given("nginx with gzip on stands in front of the uncompressed application")
def step_nginx_in_front_of_bare(context: Any) -> None:
    """Start nginx (gzip on) proxying to the sample application served with no compression of its own."""
    _nginx_in_front(context, "bare_app")


@given("nginx with gzip on stands in front of the compression server")
def step_nginx_in_front(context: Any) -> None:
    """Start nginx (gzip on, gzip_proxied any) proxying to the compression server on loopback."""
    _nginx_in_front(context, _w(context).setup.app)


# ---------------------------------------------------------------- When: requests


@when('a client asks the compression server for "{path}" with Accept-Encoding {header:CompressionHeader}')
def step_client_asks(context: Any, path: str, header: str | None) -> None:
    """GET a path (/api/users, /corpus/<kind>/<bytes>, /stream/<chunks>/<bytes>, /encoded) with an Accept-Encoding header, or none."""
    _fetch(context, SentRequest(path, header))


def _post(context: Any, body: bytes, content_encoding: str) -> None:
    _fetch(context, SentRequest("/echo", "gzip", "POST", body, {"content-encoding": content_encoding}))


@when(
    "a client posts the {kind:CompressionKind} sample of {size:d} bytes to the compression server"
    " encoded as {coding:CompressionCoding}"
)
def step_client_posts(context: Any, kind: str, size: int, coding: str) -> None:
    """POST a sample body (kind; size in bytes) compressed with a coding, labelled with Content-Encoding."""
    _post(context, compress(payload(kind, size)[0], coding), coding)


@when(
    "a client posts the {kind:CompressionKind} sample of {size:d} bytes to the compression server"
    " encoded as {coding:CompressionCoding} but {damage:CompressionDamage}"
)
def step_client_posts_damaged(context: Any, kind: str, size: int, coding: str, damage: str) -> None:
    """POST a compressed sample body (kind; size in bytes) that was damaged on the way (cut short, garbage around it)."""
    _post(context, DAMAGES[damage](compress(payload(kind, size)[0], coding)), coding)


@when("a client posts {mib:d} MiB of zeros to the compression server encoded as {coding:CompressionCoding}")
def step_client_posts_bomb(context: Any, mib: int, coding: str) -> None:
    """POST a compression bomb: mib MiB of zeros that compress to a few KiB (fastest level of the coding)."""
    bomb = compress(bytes(mib << 20), coding, 1 if coding != "br" else 0)
    _w(context).bomb = (mib << 20, len(bomb))
    _post(context, bomb, coding)


@when('a client posts a body to the compression server with Content-Encoding "{coding}"')
def step_client_posts_unknown(context: Any, coding: str) -> None:
    """POST 64 zero bytes labelled with any Content-Encoding value (one coding, or a list of them)."""
    _post(context, b"\x00" * 64, coding)


# ---------------------------------------------------------------- When: measurements


@when("the {kind:CompressionKind} sample of {size:d} bytes is compressed with every compression coding")
def step_compress_every_coding(context: Any, kind: str, size: int) -> None:
    """Compress one sample (kind; size in bytes) with each coding at the default policy's level."""
    data = payload(kind, size)[0]
    w = _w(context)
    w.original, w.sizes = len(data), sizes_by_coding(data)


@when("the {kind:CompressionKind} sample of {size:d} bytes is compressed at every level of every compression coding")
def step_compress_every_level(context: Any, kind: str, size: int) -> None:
    """Compress one sample (kind; size in bytes) at each level of gzip, br and zstd, timing each (shown, never asserted)."""
    data = payload(kind, size)[0]
    w = _w(context)
    w.original, w.levels = len(data), level_sweep(data)


@when(
    "the application streams {chunks:d} chunks of {size:d} bytes through the compression middleware"
    " with Accept-Encoding {header:CompressionHeader}"
)
def step_stream_through(context: Any, chunks: int, size: int, header: str | None) -> None:
    """Stream chunks (count; bytes each) of JSON text through the middleware; record what reaches the wire, and when."""
    _w(context).trace = trace_stream([users_json(size, seed=i) for i in range(chunks)], header)


# ---------------------------------------------------------------- Then: the response


@then("the compression server answers with status {status:d}")
def step_status(context: Any, status: int) -> None:
    """Check the response's HTTP status."""
    w = _w(context)
    _show_exchange(w)
    seen = w.answer.status
    assert seen == status, f"expected status {status}, got {seen}: {w.answer.raw[:200]!r}"


@then("the compression server answers with status {status:d} and content coding {coding:CompressionCoding}")
def step_status_coding(context: Any, status: int, coding: str) -> None:
    """Check the response's HTTP status and its Content-Encoding (identity for none)."""
    w = _w(context)
    exchange = w.answer
    _show_exchange(w)
    parsed = parse_accept_encoding(w.sent.accept_encoding)
    evidence.attach_json(
        "Accept-Encoding as parsed",
        {
            "present": parsed.present,
            "weights": {k: v / 1000 for k, v in parsed.weights.items()},
            "ignored": parsed.ignored,
        },
    )
    seen = (exchange.status, exchange.content_encoding)
    assert seen == (status, coding), f"expected status {status} with {coding}, got {seen[0]} with {seen[1]}"


@then("our compression middleware answers the same request with content coding {coding:CompressionCoding}")
def step_ours_answers(context: Any, coding: str) -> None:
    """Send the same request to our middleware (in process) and check its coding beside the peer's."""
    ours, _ = _ours_beside_peer(_w(context))
    assert ours.content_encoding == coding, f"expected our middleware to send {coding}, it sent {ours.content_encoding}"


@then("our compression middleware sends a smaller body for the same request")
def step_ours_smaller(context: Any) -> None:
    """Send the same request to our middleware (in process) and compare body sizes with the peer's."""
    ours, peer = _ours_beside_peer(_w(context))
    assert len(ours.raw) < len(peer.raw), (
        f"expected ours below the peer's {len(peer.raw)} bytes, ours is {len(ours.raw)}"
    )


@then("the compressed body is {size:d} bytes")
def step_compressed_size(context: Any, size: int) -> None:
    """Check the size of the body on the wire (bytes) and that Content-Length, when sent, agrees."""
    exchange = _w(context).answer
    assert len(exchange.raw) == size, f"expected {size} bytes on the wire, got {len(exchange.raw)}"
    declared = exchange.header("content-length")
    assert declared in (None, str(size)), f"Content-Length says {declared}, the body has {size} bytes"


@then("the response says the original was {size:d} bytes")
def step_original_length(context: Any, size: int) -> None:
    """Check the seed's Original-Content-Length header (bytes)."""
    seen = _w(context).answer.header(ORIGINAL_LENGTH)
    assert seen == str(size), f"expected Original-Content-Length {size}, got {seen}"


@then("the compressed body decodes to the original")
def step_decodes_to_original(context: Any) -> None:
    """Decode the body and compare it byte for byte with what the bare application sends."""
    w = _w(context)
    exchange = w.answer
    original = fetch_in_process(sample_app(), w.sent.path, None).decoded()
    decoded = exchange.decoded()
    sizes: list[list[Any]] = [["original", len(original)]]
    sizes.append([f"on the wire ({exchange.content_encoding})", len(exchange.raw)])
    sizes.append(["ratio", f"{len(exchange.raw) / len(original):.3f}"])
    evidence.attach_table("sizes", ["body", "bytes"], sizes)
    assert decoded == original, f"decoded {len(decoded)} bytes differ from the original {len(original)} bytes"


@then('the compressed response header "{name}" is "{value}"')
def step_header_is(context: Any, name: str, value: str) -> None:
    """Check one response header's value (the name is case-insensitive)."""
    seen = _w(context).answer.header(name)
    assert seen == value, f"expected {name}: {value}, got {seen}"


@then("the compressed response carries the weak form of the application's ETag")
def step_weak_etag(context: Any) -> None:
    """Check that the strong ETag the application set arrived weakened (W/ prefix)."""
    w = _w(context)
    strong = fetch_in_process(sample_app(), w.sent.path, None).header("etag")
    seen = w.answer.header("etag")
    assert seen == f"W/{strong}", f"expected ETag W/{strong} (the application's, weakened), got {seen}"


@then('the compressed response has no "{name}" header')
def step_header_absent(context: Any, name: str) -> None:
    """Check that a response header is absent (the name is case-insensitive)."""
    seen = _w(context).answer.header(name)
    assert seen is None, f"expected no {name} header, got {name}: {seen}"


@then('the compression server\'s refusal says "{text}"')
def step_refusal_says(context: Any, text: str) -> None:
    """Check that the refusal's message names the problem (a part of its text)."""
    w = _w(context)
    message = w.answer.decoded().decode(errors="replace")
    evidence.attach_text("refusal", message)
    if w.bomb is not None:
        evidence.attach_json("bomb", {"decoded bytes": w.bomb[0], "sent bytes": w.bomb[1]})
    assert text in message, f"expected the refusal to say {text!r}, it says {message!r}"


@then("the application received the {kind:CompressionKind} sample of {size:d} bytes with no Content-Encoding")
def step_app_received(context: Any, kind: str, size: int) -> None:
    """Check what the application saw: the decoded sample (kind; size in bytes), no Content-Encoding."""
    received = json.loads(_w(context).answer.decoded())
    evidence.attach_json("what the application received", received)
    expected = payload(kind, size)[0]
    wanted = {"length": len(expected), "sha256": hashlib.sha256(expected).hexdigest(), "content_encoding": None}
    assert received == wanted, f"expected the application to receive {wanted}, it received {received}"


# ---------------------------------------------------------------- Then: measurements


@then("each compressed size is between {low:d}% and {high:d}% of the original")
def step_ratio_range(context: Any, low: int, high: int) -> None:
    """Check each coding's compressed size as a percentage (0-100+) of the original; show the table."""
    w = _w(context)
    sizes = need(w.sizes, "compressed sizes", SAMPLE_WHEN)
    original = need(w.original, "a sample", SAMPLE_WHEN)
    rows = [[c, original, n, f"{100 * n / original:.1f}%"] for c, n in sizes.items()]
    evidence.attach_table("compressed sizes", ["coding", "original bytes", "compressed bytes", "size"], rows)
    outside = {c: n for c, n in sizes.items() if not low <= 100 * n / original <= high}
    assert not outside, f"expected every coding within {low}%..{high}% of {original} bytes, outside: {outside}"


def _plot_levels(levels: dict[str, list[LevelPoint]], original: int) -> None:
    figure = evidence.new_figure(6.4, 3.8)
    axes = figure.add_subplot()
    rows = []
    for coding, points in levels.items():
        times = [p.seconds * 1000 for p in points]
        axes.plot(times, [p.size / original for p in points], marker="o", label=coding)
        for p in points:
            rows.append([coding, p.level, p.size, f"{p.size / original:.4f}", f"{p.seconds * 1000:.2f}"])
            axes.annotate(str(p.level), (p.seconds * 1000, p.size / original), fontsize=6)
    axes.set_xscale("log")
    axes.set_xlabel("time to compress (ms, log scale)")
    axes.set_ylabel("compressed / original")
    axes.legend()
    evidence.attach_figure("size ratio against time per level", figure)
    evidence.attach_table("levels", ["coding", "level", "bytes", "ratio", "ms"], rows)


@then("a higher compression level never gives a larger body than the lowest level")
def step_levels_tradeoff(context: Any) -> None:
    """Check size against level per coding (2% slack); plot the size ratio against the time per level."""
    w = _w(context)
    levels = need(w.levels, "a sweep of the levels", LEVELS_WHEN)
    _plot_levels(levels, need(w.original, "a sample", LEVELS_WHEN))
    worse = larger_than_lowest(levels)
    assert not worse, f"expected no level much larger than the lowest level's body, got (lowest, largest): {worse}"


@then("each chunk reaches the client compressed before the application produces the next")
def step_stream_incremental(context: Any) -> None:
    """Check that every chunk is on the wire, decodable, before the next is produced."""
    trace = need(_w(context).trace, "a streamed response", STREAM_WHEN)
    sent = trace.wire_before_next_chunk()
    rows = []
    for index, size in enumerate(sent):
        decodable = len(decode_prefix(trace.wire_until(index), trace.coding))
        rows.append([index, len(trace.chunks[index]), size, decodable])
    evidence.attach_table("stream", ["chunk", "bytes produced", "bytes on the wire after it", "decodable so far"], rows)
    late = [row[0] for row in rows if row[2] == 0 or row[3] < sum(len(c) for c in trace.chunks[: row[0] + 1])]
    assert not late, f"expected each chunk on the wire and decodable before the next, chunks held back: {late}"


@then("the streamed response has content coding {coding:CompressionCoding} and no Content-Length")
def step_stream_headers(context: Any, coding: str) -> None:
    """Check the streamed response's Content-Encoding and that it has no Content-Length."""
    headers = need(_w(context).trace, "a streamed response", STREAM_WHEN).headers
    evidence.attach_json("streamed response headers", headers)
    seen = (headers.get("content-encoding", "identity"), headers.get("content-length"))
    assert seen == (coding, None), f"expected {coding} and no Content-Length, got {seen}"


# ---------------------------------------------------------------- payloads you describe


def _cell(row: Any, heading: str, default: str | None = None) -> str:
    """One cell of a table row by heading; a missing column fails naming the columns the table needs."""
    headings = list(row.headings)
    if heading in headings:
        return str(row[heading]).strip()
    if default is not None:
        return default
    raise AssertionError(f"the table needs a {heading!r} column; it has {', '.join(headings)}")


@given("the payloads:")
def step_payloads(context: Any) -> None:
    """Describe payloads in a table: name, kind (json, html, png, gzip), size (bytes), shape (optional).

    Shapes: json compact (one line, a random cursor fills it) or pretty (indented, as APIs print it);
    html table; png random; gzip archive. "the json sample of 1247 bytes" is json, 1247, compact.
    """
    table = need(context.table, "a table of payloads", PAYLOADS_GIVEN)
    w = _w(context)
    for row in table:
        size = _cell(row, "size")
        assert size.isdigit(), f"a payload's size is a whole number of bytes, got {size!r}"
        w.payloads[_cell(row, "name")] = describe(_cell(row, "kind"), int(size), _cell(row, "shape", "") or None)
    shown = [[n, p.kind, p.size, p.shape, SHAPES[p.kind][p.shape]] for n, p in w.payloads.items()]
    evidence.attach_table("payloads", ["name", "kind", "bytes", "shape", "what it looks like"], shown)


def _corpus_path(spec: PayloadSpec) -> str:
    return f"/corpus/{spec.kind}/{spec.size}?shape={spec.shape}"


@when('a client asks the compression server for the payload "{name}" with Accept-Encoding {header:CompressionHeader}')
def step_client_asks_payload(context: Any, name: str, header: str | None) -> None:
    """GET a described payload from the sample application, with an Accept-Encoding header or none."""
    _fetch(context, SentRequest(_corpus_path(_w(context).payload(name)), header))


@when('a client posts the payload "{name}" to the compression server encoded as {coding:CompressionCoding}')
def step_client_posts_payload(context: Any, name: str, coding: str) -> None:
    """POST a described payload compressed with a coding, labelled with Content-Encoding."""
    _post(context, compress(_w(context).payload(name).make(), coding), coding)


@then('the application received the payload "{name}" with no Content-Encoding')
def step_app_received_payload(context: Any, name: str) -> None:
    """Check what the application saw: the described payload decoded, no Content-Encoding."""
    w = _w(context)
    expected = w.payload(name).make()
    received = json.loads(w.answer.decoded())
    evidence.attach_json("what the application received", received)
    wanted = {"length": len(expected), "sha256": hashlib.sha256(expected).hexdigest(), "content_encoding": None}
    assert received == wanted, f"expected the application to receive {wanted}, it received {received}"


@when('the payload "{name}" is compressed with every compression coding')
def step_compress_payload_every_coding(context: Any, name: str) -> None:
    """Compress one described payload with each coding at the default policy's level."""
    w = _w(context)
    data = w.payload(name).make()
    w.original, w.sizes = len(data), sizes_by_coding(data)


@when("every payload is compressed with {coding:CompressionCoding} at level {level:CompressionLevel}")
def step_compress_payloads(context: Any, coding: str, level: str) -> None:
    """Compress each described payload with one coding at one level (default, fastest, best, or a number)."""
    w = _w(context)
    payloads = need(w.payloads or None, "described payloads", PAYLOADS_GIVEN)
    w.compressed = compress_payloads(payloads, coding, level_named(coding, level))


@then("the payloads compress to:")
def step_payloads_compress_to(context: Any) -> None:
    """Check each payload's compressed size against a table: name, bytes (compressed); show the ratios."""
    w = _w(context)
    compressed = need(w.compressed, "compressed payloads", PAYLOADS_WHEN)
    table = need(context.table, "a table of name and bytes", "Then the payloads compress to: | name | bytes |")
    rows, wrong = [], []
    for row in table:
        name, expected = _cell(row, "name"), int(_cell(row, "bytes"))
        seen = need(compressed.get(name), f"the payload {name!r} compressed", PAYLOADS_WHEN)
        spec = w.payloads[name]
        rows.append([name, spec.kind, spec.shape, seen.original, seen.compressed, f"{seen.percent:.1f}%"])
        if seen.compressed != expected:
            wrong.append(f"{name}: {seen.compressed} bytes, not {expected}")
    evidence.attach_table("compressed payloads", ["name", "kind", "shape", "bytes", "compressed", "size"], rows)
    assert not wrong, "compressed sizes differ: " + "; ".join(wrong)


# ---------------------------------------------------------------- the seed's verdicts


@then("the seed's Content-Encoding {coding:CompressionCoding} is corrected to the server's first preference")
def step_seed_coding_corrected(context: Any, coding: str) -> None:
    """Check the server chose its own first preference over the seed's coding among equal client weights."""
    w = _w(context)
    exchange, header = w.answer, w.sent.accept_encoding
    chosen = negotiate(header)
    weights = parse_accept_encoding(header)
    seen = exchange.content_encoding
    assert seen != coding, f"the server sent the seed's {coding}: nothing to correct"
    assert seen == chosen.coding, f"the server sent {seen}, its preference picks {chosen.coding}"
    assert weights.weight_of(seen) == weights.weight_of(coding), f"{seen} and {coding} are not weighted equally"
    seed_size = len(compress(exchange.decoded(), coding))
    evidence.seed_correction(
        f"Content-Encoding: {coding} for Accept-Encoding: {header}",
        f"Content-Encoding: {seen}, {len(exchange.raw)} bytes ({coding} would send {seed_size})",
        f"every coding listed has weight {weights.weight_of(seen) / 1000:g}; RFC 9110 12.5.3 leaves the choice "
        f"among equals to the server, and ours prefers {seen}",
    )


@then("the seed's {seed_size:d} compressed bytes are within {tolerance:d}% of the compressed body")
def step_seed_size_holds(context: Any, seed_size: int, tolerance: int) -> None:
    """Check the seed's compressed size against the body on the wire (tolerance in percent of the seed's).

    Shows it beside 20 other seeded pages of pretty-printed users of the same size and the compact
    page whose random cursor pads it, each in the same coding at the server's default level.
    """
    exchange = _w(context).answer
    original, coding = len(exchange.decoded()), exchange.content_encoding
    level = DEFAULT_LEVELS[coding]
    others = seeded_sizes(lambda seed: users_page(original, seed), range(10, 30), coding)
    compact = len(compress(users_json(original), coding))
    wire = len(exchange.raw)
    rows: list[list[Any]] = [
        ["the seed", original, seed_size, f"{100 * seed_size / original:.1f}%"],
        ["this response: pretty-printed users", original, wire, f"{100 * wire / original:.1f}%"],
        ["20 other pretty-printed pages (min-max)", original, f"{min(others)}-{max(others)}", ""],
        ["compact users padded by a random cursor", original, compact, f"{100 * compact / original:.1f}%"],
    ]
    evidence.attach_table(
        f"the seed's figure beside ours ({coding} level {level})", ["body", "bytes", coding, "size"], rows
    )
    off = 100 * abs(wire - seed_size) / seed_size
    evidence.attach_table(
        "seed verdict: seed says / measured / why",
        ["seed says", "measured", "why"],
        [
            (
                f"{original} -> {seed_size} bytes with {coding}",
                f"{original} -> {wire} bytes ({off:.0f}% off); {min(others)}-{max(others)} over 20 other pages",
                "the seed holds for user records as APIs print them; a page padded with random characters "
                f"compresses far less ({compact} bytes)",
            )
        ],
    )
    assert off <= tolerance, f"the seed's {seed_size} bytes are {off:.0f}% off the {wire} bytes on the wire"
