"""Steps of payload compression: a client, the compression server, its codings and its limits.

Phrases: the compression server prefers <codings>; the compression server runs Starlette's
GZipMiddleware instead; nginx with gzip on stands in front of the compression server | the
uncompressed application; a client asks
the compression server for "<path>" with Accept-Encoding "<header>" | (missing); a client posts the
<kind> sample of <n> bytes to the compression server encoded as <coding> [but <damage>]; a client
posts <n> MiB of zeros to the compression server encoded as <coding>; a client posts a body to the
compression server with Content-Encoding "<coding>"; the <kind> sample of <n> bytes is compressed
with every compression coding | at every level of every compression coding; the application
streams <n> chunks of <n> bytes through the compression middleware with Accept-Encoding <header>;
then checks of status, content coding, sizes, headers, decoding, the refusal's message, and our
compression middleware beside a peer (same coding / a smaller body).

The embedded target serves the sample app in process (httpx ASGITransport); the real target runs
it under uvicorn on loopback (one server per policy, started on first use, stopped at exit).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import time

import parse
from behave import given, then, when

from livingspec.compression import (
    CODINGS,
    LEVEL_RANGES,
    ORIGINAL_LENGTH,
    CompressionPolicy,
    compress,
    decode_prefix,
    fetch_in_process,
    fetch_over_http,
    http_client,
    parse_accept_encoding,
    payload,
    trace_stream,
    users_json,
)
from livingspec.compression.app import build_app, sample_app, starlette_app
from livingspec.runner import evidence
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, target_of
from livingspec.runner.types import register


@parse.with_pattern(r'"[^"]*"|\(missing\)')
def parse_header(text):
    """``"gzip;q=0, br"`` -> 'gzip;q=0, br'; ``""`` -> '' (empty header); ``(missing)`` -> None (no header)."""
    return None if text == "(missing)" else text[1:-1]


@parse.with_pattern(r"br|zstd|gzip|deflate|identity")
def parse_coding(text):
    """A content coding name."""
    return text


@parse.with_pattern(r"json|html|png|gzip")
def parse_kind(text):
    """A sample payload kind."""
    return text


DAMAGES = {
    "cut short": lambda data: data[: max(len(data) - 10, 1)],
    "preceded by garbage": lambda data: b"NOT COMPRESSED" + data,
    "followed by garbage": lambda data: data + b"TRAILING",
}


@parse.with_pattern("|".join(DAMAGES))
def parse_damage(text):
    """How an encoded body was damaged on the way."""
    return text


register(
    CompressionHeader=parse_header,
    CompressionCoding=parse_coding,
    CompressionKind=parse_kind,
    CompressionDamage=parse_damage,
)

# Real target: one uvicorn per (application, preference), started on first use, stopped at exit.
_SERVERS: dict[tuple[str, tuple[str, ...]], object] = {}
_CLIENTS: dict[str, object] = {}  # one HTTP client per base URL: building one costs ~0.1 s


def _stop_servers():
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()
    for server in _SERVERS.values():
        server.stop()
    _SERVERS.clear()


atexit.register(_stop_servers)


def _real_server(app_name, preference):
    from livingspec.compression.servers import UvicornServer

    key = (app_name, preference)
    if key not in _SERVERS:
        _SERVERS[key] = UvicornServer(app_name, preference or None).start()
    return _SERVERS[key]


def _app_name(context):
    return getattr(context, "compression_app_name", "module_app")


def _preference(context):
    return tuple(getattr(context, "compression_preference", ()))


def _fetch(context, path, accept_encoding, **kwargs):
    """One request to the compression server on the selected target; kept on the context."""
    if target_of(context) == "real":
        nginx = getattr(context, "compression_nginx", None)
        base_url = nginx.base_url if nginx else _real_server(_app_name(context), _preference(context)).base_url
        if base_url not in _CLIENTS:
            _CLIENTS[base_url] = http_client(base_url)
        exchange = fetch_over_http(base_url, path, accept_encoding, client=_CLIENTS[base_url], **kwargs)
    else:
        if _app_name(context) == "starlette_app":
            app = starlette_app
        else:
            preference = _preference(context)
            app = build_app(CompressionPolicy(preference=preference) if preference else None)
        exchange = fetch_in_process(app, path, accept_encoding, **kwargs)
    context.compression_request = {"path": path, "accept-encoding": accept_encoding, **kwargs}
    context.compression_exchange = exchange
    return exchange


def _show_exchange(context):
    exchange = context.compression_exchange
    request = {
        k: (v if not isinstance(v, bytes) else f"{len(v)} bytes") for k, v in context.compression_request.items()
    }
    evidence.attach_json(
        "request and response", {"request": request, "status": exchange.status, "headers": exchange.headers}
    )


@given("the compression server prefers {codings:Words}")
def step_server_prefers(context, codings):
    """Set the server's order among codings of equal client weight."""
    context.compression_preference = tuple(codings)


@given("the compression server runs Starlette's GZipMiddleware instead")
def step_server_is_starlette(context):
    """Serve the same application behind Starlette's GZipMiddleware with its defaults (the peer)."""
    context.compression_app_name = "starlette_app"


@given("nginx with gzip on stands in front of the uncompressed application")
def step_nginx_in_front_of_bare(context):
    """Start nginx (gzip on) proxying to the sample application served with no compression of its own."""
    context.compression_app_name = "bare_app"
    step_nginx_in_front(context)


@given("nginx with gzip on stands in front of the compression server")
def step_nginx_in_front(context):
    """Start nginx (gzip on, gzip_proxied any) proxying to the compression server on loopback."""
    from livingspec.compression.servers import NginxProxy

    if target_of(context) != "real":
        skip_scenario(context, "nginx runs only on the real target")
        return
    try:
        proxy = NginxProxy(_real_server(_app_name(context), _preference(context)).port)
    except TargetUnavailableError as error:
        skip_scenario(context, str(error))
        return
    context.compression_nginx = proxy.start()
    context.add_cleanup(proxy.stop)


@when('a client asks the compression server for "{path}" with Accept-Encoding {header:CompressionHeader}')
def step_client_asks(context, path, header):
    """GET a path with an Accept-Encoding header, or with none."""
    _fetch(context, path, header)


@when(
    "a client posts the {kind:CompressionKind} sample of {size:d} bytes to the compression server"
    " encoded as {coding:CompressionCoding}"
)
def step_client_posts(context, kind, size, coding):
    """POST a sample body compressed with a coding, labelled with Content-Encoding."""
    body = payload(kind, size)[0]
    context.compression_sent = body
    _fetch(context, "/echo", "gzip", method="POST", body=compress(body, coding), headers={"content-encoding": coding})


@when(
    "a client posts the {kind:CompressionKind} sample of {size:d} bytes to the compression server"
    " encoded as {coding:CompressionCoding} but {damage:CompressionDamage}"
)
def step_client_posts_damaged(context, kind, size, coding, damage):
    """POST a compressed sample body that was damaged on the way."""
    body = DAMAGES[damage](compress(payload(kind, size)[0], coding))
    _fetch(context, "/echo", "gzip", method="POST", body=body, headers={"content-encoding": coding})


@when("a client posts {mib:d} MiB of zeros to the compression server encoded as {coding:CompressionCoding}")
def step_client_posts_bomb(context, mib, coding):
    """POST a compression bomb: many MiB of zeros that compress to a few KiB."""
    bomb = compress(bytes(mib << 20), coding, 1 if coding != "br" else 0)
    context.compression_bomb = (mib << 20, len(bomb))
    _fetch(context, "/echo", "gzip", method="POST", body=bomb, headers={"content-encoding": coding})


@when('a client posts a body to the compression server with Content-Encoding "{coding}"')
def step_client_posts_unknown(context, coding):
    """POST a body labelled with a content coding the server may not know."""
    _fetch(context, "/echo", "gzip", method="POST", body=b"\x00" * 64, headers={"content-encoding": coding})


@when("the {kind:CompressionKind} sample of {size:d} bytes is compressed with every compression coding")
def step_compress_every_coding(context, kind, size):
    """Compress one sample with each coding at the default policy's level."""
    data = payload(kind, size)[0]
    context.compression_sizes = {coding: len(compress(data, coding)) for coding in CODINGS}
    context.compression_original = len(data)


@when("the {kind:CompressionKind} sample of {size:d} bytes is compressed at every level of every compression coding")
def step_compress_every_level(context, kind, size):
    """Compress one sample at each level of each coding, timing each (for the plot, never asserted)."""
    data = payload(kind, size)[0]
    context.compression_original = len(data)
    context.compression_levels = {}
    for coding in ("gzip", "br", "zstd"):
        low, high = LEVEL_RANGES[coding]
        levels = range(max(low, 1), min(high, 19) + 1, 1 if coding != "zstd" else 3)
        points = []
        for level in levels:
            start = time.perf_counter()
            size_out = len(compress(data, coding, level))
            points.append((level, size_out, time.perf_counter() - start))
        context.compression_levels[coding] = points


@when(
    "the application streams {chunks:d} chunks of {size:d} bytes through the compression middleware"
    " with Accept-Encoding {header:CompressionHeader}"
)
def step_stream_through(context, chunks, size, header):
    """Stream chunks of JSON text through the middleware and record what reaches the wire, and when."""
    context.compression_trace = trace_stream([users_json(size, seed=i) for i in range(chunks)], header)


@then("the compression server answers with status {status:d}")
def step_status(context, status):
    """Check the response status."""
    _show_exchange(context)
    seen = context.compression_exchange.status
    assert seen == status, f"expected status {status}, got {seen}: {context.compression_exchange.raw[:200]!r}"


@then("the compression server answers with status {status:d} and content coding {coding:CompressionCoding}")
def step_status_coding(context, status, coding):
    """Check the response status and its Content-Encoding (identity for none)."""
    exchange = context.compression_exchange
    _show_exchange(context)
    header = context.compression_request["accept-encoding"]
    parsed = parse_accept_encoding(header)
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
def step_ours_answers(context, coding):
    """Send the same request to our middleware (in process) and check its coding beside the peer's."""
    request = context.compression_request
    ours = fetch_in_process(build_app(), request["path"], request["accept-encoding"])
    peer = context.compression_exchange
    rows = [["peer", peer.content_encoding, len(peer.raw)], ["ours", ours.content_encoding, len(ours.raw)]]
    evidence.attach_table("peer beside ours", ["server", "content coding", "bytes"], rows)
    assert ours.content_encoding == coding, f"expected our middleware to send {coding}, it sent {ours.content_encoding}"


@then("our compression middleware sends a smaller body for the same request")
def step_ours_smaller(context):
    """Send the same request to our middleware (in process) and compare body sizes with the peer's."""
    request = context.compression_request
    ours = fetch_in_process(build_app(), request["path"], request["accept-encoding"])
    peer = context.compression_exchange
    rows = [["peer", peer.content_encoding, len(peer.raw)], ["ours", ours.content_encoding, len(ours.raw)]]
    evidence.attach_table("peer beside ours", ["server", "content coding", "bytes"], rows)
    assert len(ours.raw) < len(peer.raw), (
        f"expected ours below the peer's {len(peer.raw)} bytes, ours is {len(ours.raw)}"
    )


@then("the compressed body is {size:d} bytes")
def step_compressed_size(context, size):
    """Check the size of the body on the wire."""
    exchange = context.compression_exchange
    assert len(exchange.raw) == size, f"expected {size} bytes on the wire, got {len(exchange.raw)}"
    declared = exchange.header("content-length")
    assert declared in (None, str(size)), f"Content-Length says {declared}, the body has {size} bytes"


@then("the response says the original was {size:d} bytes")
def step_original_length(context, size):
    """Check the seed's Original-Content-Length header."""
    seen = context.compression_exchange.header(ORIGINAL_LENGTH)
    assert seen == str(size), f"expected Original-Content-Length {size}, got {seen}"


@then("the compressed body decodes to the original")
def step_decodes_to_original(context):
    """Decode the body and compare it byte for byte with what the bare application sends."""
    exchange = context.compression_exchange
    original = fetch_in_process(sample_app(), context.compression_request["path"], None).decoded()
    decoded = exchange.decoded()
    sizes = [["original", len(original)], [f"on the wire ({exchange.content_encoding})", len(exchange.raw)]]
    sizes.append(["ratio", f"{len(exchange.raw) / len(original):.3f}"])
    evidence.attach_table("sizes", ["body", "bytes"], sizes)
    assert decoded == original, f"decoded {len(decoded)} bytes differ from the original {len(original)} bytes"


@then('the compressed response header "{name}" is "{value}"')
def step_header_is(context, name, value):
    """Check one response header's value."""
    seen = context.compression_exchange.header(name)
    assert seen == value, f"expected {name}: {value}, got {seen}"


@then("the compressed response carries the weak form of the application's ETag")
def step_weak_etag(context):
    """Check that the strong ETag the application set arrived weakened (W/ prefix)."""
    strong = fetch_in_process(sample_app(), context.compression_request["path"], None).header("etag")
    seen = context.compression_exchange.header("etag")
    assert seen == f"W/{strong}", f"expected ETag W/{strong} (the application's, weakened), got {seen}"


@then('the compressed response has no "{name}" header')
def step_header_absent(context, name):
    """Check that a response header is absent."""
    seen = context.compression_exchange.header(name)
    assert seen is None, f"expected no {name} header, got {name}: {seen}"


@then("each compressed size is between {low:d}% and {high:d}% of the original")
def step_ratio_range(context, low, high):
    """Check each coding's compressed size as a percentage of the original; show the table."""
    original = context.compression_original
    rows = [[c, original, n, f"{100 * n / original:.1f}%"] for c, n in context.compression_sizes.items()]
    evidence.attach_table("compressed sizes", ["coding", "original bytes", "compressed bytes", "size"], rows)
    outside = {c: n for c, n in context.compression_sizes.items() if not low <= 100 * n / original <= high}
    assert not outside, f"expected every coding within {low}%..{high}% of {original} bytes, outside: {outside}"


@then("a higher compression level never gives a larger body than the lowest level")
def step_levels_tradeoff(context):
    """Check size against level per coding; plot size ratio against time per level."""
    figure = evidence.new_figure(6.4, 3.8)
    axes = figure.add_subplot()
    rows = []
    original = context.compression_original
    for coding, points in context.compression_levels.items():
        axes.plot([t * 1000 for _, _, t in points], [n / original for _, n, _ in points], marker="o", label=coding)
        for level, n, t in points:
            rows.append([coding, level, n, f"{n / original:.4f}", f"{t * 1000:.2f}"])
            axes.annotate(str(level), (t * 1000, n / original), fontsize=6)
    axes.set_xscale("log")
    axes.set_xlabel("time to compress (ms, log scale)")
    axes.set_ylabel("compressed / original")
    axes.legend()
    evidence.attach_figure("size ratio against time per level", figure)
    evidence.attach_table("levels", ["coding", "level", "bytes", "ratio", "ms"], rows)
    worse = {c: (p[0][1], max(n for _, n, _ in p)) for c, p in context.compression_levels.items()}
    worse = {c: v for c, v in worse.items() if v[1] > v[0] * 1.02}
    assert not worse, f"expected no level much larger than the lowest level's body, got (lowest, largest): {worse}"


@then("each chunk reaches the client compressed before the application produces the next")
def step_stream_incremental(context):
    """Check that every chunk is on the wire, decodable, before the next is produced."""
    trace = context.compression_trace
    sent = trace.wire_before_next_chunk()
    rows = []
    for index, size in enumerate(sent):
        decodable = len(decode_prefix(trace.wire_until(index), trace.coding))
        rows.append([index, len(trace.chunks[index]), size, decodable])
    evidence.attach_table("stream", ["chunk", "bytes produced", "bytes on the wire after it", "decodable so far"], rows)
    late = [row[0] for row in rows if row[2] == 0 or row[3] < sum(len(c) for c in trace.chunks[: row[0] + 1])]
    assert not late, f"expected each chunk on the wire and decodable before the next, chunks held back: {late}"


@then("the streamed response has content coding {coding:CompressionCoding} and no Content-Length")
def step_stream_headers(context, coding):
    """Check the streamed response's headers."""
    headers = context.compression_trace.headers
    evidence.attach_json("streamed response headers", headers)
    seen = (headers.get("content-encoding", "identity"), headers.get("content-length"))
    assert seen == (coding, None), f"expected {coding} and no Content-Length, got {seen}"


@then("the application received the {kind:CompressionKind} sample of {size:d} bytes with no Content-Encoding")
def step_app_received(context, kind, size):
    """Check what the application saw: the decoded body, no Content-Encoding."""
    received = json.loads(context.compression_exchange.decoded())
    evidence.attach_json("what the application received", received)
    expected = payload(kind, size)[0]
    wanted = {"length": len(expected), "sha256": hashlib.sha256(expected).hexdigest(), "content_encoding": None}
    assert received == wanted, f"expected the application to receive {wanted}, it received {received}"


@then('the compression server\'s refusal says "{text}"')
def step_refusal_says(context, text):
    """Check that the refusal's message names the problem."""
    message = context.compression_exchange.decoded().decode(errors="replace")
    evidence.attach_text("refusal", message)
    if getattr(context, "compression_bomb", None):
        evidence.attach_json(
            "bomb", {"decoded bytes": context.compression_bomb[0], "sent bytes": context.compression_bomb[1]}
        )
    assert text in message, f"expected the refusal to say {text!r}, it says {message!r}"
