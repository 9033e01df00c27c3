"""The balancer's per-request checks after they were made cheaper: the same answers as the plain rules.

The hot path memoises cookie tags and decoded pins, checks a target's characters with one
``bytes.translate``, and gathers the forwarded headers in one pass. Each test below states the rule
the faster code must still keep, against a straightforward reference or a hostile input.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from livingspec.sticky import AffinityCookie
from livingspec.sticky.cookies import parse_cookie_header, split_cookies, strip_cookie
from livingspec.sticky.errors import BadRequestTargetError
from livingspec.sticky.forwarding import connection_named, end_to_end, forwarded_for, request_target
from livingspec.sticky.proxy import Balancer


def _visible(data: bytes) -> bool:
    return all(0x21 <= byte <= 0x7E for byte in data)


@given(st.binary(max_size=64), st.binary(max_size=16))
def test_a_target_is_accepted_exactly_when_every_character_is_visible_ascii(path: bytes, query: bytes) -> None:
    raw = b"/" + path
    try:
        request_target("GET", raw, query)
    except BadRequestTargetError:
        accepted = False
    else:
        accepted = True
    assert accepted == (_visible(raw + query) and b"#" not in raw + query)


def test_a_memoised_pin_still_refuses_a_forged_tag_and_another_key() -> None:
    ours, theirs = AffinityCookie(secret=b"ours"), AffinityCookie(secret=b"theirs")
    value = ours.encode("A")
    assert ours.decode(value) == "A"  # now memoised
    assert ours.decode(value) == "A"
    assert theirs.decode(value) is None  # the key is part of what is remembered
    forged = value[:-1] + ("0" if value[-1] != "0" else "1")
    assert ours.decode(forged) is None
    assert AffinityCookie().decode(value) is None  # unsigned cookies carry no tag
    assert AffinityCookie(name="OTHER", secret=b"ours").decode(value) is None  # the tag covers the name


def test_many_made_up_pins_are_refused_and_the_real_one_still_decodes() -> None:
    cookie = AffinityCookie(secret=b"k")
    assert all(cookie.decode(f"s{i}.{i:016x}") is None for i in range(3000))  # more than the memo holds
    assert cookie.decode(cookie.encode("s7")) == "s7"


def _reference_upstream(headers: list[tuple[bytes, bytes]], peer: str) -> list[tuple[bytes, bytes]]:
    """What the balancer forwarded before the one-pass version: the rules written out one by one."""
    kept = end_to_end(headers, also_drop=(b"host", b"content-length", b"x-forwarded-for", b"cookie", b"expect"))
    cookie = "; ".join(v.decode("latin-1") for k, v in headers if k.lower() == b"cookie")
    stripped = "; ".join(p.strip() for p in cookie.split(";") if p.strip() and p.strip().partition("=")[0] != "SRV")
    if stripped:
        kept.append((b"cookie", stripped.encode("latin-1")))
    kept.append((b"x-forwarded-for", forwarded_for(headers, peer)))
    return kept


_names = st.sampled_from(
    [b"Host", b"Cookie", b"X-Forwarded-For", b"Connection", b"Keep-Alive", b"TE", b"Expect", b"Accept", b"X-Trace"]
)
_values = st.sampled_from([b"a", b" 1.2.3.4 ", b"", b"x-trace, accept", b"SRV=A.00; session_id=s1", b"close"])


@given(st.lists(st.tuples(_names, _values), max_size=8))
def test_the_one_pass_forwarded_headers_match_the_rules_one_by_one(headers: list[tuple[bytes, bytes]]) -> None:
    balancer = Balancer({"A": "http://127.0.0.1:9"}, cookie=AffinityCookie(secret=b"k"), health_interval=None)
    forwarded, _key = balancer._upstream_headers({"headers": headers, "client": ("10.0.0.9", 5)})
    assert forwarded == _reference_upstream(headers, "10.0.0.9")
    dropped = connection_named(headers)
    assert not {k for k, _ in forwarded} & (dropped - {b"cookie", b"x-forwarded-for"})


@given(st.text(alphabet='ab=; "SRV_\t', max_size=40), st.sampled_from(["SRV", "a", None]))
def test_one_pass_cookie_split_equals_parsing_and_stripping_apart(header: str, name: str | None) -> None:
    parsed, forwarded = split_cookies(header, name)
    assert parsed == parse_cookie_header(header)
    assert forwarded == (header if name is None else strip_cookie(header, name))
