"""The affinity cookie: the balancer names the chosen server in a cookie the client sends back.

This is HAProxy's ``cookie SRV insert indirect nocache``: the balancer *inserts* the cookie on
the response that starts a session, removes it from requests before they reach the server
(*indirect*: the app never sees it), and marks responses carrying it uncacheable (*nocache*), so
a shared cache never hands one user's server pin to another.

A cookie is input from the client, so it is never trusted: a value naming a server that is not
in the pool or is down, a malformed value, or (when the balancer signs its cookies) a value
whose HMAC-SHA256 tag does not verify, is ignored and the request is balanced as a new session.
The server name is not secret; the signature only stops a client from choosing its server.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256

DEFAULT_COOKIE_NAME = "SRV"
_TAG_HEX = 16  # 64-bit tag: enough to stop guessing a server pin, short in every request
_VALUE = re.compile(r"([A-Za-z0-9_-]{1,32})(?:\.([0-9a-f]{16}))?")
_COOKIE_NAME = re.compile(r"[A-Za-z0-9_!#$%&'*+.^`|~-]{1,64}")
_SAMESITE = ("Strict", "Lax", "None")


@dataclass(frozen=True)
class AffinityCookie:
    """How the affinity cookie is named, signed and flagged.

    ``secret`` None writes the bare server name, as HAProxy does; with a secret each value carries
    a tag, so a client cannot pick a server by writing its name. ``same_site`` None omits the
    attribute; ``secure`` adds Secure (for a balancer terminating TLS).
    """

    name: str = DEFAULT_COOKIE_NAME
    secret: bytes | None = None
    path: str = "/"
    http_only: bool = True
    same_site: str | None = "Lax"
    secure: bool = False

    def __post_init__(self) -> None:
        if not _COOKIE_NAME.fullmatch(self.name):
            raise ValueError(f"cookie name {self.name!r} is not an RFC 6265 token")
        if self.same_site is not None and self.same_site not in _SAMESITE:
            raise ValueError(f"SameSite {self.same_site!r} must be one of {', '.join(_SAMESITE)}")
        if not self.path.startswith("/") or any(c in self.path for c in ";\r\n"):
            raise ValueError(f"cookie path {self.path!r} must start with '/' and hold no ';' or newline")

    def _tag(self, server: str) -> str:
        assert self.secret is not None
        return _tag(self.secret, self.name, server)

    def encode(self, server: str) -> str:
        """The cookie value that pins a client to ``server``."""
        return server if self.secret is None else f"{server}.{self._tag(server)}"

    def decode(self, value: str | None) -> str | None:
        """The server a cookie value names, or None when it is absent, malformed or forged."""
        if value is None or len(value) > 64:
            return None
        return _decode(self.secret, self.name, value)

    def set_cookie(self, server: str) -> str:
        """The Set-Cookie header value that pins a client to ``server``, with the configured flags."""
        parts = [f"{self.name}={self.encode(server)}", f"Path={self.path}"]
        if self.http_only:
            parts.append("HttpOnly")
        if self.same_site is not None:
            parts.append(f"SameSite={self.same_site}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


@lru_cache(maxsize=1024)
def _tag(secret: bytes, name: str, server: str) -> str:
    """The HMAC tag of one pin, memoised: a balancer signs and checks the same few pins on every request.

    The key is part of the cache key, so a new secret never meets an old tag; names a client makes up
    only evict entries (the cache is bounded), costing no more than computing the tag.
    """
    return hmac.new(secret, f"{name}={server}".encode(), sha256).hexdigest()[:_TAG_HEX]


@lru_cache(maxsize=1024)
def _decode(secret: bytes | None, name: str, value: str) -> str | None:
    """``AffinityCookie.decode`` of a value of at most 64 characters, memoised like ``_tag``."""
    match = _VALUE.fullmatch(value)
    if match is None:
        return None
    server, tag = match.group(1), match.group(2)
    if secret is None:
        return server if tag is None else None
    if tag is None or not hmac.compare_digest(tag, _tag(secret, name, server)):
        return None
    return server


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """Name -> value from a request's Cookie header; malformed pairs are skipped, the first of a name wins."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for pair in header.split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


def split_cookies(header: str, name: str | None) -> tuple[dict[str, str], str]:
    """``parse_cookie_header(header)`` and ``strip_cookie(header, name)`` in one pass (the balancer needs both
    for every request); with ``name`` None the header is forwarded as it came."""
    cookies: dict[str, str] = {}
    kept: list[str] = []
    for raw in header.split(";"):
        pair = raw.strip()
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if sep and key and key not in cookies:
            cookies[key] = value.strip().strip('"')
        if key != name:
            kept.append(pair)
    return cookies, header if name is None else "; ".join(kept)


def strip_cookie(header: str, name: str) -> str:
    """The Cookie header without the cookie called ``name`` (the *indirect* mode)."""
    kept = [pair.strip() for pair in header.split(";") if pair.strip().partition("=")[0] != name and pair.strip()]
    return "; ".join(kept)
