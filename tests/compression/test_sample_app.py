"""The sample application answers every path it routes: 404 for an unknown kind, 422 for a size it does not make."""

from __future__ import annotations

import pytest

from livingspec.compression import (
    KINDS,
    MAX_SAMPLE_SIZE,
    SIZE_RANGES,
    SampleSizeError,
    UnknownSampleKindError,
    fetch_in_process,
    payload,
)
from livingspec.compression.app import build_app, sample_app


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/corpus/json/39", 422, "json samples have 40..4194304 bytes, asked for 39"),
        ("/corpus/html/100", 422, "html samples have 120..4194304 bytes, asked for 100"),
        ("/corpus/xml/1000", 404, "unknown payload kind 'xml'; known: json, html, png, gzip"),
        ("/corpus/json/4194305", 422, "json samples have 40..4194304 bytes, asked for 4194305"),
        ("/corpus/png/99999999999999999999", 422, "asked for 99999999999999999999"),
        ("/corpus/gzip/524289", 422, "gzip samples have 0..524288 bytes"),
        ("/stream/1025/10", 422, "stream samples have 0..1024 chunks, asked for 1025"),
        ("/stream/2/65537", 422, "stream chunk samples have 0..65536 bytes, asked for 65537"),
    ],
)
def test_paths_without_a_sample_are_refused_with_the_reason(path: str, status: int, message: str) -> None:
    for app in (sample_app(), build_app()):  # bare, and behind the middleware (which leaves small errors alone)
        exchange = fetch_in_process(app, path, "gzip")
        assert exchange.status == status
        assert message in exchange.decoded().decode()


def test_the_bounds_themselves_are_served() -> None:
    for kind, (low, _high) in SIZE_RANGES.items():
        assert fetch_in_process(sample_app(), f"/corpus/{kind}/{low}", None).status == 200
    exchange = fetch_in_process(sample_app(), f"/corpus/png/{MAX_SAMPLE_SIZE}", None)
    assert (exchange.status, len(exchange.raw)) == (200, MAX_SAMPLE_SIZE)
    assert fetch_in_process(sample_app(), "/stream/1024/1", None).status == 200


def test_payload_refuses_with_the_concepts_own_errors() -> None:
    with pytest.raises(UnknownSampleKindError) as unknown:
        payload("xml", 100)
    assert (unknown.value.status, unknown.value.known) == (404, tuple(KINDS))
    with pytest.raises(SampleSizeError) as small:
        payload("json", 39)
    assert (small.value.status, small.value.low, small.value.size) == (422, 40, 39)
