"""HTTP load from an established tool: wrk (Debian package ``wrk``), started here, its own figures parsed.

A benchmark must not measure its client: a Python client in the benchmark's own process is often
slower than the server it loads. ``run_wrk`` starts ``wrk --latency`` for a bounded duration against
one loopback URL, optionally with a Lua script (``wrk.format`` per request: a script can carry
cookies, such as a sticky session's affinity cookie), and returns what wrk itself reported:
requests per second, latency percentiles, errors. ``cookie_script`` writes the Lua for a list of
sessions whose cookies the caller obtained first; each request takes the next session's cookies.

``requests_script`` is the general form: a list of prepared requests (method, path, headers, body,
the status each must answer), cycled in order by every wrk thread. ``run_requests`` runs it with one
connection per wrk thread, so each answer belongs to the request sent just before it and a wrong
status is counted (``WrkResult.unexpected``) rather than hidden among 2xx and 3xx answers.
``merge`` adds up several wrk runs made at the same time (one per server, say).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livingspec.infra.errors import InfraError
from livingspec.infra.net import LOOPBACK
from livingspec.infra.process import require_binary

MAX_DURATION = 60  # seconds: a benchmark point is a few seconds; anything longer is a mistake
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_BYTES = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
MAX_SCRIPT_CONNECTIONS = 64  # run_requests starts one wrk thread per connection


@dataclass(frozen=True)
class WrkResult:
    """What wrk reported for one run: throughput, latency percentiles (milliseconds), errors."""

    requests: int
    seconds: float
    requests_per_s: float
    latency_ms: dict[int, float]  # percentile (50, 75, 90, 99) -> milliseconds
    socket_errors: int = 0
    non_2xx_3xx: int = 0
    connections: int = 0
    raw: str = field(default="", repr=False)
    unexpected: int = 0  # answers whose status was not the one the script's prepared request expected
    bytes_read: int = 0  # what wrk read from the sockets, headers included (wrk rounds it to 3 figures)
    checked: bool = False  # a script checked every answer's status (requests_script)

    @property
    def p50_ms(self) -> float:
        """Median latency."""
        return self.latency_ms[50]

    @property
    def p99_ms(self) -> float:
        """99th percentile latency."""
        return self.latency_ms[99]

    @property
    def errors(self) -> int:
        """Socket errors plus wrong answers: a status a script did not expect, else neither 2xx nor 3xx."""
        return self.socket_errors + (self.unexpected if self.checked else self.non_2xx_3xx)

    @property
    def bytes_per_request(self) -> float:
        """Bytes read per answer, headers included."""
        return self.bytes_read / self.requests if self.requests else 0.0


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise InfraError(f"wrk reported a latency {text!r} this parser does not know")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str, connections: int = 0) -> WrkResult:
    """The figures of ``wrk --latency`` output; InfraError when a figure is missing."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = {int(p): _milliseconds(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    if done is None or rate is None or not {50, 99} <= set(percentiles):
        raise InfraError(f"wrk's output lacks requests, rate or latency percentiles:\n{output[-800:]}")
    read = re.search(r"requests in \S+, ([\d.]+)(B|KB|MB|GB|TB) read", output)
    unexpected = re.search(r"^Unexpected statuses: (\d+)", output, re.M)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_milliseconds(done.group(2) + done.group(3)) / 1e3,
        requests_per_s=float(rate.group(1)),
        latency_ms=percentiles,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        connections=connections,
        raw=output,
        unexpected=int(unexpected.group(1)) if unexpected else 0,
        bytes_read=round(float(read.group(1)) * _BYTES[read.group(2)]) if read else 0,
        checked=unexpected is not None,
    )


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cookie_script(path: str, cookies: Sequence[str]) -> str:
    """Lua for wrk: each request GETs ``path`` with the next session's Cookie header (round robin)."""
    if not cookies:
        raise InfraError("a cookie script needs at least one session's cookies")
    listed = ",\n  ".join(_lua_string(cookie) for cookie in cookies)
    return (
        f"local cookies = {{\n  {listed}\n}}\n"
        "local n = 0\n"
        "function setup(thread)\n  n = n + 1\n  thread:set('offset', n)\nend\n"
        "function init(args)\n  i = offset or 0\nend\n"
        "function request()\n"
        "  i = i % #cookies + 1\n"
        f"  return wrk.format('GET', {_lua_string(path)}, {{Cookie = cookies[i]}})\n"
        "end\n"
    )


def run_wrk(
    url: str,
    *,
    connections: int,
    threads: int = 1,
    duration: int = 3,
    script: str | None = None,
    timeout_s: int = 10,
) -> WrkResult:
    """Run wrk against ``url`` (loopback only) for ``duration`` whole seconds and parse its report."""
    if not 0 < duration <= MAX_DURATION:
        raise InfraError(f"wrk duration {duration} s must be within (0, {MAX_DURATION}]")
    if f"//{LOOPBACK}:" not in url and "//localhost:" not in url:
        raise InfraError(f"load goes to loopback only, not {url}")
    binary = require_binary("wrk")
    threads = max(1, min(threads, connections))
    with tempfile.TemporaryDirectory(prefix="livingspec-wrk-") as folder:
        argv = [binary, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{timeout_s}s", "--latency"]
        if script is not None:
            lua = Path(folder) / "load.lua"
            lua.write_text(script)
            argv += ["-s", str(lua)]
        try:
            done = subprocess.run(
                [*argv, url], capture_output=True, text=True, timeout=duration + timeout_s + 10, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise InfraError(f"wrk did not finish within {duration + timeout_s + 10} s") from error
    if done.returncode != 0:
        raise InfraError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-400:]}")
    return parse_wrk(done.stdout, connections)


@dataclass(frozen=True)
class PreparedRequest:
    """One request of a wrk script: sent as written; ``expect`` is the status it must answer (None: any)."""

    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | bytes = ""  # text is sent as UTF-8
    expect: int | None = 200

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]+", self.method):
            raise InfraError(f"HTTP method {self.method!r} must be upper-case letters")
        if not self.path.startswith("/") or any(c in self.path for c in " \r\n"):
            raise InfraError(f"request path {self.path!r} must start with / and hold no space or line break")
        for name, value in self.headers.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name) or any(c in value for c in "\r\n"):
                raise InfraError(f"header {name!r}: {value!r} is not a valid HTTP header")
        if self.expect is not None and not 100 <= self.expect <= 599:
            raise InfraError(f"expected status {self.expect} is not an HTTP status")


def _lua_bytes(text: str | bytes) -> str:
    """A Lua string literal holding ``text`` (str as UTF-8), every byte outside printable ASCII escaped."""
    out = []
    for byte in text.encode() if isinstance(text, str) else text:
        char = chr(byte)
        if char in '"\\' or not 32 <= byte < 127:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _lua_request(request: PreparedRequest) -> str:
    headers = ", ".join(f"[{_lua_bytes(k)}] = {_lua_bytes(v)}" for k, v in request.headers.items())
    body = _lua_bytes(request.body) if request.body else "nil"
    return f"wrk.format({_lua_bytes(request.method)}, {_lua_bytes(request.path)}, {{{headers}}}, {body})"


def requests_script(requests: Sequence[PreparedRequest], *, stagger: int = 1) -> str:
    """Lua for wrk: every thread sends ``requests`` in order, round and round, and checks each status.

    Thread k starts at request ``(k - 1) * stagger`` (mod the count), so threads need not send the same
    request at the same moment; a stagger of a sequence's length keeps sequences whole (wrk calls the
    first thread's ``request`` once before the run to check it, so that thread starts one back). The check
    pairs an answer with the last request its thread sent, which is right with one connection per
    thread (``run_requests``); wrk's summary then ends with ``Unexpected statuses: N``.
    """
    if not requests:
        raise InfraError("a request script needs at least one prepared request")
    if stagger < 0:
        raise InfraError(f"stagger {stagger} must not be negative")
    formatted = ",\n    ".join(_lua_request(r) for r in requests)
    expected = ", ".join(str(r.expect or 0) for r in requests)
    return (
        f"local expected = {{{expected}}}\n"
        "local threads = {}\n"
        "function setup(thread)\n"
        "  table.insert(threads, thread)\n"
        f"  thread:set('offset', (#threads - 1) * {stagger})\n"
        "  thread:set('verified', #threads == 1)\n"
        "end\n"
        "function init(args)\n"
        f"  prepared = {{\n    {formatted}\n  }}\n"
        "  i = ((offset or 0) - (verified and 1 or 0)) % #prepared\n"
        "  last = 0\n"
        "  unexpected = 0\n"
        "end\n"
        "function request()\n"
        "  i = i % #prepared + 1\n"
        "  last = i\n"
        "  return prepared[i]\n"
        "end\n"
        "function response(status, headers, body)\n"
        "  local want = expected[last]\n"
        "  if want and want ~= 0 and status ~= want then unexpected = unexpected + 1 end\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local total = 0\n"
        "  for _, thread in ipairs(threads) do total = total + (thread:get('unexpected') or 0) end\n"
        "  io.write(string.format('Unexpected statuses: %d\\n', total))\n"
        "end\n"
    )


def run_requests(
    url: str,
    requests: Sequence[PreparedRequest],
    *,
    connections: int,
    duration: int = 3,
    stagger: int = 1,
    timeout_s: int = 10,
) -> WrkResult:
    """Run ``requests_script`` against ``url``'s server with one wrk thread per connection."""
    if not 0 < connections <= MAX_SCRIPT_CONNECTIONS:
        raise InfraError(f"{connections} connections must be within (0, {MAX_SCRIPT_CONNECTIONS}]")
    script = requests_script(requests, stagger=stagger)
    return run_wrk(url, connections=connections, threads=connections, duration=duration, script=script,
                   timeout_s=timeout_s)  # fmt: skip


def merge(results: Sequence[WrkResult]) -> WrkResult:
    """Several wrk runs made at the same time as one: counts and rates add up; p50 is the runs' p50s
    weighted by their requests (near the median of all requests), every other percentile the worst run's."""
    if not results:
        raise InfraError("nothing to merge: no wrk result")
    requests = sum(r.requests for r in results)
    percentiles = set.intersection(*(set(r.latency_ms) for r in results))
    latency = {p: max(r.latency_ms[p] for r in results) for p in percentiles}
    if requests:
        latency[50] = sum(r.latency_ms[50] * r.requests for r in results) / requests
    return WrkResult(
        requests=requests,
        seconds=max(r.seconds for r in results),
        requests_per_s=sum(r.requests_per_s for r in results),
        latency_ms=latency,
        socket_errors=sum(r.socket_errors for r in results),
        non_2xx_3xx=sum(r.non_2xx_3xx for r in results),
        connections=sum(r.connections for r in results),
        raw="\n".join(r.raw for r in results),
        unexpected=sum(r.unexpected for r in results),
        bytes_read=sum(r.bytes_read for r in results),
        checked=all(r.checked for r in results),
    )
