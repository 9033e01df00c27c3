"""Accept-Encoding parsing and negotiation (RFC 9110 12.5.3): worked cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.compression import DEFAULT_PREFERENCE, acceptable_codings, negotiate, parse_accept_encoding

CODING_NAMES = [*DEFAULT_PREFERENCE, "identity", "*", "x-gzip", "compress", "GZIP", "Br"]


@pytest.mark.parametrize(
    ("header", "coding", "acceptable"),
    [
        (None, "identity", True),
        ("", "identity", True),
        ("gzip, deflate, br", "br", True),
        ("gzip;q=0, br", "br", True),
        ("gzip;q=0", "identity", True),
        ("*;q=0", "identity", False),
        ("identity;q=0", "identity", False),
        ("*;q=0, identity;q=0.5", "identity", True),
        ("gzip;q=0.5", "gzip", True),
        ("gzip;q=0.5, identity", "identity", True),
        ("br;Q=0.9, zstd", "zstd", True),
        ("gzip ; q=0.8 , deflate;q=0.9", "deflate", True),
        ("gzip;q=1.000", "gzip", True),
        ("gzip;q=1.001", "identity", True),
        ("gzip;q=.5", "identity", True),
        ("gzip;q=0.", "identity", True),
        ("gzip;q", "identity", True),
        ("gzip;;q=1", "identity", True),
        ("x-gzip;q=0, gzip", "identity", True),
    ],
)
def test_negotiate_worked_cases(header: str | None, coding: str, acceptable: bool) -> None:
    result = negotiate(header)
    assert (result.coding, result.acceptable) == (coding, acceptable), result.reason


def test_missing_header_is_not_an_empty_one() -> None:
    assert parse_accept_encoding(None).present is False
    assert parse_accept_encoding("").present is True


def test_malformed_elements_are_reported_as_ignored() -> None:
    parsed = parse_accept_encoding("br;q=2, gzip;level=1, de flate, zstd;q=0.5")
    assert parsed.weights == {"zstd": 500}
    assert parsed.ignored == ("br;q=2", "gzip;level=1", "de flate")


def test_weights_are_exact_thousandths() -> None:
    assert parse_accept_encoding("gzip;q=0.001, br;q=0.999").weights == {"gzip": 1, "br": 999}


def test_a_coding_listed_twice_keeps_its_lower_weight() -> None:
    assert parse_accept_encoding("gzip, gzip;q=0.3").weights == {"gzip": 300}


def test_server_preference_breaks_ties() -> None:
    assert negotiate("gzip, br", preference=("gzip", "br")).coding == "gzip"
    assert negotiate("gzip, br").coding == "br"


def test_acceptable_codings_in_order() -> None:
    assert acceptable_codings("gzip;q=0.5, zstd, br;q=0") == ["zstd", "gzip", "identity"]
    assert acceptable_codings(None) == [*DEFAULT_PREFERENCE, "identity"]


def test_bytes_headers_are_read_as_latin1() -> None:
    assert negotiate(b"gzip;q=0.5, \xe9").coding == "gzip"


element = st.one_of(
    st.sampled_from(CODING_NAMES),
    st.tuples(st.sampled_from(CODING_NAMES), st.sampled_from(["0", "0.5", "1", "0.001", "1.0", "2", "x", ""])).map(
        lambda pair: f"{pair[0]};q={pair[1]}"
    ),
    st.text(max_size=12),
)


@given(st.one_of(st.none(), st.text(max_size=200), st.lists(element, max_size=8).map(", ".join)))
def test_negotiation_never_raises_and_respects_exclusions(header: str | None) -> None:
    result = negotiate(header)
    accept = result.accept
    assert result.coding in (*DEFAULT_PREFERENCE, "identity")
    if result.acceptable:
        # The chosen coding is one the client accepts, and nothing acceptable has a higher weight.
        assert accept.weight_of(result.coding) > 0 or not accept.present
        if accept.present:
            best = max(accept.weight_of(c) for c in (*DEFAULT_PREFERENCE, "identity"))
            assert accept.weight_of(result.coding) == best
    else:
        assert all(accept.weight_of(c) == 0 for c in (*DEFAULT_PREFERENCE, "identity"))
        assert result.status == 406


@given(st.binary(max_size=300))
def test_parser_reads_arbitrary_bytes(header: bytes) -> None:
    parsed = parse_accept_encoding(header)
    assert all(0 <= weight <= 1000 for weight in parsed.weights.values())
