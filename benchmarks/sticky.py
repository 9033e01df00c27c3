"""Sticky sessions benchmark: routing speed, balance and movement per strategy; our proxy beside HAProxy.

1. Routing decisions per second per strategy for returning sessions (pure core, 20 000 sessions
   over 10 servers), as a ratio to round robin, the non-sticky baseline.
2. Imbalance (max load / fair share, 1.0 is perfect) over 10 servers, and the share of sessions
   moved when an 11th server joins, beside the ideal 1/(n+1) = 9.1 %.
3. Over loopback: three cart app servers (uvicorn, each its own process), then 4 client threads x
   N sticky requests (GET /cart with the cookies the balancer set) sent directly to the app servers
   (the floor: client i to server i mod 3), through our balancer (its own uvicorn process), and through HAProxy
   (``cookie SRV insert indirect nocache``), in the same run: requests per second and p50/p99 latency.

Run: .venv/bin/python benchmarks/sticky.py [requests-per-client]   (writes reports/benchmarks/sticky.{json,md})
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from _common import REPORT_DIR, best_of, markdown_table, write_report
from livingspec.infra import ManagedProcess, free_port
from livingspec.runner.targets import TargetUnavailableError
from livingspec.sticky import STRATEGIES, HAProxyBalancer, Pool, imbalance, load, make_strategy, scale_out, sessions
from livingspec.sticky.analysis import first_routes

SERVERS = [f"s{i}" for i in range(10)]
KEYS = sessions(20_000)
CLIENTS = 4
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
        # Returning sessions (the common case): each carries the cookie its first request was given,
        # so cookie insertion pays its HMAC check and the session table its lookup.
        keys = [returning for returning, _ in first_routes(strategy, pool, KEYS)]

        def route_all(strategy=strategy, view=view, keys=keys) -> None:
            for key in keys:
                strategy.route(key, view)

        seconds, _ = best_of(route_all, repeat=5)
        rates[name] = len(keys) / seconds
        counts = load(make_strategy(name), Pool(SERVERS), KEYS)
        moved = scale_out(make_strategy(name), Pool(SERVERS), KEYS, "s10")
        rows.append(
            [
                name,
                f"{rates[name]:,.0f}",
                "",
                f"{imbalance(counts):.3f}",
                f"{moved.fraction:.1%}",
                f"{moved.fraction / moved.ideal:.2f}",
            ]
        )
    for row in rows:
        row[2] = f"{rates[str(row[0])] / rates['round robin']:.2f}"
    return rows


def _load(urls: list[str], requests_each: int) -> tuple[float, list[float], int]:
    """CLIENTS threads; shopper i sends requests_each GETs to urls[i % n]. Returns (seconds, latencies, errors)."""

    def shopper(index: int) -> tuple[list[float], int]:
        latencies, errors = [], 0
        with httpx.Client(base_url=urls[index % len(urls)], timeout=10) as client:
            client.cookies.set("session_id", f"bench{index}")
            client.get("/cart")  # first request: the balancer pins the shopper (cookie kept by the client)
            for _ in range(requests_each):
                start = time.perf_counter()
                reply = client.get("/cart")
                latencies.append(time.perf_counter() - start)
                errors += reply.status_code != 200
        return latencies, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(shopper, range(CLIENTS)))
    seconds = time.perf_counter() - start
    return seconds, [lat for lats, _ in results for lat in lats], sum(e for _, e in results)


def _python_process(args: list[str], port: int, name: str) -> ManagedProcess:
    return ManagedProcess([sys.executable, "-m", "livingspec.sticky", *args], name=name, ready_port=port).start()


def proxy_rows(requests_each: int) -> tuple[list[list[object]], list[str]]:
    """Requests per second and latency: direct, our balancer, HAProxy, over the same app servers."""
    processes: list[ManagedProcess] = []
    notes: list[str] = []
    try:
        urls = {}
        for name in ("A", "B", "C"):
            port = free_port()
            processes.append(_python_process(["app", "--name", name, "--port", str(port)], port, f"app-{name}"))
            urls[name] = f"http://127.0.0.1:{port}"
        port = free_port()
        backends = [f"{name}={url}" for name, url in urls.items()]
        processes.append(_python_process(["balancer", "--port", str(port), *backends], port, "balancer"))
        targets = {
            "no balancer: each client to its own app server (floor)": [urls[n] for n in ("A", "B", "C")],
            "our balancer (Python, uvicorn)": [f"http://127.0.0.1:{port}"],
        }
        haproxy = None
        try:
            haproxy = HAProxyBalancer(urls).start()
            targets["HAProxy 2.6 (cookie insert)"] = [haproxy.url]
        except TargetUnavailableError as error:
            notes.append(f"HAProxy skipped: {error}")
        measured = {}
        for label, url in targets.items():
            _load(url, max(10, requests_each // 10))  # warm up
            measured[label] = _load(url, requests_each)
        if haproxy is not None:
            haproxy.stop()
    finally:
        for process in reversed(processes):
            process.stop()
    rows: list[list[object]] = []
    ours = measured["our balancer (Python, uvicorn)"]
    for label, (seconds, latencies, errors) in measured.items():
        cuts = statistics.quantiles(latencies, n=100)
        rate = len(latencies) / seconds
        rows.append(
            [
                label,
                f"{rate:,.0f}",
                f"{1000 * cuts[49]:.2f}",
                f"{1000 * cuts[98]:.2f}",
                errors,
                f"{rate / (len(ours[1]) / ours[0]):.2f}",
            ]
        )
    return rows, notes


def main() -> None:
    requests_each = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    routing = routing_rows()
    write_report(
        "sticky_routing",
        "Sticky sessions: routing per strategy (20 000 sessions, 10 servers, +1 on scale-out)",
        ROUTING_HEADINGS,
        routing,
        notes=[
            "Pure core, one thread, best of 5; cookie insert and the session table move nothing: the pin is remembered."
        ],
    )
    proxy, notes = proxy_rows(requests_each)
    headings = ["path", "requests/s", "p50 ms", "p99 ms", "errors", "throughput vs our balancer"]
    notes = [
        *notes,
        f"{CLIENTS} client threads x {requests_each} sticky GET /cart each, loopback, after a warm-up.",
        "The client is Python (httpx) in this process: for HAProxy and the floor it is often the bottleneck,",
        "so their ratios understate how much faster they are. App servers and our balancer: one uvicorn process each.",
        "2-core machine shared with other work: compare ratios within one run, not across runs.",
    ]
    write_report("sticky", "Sticky sessions: our balancer beside HAProxy over loopback", headings, proxy, notes=notes)
    # One page for the reader: the routing table joins the proxy table in sticky.md and sticky.json.
    markdown = (REPORT_DIR / "sticky.md").read_text()
    routing_md = markdown_table(ROUTING_HEADINGS, routing)
    (REPORT_DIR / "sticky.md").write_text(f"{markdown}\n## Routing per strategy\n\n{routing_md}\n")
    payload = json.loads((REPORT_DIR / "sticky.json").read_text())
    payload["routing"] = {"columns": ROUTING_HEADINGS, "rows": routing}
    (REPORT_DIR / "sticky.json").write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
