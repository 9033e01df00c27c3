"""HTTP load from an established tool: wrk (Debian package ``wrk``), started here, its own figures parsed.

A benchmark must not measure its client: a Python client in the benchmark's own process is often
slower than the server it loads. ``run_wrk`` starts ``wrk --latency`` for a bounded duration against
one loopback URL, optionally with a Lua script (``wrk.format`` per request: a script can carry
cookies, such as a sticky session's affinity cookie), and returns what wrk itself reported:
requests per second, latency percentiles, errors. ``cookie_script`` writes the Lua for a list of
sessions whose cookies the caller obtained first; each request takes the next session's cookies.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livingspec.infra.errors import InfraError
from livingspec.infra.net import LOOPBACK
from livingspec.infra.process import require_binary

MAX_DURATION = 60  # seconds: a benchmark point is a few seconds; anything longer is a mistake
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


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
        """Socket errors plus answers that were neither 2xx nor 3xx."""
        return self.socket_errors + self.non_2xx_3xx


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
