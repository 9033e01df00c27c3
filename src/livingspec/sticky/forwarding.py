"""What the balancer forwards: a checked request target and the headers a proxy may pass on.

Hostile input is refused here, before any backend is contacted:

- the request target must be origin-form (``/path?query``, RFC 9112 3.2.1), or asterisk-form
  (``*``) for OPTIONS only; CONNECT (a tunnel) is refused. Anything else (absolute-form
  ``http://host/``, authority-form, a target such as ``@127.0.0.1:8080/x`` that a URL parser
  would read as userinfo plus another host) raises BadRequestTargetError, which the proxy
  answers with 400. Backend URLs are built from the backend's own parsed scheme, host and
  port plus this checked target, never by concatenating strings, so no target can change the
  host that is contacted;
- hop-by-hop headers (RFC 9110 7.6.1: Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
  Transfer-Encoding, Upgrade, and every header that ``Connection`` names) end at the proxy;
- ``X-Forwarded-For`` is the client's claim plus the address of the peer the balancer actually
  saw, appended last (as HAProxy's ``option forwardfor`` and nginx's ``$proxy_add_x_forwarded_for``):
  a backend trusts only the last hop. The balancer itself routes on the peer address, never on
  a header a client wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from livingspec.sticky.errors import BadRequestTargetError

HeaderList = list[tuple[bytes, bytes]]

#: Hop-by-hop headers (RFC 9110 7.6.1), plus Proxy-Connection, which old clients still send.
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
#: Request headers the proxy recomputes itself.
RECOMPUTED = frozenset({b"host", b"content-length", b"x-forwarded-for"})
MAX_TARGET = 8192  # bytes; HAProxy's default buffer holds about this much of a request line


_URI_CHARACTERS = bytes(range(0x21, 0x7F))


def _visible_ascii(data: bytes) -> bool:
    """Only the characters a URI may carry (RFC 3986: visible US-ASCII, no space, no controls)."""
    return not data.translate(None, _URI_CHARACTERS)  # what is left once every visible character is deleted


def request_target(method: str, raw_path: bytes, query_string: bytes = b"") -> bytes:
    """The origin-form (or ``*``) target to send upstream; BadRequestTargetError for any other form."""
    if len(raw_path) + len(query_string) > MAX_TARGET:
        raise BadRequestTargetError(f"request target over {MAX_TARGET} bytes")
    if method == "CONNECT":
        raise BadRequestTargetError("CONNECT asks for a tunnel; this balancer forwards requests, it does not tunnel")
    if raw_path == b"*" and not query_string:
        if method != "OPTIONS":
            raise BadRequestTargetError(f"the asterisk-form target is for OPTIONS only, not {method}")
        return b"*"
    if not raw_path.startswith(b"/"):
        shown = raw_path[:40].decode("latin-1")
        raise BadRequestTargetError(f"request target {shown!r} is not origin-form (it must start with '/')")
    if b"#" in raw_path or b"#" in query_string or not _visible_ascii(raw_path + query_string):
        raise BadRequestTargetError("request target holds a character a URI cannot carry")
    return raw_path + b"?" + query_string if query_string else raw_path


def connection_named(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Every hop-by-hop header of this message: the fixed ones and the ones its Connection header names."""
    return hop_by_hop_in([(key.lower(), value) for key, value in headers])


def hop_by_hop_in(pairs: HeaderList) -> frozenset[bytes]:
    """``connection_named`` for headers whose names are already lower case (most messages name none)."""
    named: set[bytes] | None = None
    for key, value in pairs:
        if key == b"connection":
            named = set(HOP_BY_HOP) if named is None else named
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return HOP_BY_HOP if named is None else frozenset(named)


@lru_cache(maxsize=64)
def _lowered(names: frozenset[bytes] | tuple[bytes, ...]) -> frozenset[bytes]:
    return frozenset(name.lower() for name in names)


def end_to_end(headers: Iterable[tuple[bytes, bytes]], also_drop: Iterable[bytes] = ()) -> HeaderList:
    """The headers a proxy passes on: hop-by-hop ones (fixed and Connection-named) and ``also_drop`` removed."""
    pairs = [(key.lower(), value) for key, value in headers]
    drop = hop_by_hop_in(pairs)
    extra = _lowered(also_drop if isinstance(also_drop, frozenset | tuple) else tuple(also_drop))
    return [(key, value) for key, value in pairs if key not in drop and key not in extra]


def forwarded_for(headers: Iterable[tuple[bytes, bytes]], peer: str) -> bytes:
    """``X-Forwarded-For`` with the peer the balancer saw appended last (the client's claims kept before it)."""
    return append_peer([value for key, value in headers if key.lower() == b"x-forwarded-for"], peer)


def append_peer(claims: Iterable[bytes], peer: str) -> bytes:
    """The X-Forwarded-For values a client sent (blank ones dropped), then the peer the balancer saw."""
    kept = [claim.strip() for claim in claims if claim.strip()]
    return b", ".join([*kept, peer.encode("ascii", "replace")])
