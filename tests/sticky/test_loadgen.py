"""The wrk helpers for scripted load: prepared requests in Lua, status checks, the parser, merged runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from livingspec.infra import InfraError, LoopbackServer, TargetUnavailableError
from livingspec.infra.loadgen import (
    PreparedRequest,
    WrkResult,
    merge,
    parse_wrk,
    requests_script,
    run_requests,
)

# Recorded from `wrk --latency -t2 -c2 -d1s -s <requests_script of three requests>` (wrk 4.1.0, Debian).
RECORDED = """Running 1s test @ http://127.0.0.1:46145/
  2 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   328.76us  243.79us   5.24ms   96.84%
    Req/Sec     3.19k   651.55     4.27k    72.73%
  Latency Distribution
     50%  300.00us
     75%  356.00us
     90%  401.00us
     99%    1.25ms
  7001 requests in 1.10s, 695.09KB read
  Non-2xx or 3xx responses: 4668
Requests/sec:   6368.52
Transfer/sec:    632.30KB
Unexpected statuses: 2334
"""


def test_recorded_output_of_a_checked_script_counts_only_unexpected_statuses_as_errors():
    result = parse_wrk(RECORDED, connections=2)
    assert (result.requests, result.requests_per_s, result.seconds) == (7001, 6368.52, pytest.approx(1.1))
    assert (result.non_2xx_3xx, result.unexpected, result.checked) == (4668, 2334, True)
    assert result.errors == 2334  # the 404s the script expected are answers, not errors
    assert result.bytes_read == round(695.09 * 1024)
    assert result.bytes_per_request == pytest.approx(695.09 * 1024 / 7001)
    assert result.latency_ms == pytest.approx({50: 0.3, 75: 0.356, 90: 0.401, 99: 1.25})


def test_without_a_checking_script_non_2xx_answers_are_the_errors():
    result = parse_wrk(RECORDED.replace("Unexpected statuses: 2334\n", "").replace("KB read", "MB read"))
    assert (result.checked, result.errors, result.bytes_read) == (False, 4668, round(695.09 * (1 << 20)))


def test_the_script_lists_each_request_with_its_method_path_headers_body_and_expected_status():
    script = requests_script(
        [
            PreparedRequest("POST", "/login", {"Content-Type": "text/plain", "Cookie": 'a="b"'}, "x=1\n\u00e9", 303),
            PreparedRequest(path="/dashboard", expect=None),
        ],
        stagger=2,
    )
    assert "local expected = {303, 0}" in script
    assert (
        'wrk.format("POST", "/login", {["Content-Type"] = "text/plain", ["Cookie"] = "a=\\034b\\034"}, '
        '"x=1\\010\\195\\169")' in script
    )
    assert 'wrk.format("GET", "/dashboard", {}, nil)' in script
    assert "thread:set('offset', (#threads - 1) * 2)" in script
    assert "io.write(string.format('Unexpected statuses: %d\\n', total))" in script


@pytest.mark.parametrize(
    "make",
    [
        lambda: PreparedRequest("get"),
        lambda: PreparedRequest(path="no-slash"),
        lambda: PreparedRequest(path="/a b"),
        lambda: PreparedRequest(headers={"Bad Name": "x"}),
        lambda: PreparedRequest(headers={"X": "line\r\nInjected: 1"}),
        lambda: PreparedRequest(expect=42),
    ],
)
def test_a_request_that_is_not_valid_http_is_refused(make: Callable[[], PreparedRequest]):
    with pytest.raises(InfraError):
        make()


def test_an_empty_script_and_too_many_connections_are_refused():
    with pytest.raises(InfraError, match="at least one"):
        requests_script([])
    with pytest.raises(InfraError, match="connections"):
        run_requests("http://127.0.0.1:1/", [PreparedRequest()], connections=65)


def _result(requests: int, rate: float, p50: float, p99: float, unexpected: int) -> WrkResult:
    return WrkResult(requests, 2.0, rate, {50: p50, 99: p99}, socket_errors=1, connections=2,
                     unexpected=unexpected, bytes_read=10 * requests, checked=True)  # fmt: skip


def test_merged_runs_add_up_and_keep_the_worst_tail():
    merged = merge([_result(100, 50.0, 1.0, 4.0, 0), _result(300, 150.0, 3.0, 9.0, 2)])
    assert (merged.requests, merged.requests_per_s, merged.connections, merged.bytes_read) == (400, 200.0, 4, 4000)
    assert merged.latency_ms == {50: pytest.approx(2.5), 99: 9.0}
    assert merged.errors == 2 + 2
    with pytest.raises(InfraError):
        merge([])


@dataclass(frozen=True)
class Seen:
    """One request as the recording app received it."""

    method: str
    target: str  # path and query
    headers: dict[bytes, bytes]
    body: bytes
    port: int  # the client's port: one per wrk connection


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[Seen]]]:
    """An app that answers 200 on /ok, 404 elsewhere, and records every request."""
    seen: list[Seen] = []

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope["query_string"].decode()
        target = scope["path"] + ("?" + query if query else "")
        seen.append(Seen(scope["method"], target, dict(scope["headers"]), body, scope["client"][1]))
        status = 200 if scope["path"] == "/ok" else 404
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"hi"})

    server = LoopbackServer(app, name="recorder").start()
    try:
        yield server.url, seen
    finally:
        server.stop()


def test_wrk_sends_the_prepared_requests_as_written_and_counts_each_wrong_status(recorder):
    url, seen = recorder
    requests = [
        PreparedRequest("POST", "/echo", {"Content-Type": "text/plain", "X-Mark": "m"}, 'a "quoted"\nline \u00e9', 404),
        PreparedRequest(path="/ok"),
        PreparedRequest(path="/missing"),  # expects 200, answers 404: one unexpected status per round
    ]
    try:
        result = run_requests(url + "/", requests, connections=2, duration=1)
    except TargetUnavailableError as error:
        pytest.skip(str(error))
    posts = [entry for entry in seen if entry.method == "POST"]
    assert posts and all(entry.body == 'a "quoted"\nline \u00e9'.encode() for entry in posts)
    assert all(e.headers[b"x-mark"] == b"m" and e.headers[b"content-type"] == b"text/plain" for e in posts)
    # Each thread cycles the three in order; the last round of each thread may be cut short.
    missing = sum(1 for entry in seen if entry.target == "/missing")
    assert result.checked and result.socket_errors == 0
    assert abs(result.unexpected - missing) <= result.connections
    assert abs(result.unexpected - result.requests / 3) <= 2 * result.connections
    assert result.errors == result.unexpected


def test_each_connection_cycles_the_requests_in_order_from_its_own_stagger(recorder):
    url, seen = recorder
    paths = ["/ok?a1", "/ok?b1", "/ok?a2", "/ok?b2"]
    requests = [PreparedRequest("POST", path, body=b"\x00\xff" if "b" in path else "") for path in paths]
    try:
        result = run_requests(url + "/", requests, connections=2, duration=1, stagger=2)
    except TargetUnavailableError as error:
        pytest.skip(str(error))
    assert result.errors == 0
    by_connection: dict[int, list[Seen]] = {}
    for entry in seen:
        by_connection.setdefault(entry.port, []).append(entry)
    assert len(by_connection) == 2  # one connection per wrk thread, kept alive
    starts = set()
    for sent in by_connection.values():
        start = paths.index(sent[0].target)
        starts.add(start)
        assert [entry.target for entry in sent] == [paths[(start + k) % 4] for k in range(len(sent))]
        assert all(entry.body == (b"\x00\xff" if "b" in entry.target else b"") for entry in sent)
    assert starts == {0, 2}  # thread 1 from the first request, thread 2 two requests on
