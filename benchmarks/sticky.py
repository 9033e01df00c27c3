"""Sticky sessions benchmark: routing per strategy; our balancer beside HAProxy and the floor, loaded by wrk.

1. Routing decisions per second per strategy for returning sessions (pure core, 20 000 sessions
   over 10 servers), as a ratio to round robin; imbalance over 10 servers and the share of sessions
   moved when an 11th joins, beside the ideal 1/(n+1) = 9.1 %.
2. Over loopback, three cart app servers (uvicorn, each its own process). Each path is loaded by
   wrk (its own process, ``--latency``): requests/s, p50 and p99 as wrk reports them. SESSIONS
   shoppers are pinned first (one request each through the balancer); wrk's Lua script then sends
   every request with one shopper's cookies (session id and affinity cookie), in turn, so every
   request is a returning sticky one. Paths: the floor (no balancer: three wrk processes at once,
   each straight to one app server with the shoppers pinned there), HAProxy (``cookie SRV insert
   indirect nocache``), and our balancer built up one means at a time (the table "means").
   Ratios are to HAProxy in the same round; ROUNDS rounds give a range.
3. The headline: our best balancer and HAProxy back to back, PAIRS times (load on a shared machine
   drifts; a pair sees the same load), and the curve of both against concurrent connections 1..64,
   measured pointwise back to back.

Run: .venv/bin/python benchmarks/sticky.py [--quick]   (writes reports/benchmarks/sticky.{json,md,svg})
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from _common import REPORT_DIR, Headline, best_of, markdown_table, write_report
from livingspec.infra import InfraError, ManagedProcess, TargetUnavailableError, free_port
from livingspec.infra.loadgen import WrkResult, cookie_script, run_wrk
from livingspec.sticky import STRATEGIES, HAProxyBalancer, Pool, imbalance, load, make_strategy, scale_out, sessions
from livingspec.sticky.analysis import first_routes

SERVERS = [f"s{i}" for i in range(10)]
KEYS = sessions(20_000)
SESSIONS = 12
CONNECTIONS = 16
THREADS = 2  # wrk threads: the machine has two cores
DURATION = 3  # seconds per point
CURVE = (1, 2, 4, 8, 16, 32, 64)
ROUNDS = 2
PAIRS = 6  # back-to-back (ours, HAProxy) measurements for the headline ratio
SECRET = "benchmark key"
#: Our balancer, one means at a time (command-line options of python -m livingspec.sticky balancer).
MEANS: dict[str, list[str]] = {
    "ASGI app under uvicorn (asyncio, h11), httpx upstream (pooled keep-alive)": [
        "--engine", "asgi", "--loop", "asyncio", "--http", "h11"],
    "+ uvloop and httptools under uvicorn": ["--engine", "asgi", "--loop", "uvloop", "--http", "httptools"],
    "asyncio protocols + httptools, own keep-alive pool (asyncio loop)": [
        "--engine", "protocol", "--loop", "asyncio"],
    "+ uvloop": ["--engine", "protocol", "--loop", "uvloop"],
    "+ 2 workers sharing the port (SO_REUSEPORT, one cookie key)": ["--engine", "protocol", "--workers", "2"],
}  # fmt: skip
#: What the headline pairs and the curve run: one worker per core, as HAProxy runs one thread per core.
BEST = "+ 2 workers sharing the port (SO_REUSEPORT, one cookie key)"
ROUTING_HEADINGS = [
    "strategy",
    "decisions/s",
    "vs round robin",
    "imbalance (max/fair)",
    "moved on 10->11",
    "moved / ideal 9.1%",
]


def routing_rows() -> list[list[object]]:
    """Decisions per second, imbalance, sessions moved on scale-out, per strategy."""
    rows: list[list[object]] = []
    rates: dict[str, float] = {}
    for name in STRATEGIES:
        strategy, pool = make_strategy(name), Pool(SERVERS)
        view = pool.view()
        keys = [returning for returning, _ in first_routes(strategy, pool, KEYS)]  # returning sessions

        def route_all(strategy=strategy, view=view, keys=keys) -> None:
            for key in keys:
                strategy.route(key, view)

        seconds, _ = best_of(route_all, repeat=5)
        rates[name] = len(keys) / seconds
        counts = load(make_strategy(name), Pool(SERVERS), KEYS)
        moved = scale_out(make_strategy(name), Pool(SERVERS), KEYS, "s10")
        rows.append(
            [name, f"{rates[name]:,.0f}", "", f"{imbalance(counts):.3f}", f"{moved.fraction:.1%}",
             f"{moved.fraction / moved.ideal:.2f}"]
        )  # fmt: skip
    for row in rows:
        row[2] = f"{rates[str(row[0])] / rates['round robin']:.2f}"
    return rows


def _process(args: list[str], port: int, name: str) -> ManagedProcess:
    argv = [sys.executable, "-m", "livingspec.sticky", *args]
    return ManagedProcess(argv, name=name, ready_port=port, ready_timeout=20).start()


def pin_sessions(url: str, cookie: str = "SRV") -> list[tuple[str, str]]:
    """SESSIONS shoppers make a first request through a balancer: (their Cookie header, their server)."""
    pinned = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for index in range(SESSIONS):
            session = f"bench{index}"
            first = client.get("/cart", headers={"cookie": f"session_id={session}"})
            header = f"session_id={session}; {cookie}={first.cookies[cookie]}"
            again = client.get("/cart", headers={"cookie": header})
            if again.json()["server"] != first.json()["server"]:
                raise InfraError(f"shopper {session} was not kept on {first.json()['server']}")
            client.cookies.clear()
            pinned.append((header, str(first.json()["server"])))
    return pinned


def _wrk(url: str, cookies: Sequence[str], connections: int, duration: int = DURATION) -> WrkResult:
    return run_wrk(
        url + "/cart", connections=connections, threads=THREADS, duration=duration,
        script=cookie_script("/cart", cookies),
    )  # fmt: skip


def floor(urls: dict[str, str], pinned: list[tuple[str, str]], connections: int) -> dict[str, float]:
    """Three wrk processes at once, each straight to one app server with the shoppers pinned there."""
    results: dict[str, WrkResult] = {}
    share = {name: max(1, connections // len(urls) + (i < connections % len(urls))) for i, name in enumerate(urls)}

    def load_one(name: str) -> None:
        cookies = [header.split(";")[0] for header, server in pinned if server == name] or ["session_id=floor"]
        results[name] = _wrk(urls[name], cookies, share[name])

    threads = [threading.Thread(target=load_one, args=(name,)) for name in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DURATION + 30)
    if len(results) != len(urls):
        raise InfraError("a floor wrk process did not report")
    total = sum(r.requests_per_s for r in results.values())
    return {
        "requests_per_s": total,
        # Weighted by each run's share of the requests: the median over all requests is near this.
        "p50_ms": sum(r.p50_ms * r.requests_per_s for r in results.values()) / total,
        "p99_ms": max(r.p99_ms for r in results.values()),
        "errors": sum(r.errors for r in results.values()),
    }


def _figures(result: WrkResult) -> dict[str, float]:
    return {"requests_per_s": result.requests_per_s, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "errors": result.errors}  # fmt: skip


def _with_balancer(urls: dict[str, str], means: list[str], use: Callable[[str, ManagedProcess], object]) -> object:
    """Start our balancer with ``means``, call ``use(its url, its process)``, stop it."""
    port = free_port()
    backends = [f"{name}={url}" for name, url in urls.items()]
    process = _process(["balancer", "--port", str(port), "--secret", SECRET, *means, *backends], port, "balancer")
    try:
        return use(f"http://127.0.0.1:{port}", process)
    finally:
        process.stop()


APPS: list[ManagedProcess] = []  # the cart app servers, for the CPU split
CPU_ROWS: list[list[object]] = []  # per pair: CPU microseconds per request, ours then HAProxy's
CPU_HEADINGS = ["pair", "ours: balancer", "apps", "wrk", "HAProxy run: HAProxy", "apps", "wrk", "ours: total",
                "HAProxy run: total"]  # fmt: skip


def cpu_split(run: Callable[[], WrkResult], proxy: Callable[[], float]) -> tuple[WrkResult, dict[str, float]]:
    """Run one wrk load and say where its CPU went: microseconds per request in wrk, the app servers and
    the proxy (our balancer's processes, or HAProxy's threads), from /proc and wrk's own rusage."""
    apps = lambda: sum(app.cpu_seconds for app in APPS)  # noqa: E731
    before_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = (apps(), proxy())
    result = run()
    after = (apps(), proxy())
    after_wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = after_wrk.ru_utime + after_wrk.ru_stime - before_wrk.ru_utime - before_wrk.ru_stime
    per = 1e6 / max(1, result.requests)
    return result, {"wrk": wrk * per, "apps": (after[0] - before[0]) * per, "proxy": (after[1] - before[1]) * per}


def one_round(urls: dict[str, str], haproxy: HAProxyBalancer | None) -> dict[str, dict[str, float]]:
    """Floor, HAProxy and each means of our balancer, one after another at CONNECTIONS connections."""
    measured: dict[str, dict[str, float]] = {}
    pinned_ours: list[tuple[str, str]] = []
    for label, means in MEANS.items():

        def run(url: str, _process: ManagedProcess) -> dict[str, float]:
            pinned = pin_sessions(url)
            pinned_ours[:] = pinned
            _wrk(url, [h for h, _ in pinned], CONNECTIONS, duration=1)  # warm up
            return _figures(_wrk(url, [h for h, _ in pinned], CONNECTIONS))

        measured[label] = _with_balancer(urls, means, run)  # type: ignore[assignment]
    if haproxy is not None:
        pinned = pin_sessions(haproxy.url)
        _wrk(haproxy.url, [h for h, _ in pinned], CONNECTIONS, duration=1)
        measured["HAProxy 2.6 (cookie insert)"] = _figures(_wrk(haproxy.url, [h for h, _ in pinned], CONNECTIONS))
    measured["floor: no balancer, wrk straight to the app servers"] = floor(urls, pinned_ours, CONNECTIONS)
    return measured


def paired(urls: dict[str, str], haproxy: HAProxyBalancer) -> tuple[list[list[object]], list[list[object]]]:
    """Our balancer (BEST means) and HAProxy measured back to back, PAIRS times at CONNECTIONS, then at
    each point of the curve: load on the machine drifts, and a pair sees the same load."""

    def both(url: str, balancer: ManagedProcess) -> tuple[list[list[object]], list[list[object]]]:
        ours_cookies = [h for h, _ in pin_sessions(url)]
        theirs_cookies = [h for h, _ in pin_sessions(haproxy.url)]
        pairs: list[list[object]] = []
        for number in range(1, PAIRS + 1):
            m, ours_cpu = cpu_split(lambda: _wrk(url, ours_cookies, CONNECTIONS), lambda: balancer.cpu_seconds)
            h, their_cpu = cpu_split(
                lambda: _wrk(haproxy.url, theirs_cookies, CONNECTIONS), lambda: haproxy.process.cpu_seconds
            )
            pairs.append([number, f"{m.requests_per_s:,.0f}", f"{m.p50_ms:.2f}", f"{m.p99_ms:.2f}",
                          f"{h.requests_per_s:,.0f}", f"{h.p50_ms:.2f}", f"{h.p99_ms:.2f}",
                          f"{m.requests_per_s / h.requests_per_s:.2f}", f"{m.p50_ms / h.p50_ms:.2f}"])  # fmt: skip
            CPU_ROWS.append([number, *(f"{ours_cpu[k]:.1f}" for k in ("proxy", "apps", "wrk")),
                             *(f"{their_cpu[k]:.1f}" for k in ("proxy", "apps", "wrk")),
                             f"{sum(ours_cpu.values()):.0f}", f"{sum(their_cpu.values()):.0f}"])  # fmt: skip
        points: list[list[object]] = []
        for c in CURVE:
            m = _wrk(url, ours_cookies, c, duration=2)
            h = _wrk(haproxy.url, theirs_cookies, c, duration=2)
            points.append([c, f"{m.requests_per_s:,.0f}", f"{m.p50_ms:.2f}", f"{h.requests_per_s:,.0f}",
                           f"{h.p50_ms:.2f}", f"{m.requests_per_s / h.requests_per_s:.2f}"])  # fmt: skip
        return pairs, points

    return _with_balancer(urls, MEANS[BEST], both)  # type: ignore[return-value]


def curve_svg(rows: list[list[object]]) -> str:
    """The curve as a plot (matplotlib, SVG text)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    clients = [int(str(r[0])) for r in rows]
    axis.plot(clients, [float(str(r[1]).replace(",", "")) for r in rows], marker="o", label="our balancer")
    if rows:
        axis.plot(clients, [float(str(r[3]).replace(",", "")) for r in rows], marker="s", label="HAProxy")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("concurrent connections (wrk)")
    axis.set_ylabel("requests/s")
    axis.set_title("Balancer throughput against concurrent clients (loopback, 3 app servers)")
    axis.legend()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def proxy_rows(rounds: list[dict[str, dict[str, float]]]) -> list[list[object]]:
    """One row per path and round: wrk's figures and the ratios to HAProxy in the same round."""
    rows: list[list[object]] = []
    for number, measured in enumerate(rounds, 1):
        peer = measured.get("HAProxy 2.6 (cookie insert)")
        for label, figures in measured.items():
            ratio = f"{figures['requests_per_s'] / peer['requests_per_s']:.2f}" if peer else "-"
            latency = f"{figures['p50_ms'] / peer['p50_ms']:.2f}" if peer else "-"
            rows.append([number, label, f"{figures['requests_per_s']:,.0f}", f"{figures['p50_ms']:.2f}",
                         f"{figures['p99_ms']:.2f}", int(figures["errors"]), ratio, latency])  # fmt: skip
    return rows


def headlines(pair_rows: list[list[object]]) -> list[Headline]:
    """Our best balancer beside HAProxy: the medians of the back-to-back pairs (requests/s and p50)."""
    if not pair_rows:
        return []

    def median(column: int) -> float:
        return statistics.median(float(str(row[column]).replace(",", "")) for row in pair_rows)

    ours, theirs, ours_p50, theirs_p50 = median(1), median(4), median(2), median(5)
    return [
        Headline(f"requests/s through the balancer, {CONNECTIONS} wrk connections (median of {len(pair_rows)} pairs)",
                 f"{ours:,.0f}", f"HAProxy {theirs:,.0f}", round(median(7), 2), 0.8),
        Headline("p50 latency, as HAProxy's p50 / ours (1/1.5 = 0.67 is the aim)", f"{ours_p50:.2f} ms",
                 f"HAProxy {theirs_p50:.2f} ms", round(theirs_p50 / ours_p50, 2), 0.67),
    ]  # fmt: skip


def main() -> None:
    quick = "--quick" in sys.argv
    rounds_wanted = 1 if quick else ROUNDS
    routing = routing_rows()
    processes: list[ManagedProcess] = []
    notes: list[str] = []
    haproxy = None
    try:
        urls = {}
        for name in ("A", "B", "C"):
            port = free_port()
            processes.append(_process(["app", "--name", name, "--port", str(port)], port, f"app-{name}"))
            APPS.append(processes[-1])
            urls[name] = f"http://127.0.0.1:{port}"
        try:
            haproxy = HAProxyBalancer(urls).start()
        except TargetUnavailableError as error:
            notes.append(f"HAProxy skipped: {error}")
        rounds = [one_round(urls, haproxy) for _ in range(rounds_wanted)]
        pair_rows, curve_rows = paired(urls, haproxy) if haproxy is not None and not quick else ([], [])
    finally:
        if haproxy is not None:
            haproxy.stop()
        for process in reversed(processes):
            process.stop()
    headings = ["round", "path", "requests/s", "p50 ms", "p99 ms", "errors", "req/s vs HAProxy", "p50 vs HAProxy"]
    notes += [
        f"wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION} s per point after a 1 s warm-up; {SESSIONS}"
        " shoppers pinned first, every request a returning sticky GET /cart (Lua script sends the cookies).",
        "Floor: three wrk processes at once, one per app server; p50 is their request-weighted mean, p99 the worst.",
        "App servers: uvicorn (uvloop, httptools), one process each. Our balancer: its own process(es).",
        "2-core machine shared with other work; wrk, the balancer and the app servers share the cores: compare"
        " ratios within one round.",
    ]
    write_report("sticky", "Sticky sessions: our balancer beside HAProxy over loopback (wrk)", headings,
                 proxy_rows(rounds), notes=notes)  # fmt: skip
    curve_headings = ["connections", "ours req/s", "ours p50 ms", "HAProxy req/s", "HAProxy p50 ms", "ours/HAProxy"]
    markdown = (REPORT_DIR / "sticky.md").read_text()
    extra = f"\n## Routing per strategy\n\n{markdown_table(ROUTING_HEADINGS, routing)}\n"
    pair_headings = ["pair", "ours req/s", "ours p50", "ours p99", "HAProxy req/s", "HAProxy p50", "HAProxy p99",
                     "req/s ratio", "p50 ratio"]  # fmt: skip
    if pair_rows:
        ratios = sorted(float(str(r[7])) for r in pair_rows)
        latencies = sorted(float(str(r[8])) for r in pair_rows)
        summary = (f"req/s ratio {ratios[0]:.2f}..{ratios[-1]:.2f} (median {statistics.median(ratios):.2f}); "
                   f"p50 ratio {latencies[0]:.2f}..{latencies[-1]:.2f}")  # fmt: skip
        extra += f"\n## {BEST} and HAProxy back to back, {CONNECTIONS} connections\n\n"
        extra += f"{markdown_table(pair_headings, pair_rows)}\n\n{summary}\n"
        print(markdown_table(pair_headings, pair_rows), "\n", summary)
    if CPU_ROWS:
        extra += "\n## Where each request's CPU goes (microseconds per request, the same back-to-back pairs)\n\n"
        extra += f"{markdown_table(CPU_HEADINGS, CPU_ROWS)}\n\n"
        extra += ("CPU from /proc (every thread and child process) and wrk's rusage, before and after each load;"
                  " on 2 cores the throughput follows the total.\n")  # fmt: skip
        print(markdown_table(CPU_HEADINGS, CPU_ROWS))
    if curve_rows:
        table = markdown_table(curve_headings, curve_rows)
        extra += f"\n## Throughput against concurrent clients ({BEST})\n\n{table}\n"
        extra += "\n![curve](sticky_curve.svg)\n"
        (REPORT_DIR / "sticky_curve.svg").write_text(curve_svg(curve_rows))
        print(markdown_table(curve_headings, curve_rows))
    (REPORT_DIR / "sticky.md").write_text(markdown + extra)
    payload = json.loads((REPORT_DIR / "sticky.json").read_text())
    payload["routing"] = {"columns": ROUTING_HEADINGS, "rows": routing}
    payload["curve"] = {"columns": curve_headings, "rows": curve_rows}
    payload["pairs"] = {"columns": pair_headings, "rows": pair_rows}
    payload["cpu per request"] = {"columns": CPU_HEADINGS, "rows": CPU_ROWS}
    payload["rounds"] = rounds
    payload["headlines"] = [asdict(h) for h in headlines(pair_rows)]
    (REPORT_DIR / "sticky.json").write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
