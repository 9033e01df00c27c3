"""Sample payloads: described by kind, size and shape, exact in size, realistic in content, the same every run."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.compression import (
    SHAPES,
    SampleSizeError,
    UnknownSampleKindError,
    UnknownShapeError,
    describe,
    payload,
    users_json,
    users_page,
)


@given(size=st.integers(400, 100_000), seed=st.integers(0, 10_000))
def test_a_pretty_page_is_what_json_dumps_prints_and_exactly_its_size(size: int, seed: int) -> None:
    body = users_page(size, seed)
    page = json.loads(body)
    assert len(body) == size
    assert body.decode() == json.dumps(page, indent=2) + "\n"
    assert [user["id"] for user in page["data"]] == list(range(1, len(page["data"]) + 1))
    assert page["per_page"] == len(page["data"]) >= 1


@given(size=st.integers(4096, 100_000), seed=st.integers(0, 10_000))
def test_a_pretty_page_of_4_kib_or_more_ends_with_a_cursor_of_realistic_length(size: int, seed: int) -> None:
    assert 16 <= len(json.loads(users_page(size, seed))["next_cursor"]) <= 44


def test_the_seed_sized_pages_the_verdict_shows_end_with_realistic_cursors() -> None:
    for seed in [9, *range(10, 30)]:  # the page /api/users serves, and the 20 the seed verdict compares
        assert 16 <= len(json.loads(users_page(1247, seed))["next_cursor"]) <= 44


def test_the_seed_page_is_the_same_every_run() -> None:
    assert users_page(1247) == users_page(1247, seed=9)
    assert users_page(1247) != users_page(1247, seed=10)


def test_each_kind_has_its_default_shape_first() -> None:
    assert describe("json", 1247).shape == "compact"
    assert payload("json", 1247)[0] == users_json(1247)
    assert payload("json", 1247, shape="pretty")[0] == users_page(1247)
    assert {kind: next(iter(shapes)) for kind, shapes in SHAPES.items()} == {
        "json": "compact",
        "html": "table",
        "png": "random",
        "gzip": "archive",
    }


def test_descriptions_are_checked() -> None:
    with pytest.raises(UnknownShapeError, match="known: compact, pretty"):
        describe("json", 1000, "wavy")
    with pytest.raises(UnknownSampleKindError):
        describe("xml", 1000)
    with pytest.raises(SampleSizeError, match="pretty json samples have 400"):
        describe("json", 399, "pretty")
    with pytest.raises(SampleSizeError):
        users_page(399)


def test_described_payloads_are_served_with_their_shape() -> None:
    from livingspec.compression import fetch_in_process
    from livingspec.compression.app import sample_app

    exchange = fetch_in_process(sample_app(), "/corpus/json/1247?shape=pretty", None)
    assert (exchange.status, exchange.raw) == (200, users_page(1247))
    refused = fetch_in_process(sample_app(), "/corpus/png/100?shape=pretty", None)
    assert (refused.status, refused.raw) == (422, b"unknown shape 'pretty' of png samples; known: random")
