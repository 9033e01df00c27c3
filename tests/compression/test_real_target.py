"""The real target: the sample app under uvicorn on loopback, and nginx (gzip on) in front of it.

Run with ``pytest --target=real``; on the embedded target these tests are skipped. A missing
nginx binary skips its tests with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from livingspec.compression import CODINGS, compress, fetch_over_http, users_json, users_page
from livingspec.compression.servers import NginxProxy, UvicornServer
from livingspec.runner.targets import TargetUnavailableError


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[UvicornServer]:
    if request.config.getoption("--target") != "real":
        pytest.skip("real-target test: run with --target=real")
    with UvicornServer() as running:
        yield running


@pytest.fixture(scope="module")
def bare_server(request: pytest.FixtureRequest) -> Iterator[UvicornServer]:
    if request.config.getoption("--target") != "real":
        pytest.skip("real-target test: run with --target=real")
    with UvicornServer("bare_app") as running:
        yield running


def nginx_in_front_of(port: int) -> NginxProxy:
    try:
        return NginxProxy(port)
    except TargetUnavailableError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("coding", CODINGS)
def test_each_coding_round_trips_over_loopback(server: UvicornServer, coding: str) -> None:
    exchange = fetch_over_http(server.base_url, "/corpus/json/30000", coding)
    assert exchange.content_encoding == coding
    assert exchange.decoded() == users_json(30000)


def test_streaming_goes_out_chunked_and_compressed(server: UvicornServer) -> None:
    exchange = fetch_over_http(server.base_url, "/stream/4/5000", "br")
    assert exchange.header("transfer-encoding") == "chunked"
    assert len(exchange.decoded()) == 4 * 5000


def test_a_bomb_over_loopback_is_refused(server: UvicornServer) -> None:
    bomb = compress(bytes(64 << 20), "gzip", 1)
    exchange = fetch_over_http(
        server.base_url, "/echo", None, method="POST", body=bomb, headers={"content-encoding": "gzip"}
    )
    assert exchange.status == 413


def test_nginx_passes_our_encoding_through(server: UvicornServer) -> None:
    with nginx_in_front_of(server.port) as nginx:
        exchange = fetch_over_http(nginx.base_url, "/api/users", "gzip, br")
    assert (exchange.content_encoding, len(exchange.raw)) == ("br", 403)
    assert exchange.decoded() == users_page(1247)


def test_nginx_compresses_the_bare_app_with_gzip(bare_server: UvicornServer) -> None:
    with nginx_in_front_of(bare_server.port) as nginx:
        exchange = fetch_over_http(nginx.base_url, "/corpus/json/30000", "br, gzip")
    assert exchange.content_encoding == "gzip"
    assert exchange.decoded() == users_json(30000)
