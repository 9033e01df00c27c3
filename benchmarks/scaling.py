"""Progressive scaling benchmark: orders per second and p99 latency per stage, same loopback load from wrk.

Every stage is served over HTTP on loopback and receives the same bounded load from wrk: CLIENTS
connections (one wrk thread each), each placing orders (one unit, from ample stock) as its own
customer for SECONDS seconds, every answer's status checked. Orders/s, p50 and p99 are wrk's own
figures; the confirmed count is read from the system afterwards.
- stage 1: one uvicorn process, SQLite;
- stage 2: three uvicorn processes on PostgreSQL, sessions in Redis, our balancer (round robin);
  its floor is wrk straight to the three instances at once (no balancer), the same load split;
- stage 3: one uvicorn process, SQLite, modules own their tables;
- stage 4: five service processes, PostgreSQL databases, Redis Streams. The order service answers
  202 with a pending order; an order counts once its events have settled (confirmed), so after the
  load the benchmark waits (bounded) until no order is pending and divides the confirmed orders
  by the load's seconds plus the settling seconds.
Then the autoscaler: instances used over a simulated day against a fixed fleet for the peak.

Run: .venv/bin/python benchmarks/scaling.py [--seconds S] [--clients C]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Headline, write_report
from livingspec.infra.loadgen import PreparedRequest, WrkResult, merge, run_requests
from livingspec.scaling import (
    SEED_SPEC,
    Product,
    RealLoadBalancedStage,
    RealMicroservicesStage,
    ScalingError,
    daily_load,
    simulate_day,
)
from livingspec.scaling.db import SQLiteDatabase
from livingspec.scaling.infra import app_process
from livingspec.scaling.service import ShopService

CARD = "4242 4242 4242 4242"
ORDER = {"items": {"widget": 1}, "card": CARD}
JSON = {"Content-Type": "application/json"}
SETTLE_TIMEOUT_S = 120.0
MAX_PROBES = 200  # submit-to-confirmed probes during stage 4's load


def seed_args(clients: int) -> tuple[list[Product], dict[str, int], list[tuple[str, str, str]]]:
    users = [(f"c{i}", f"C{i}", f"c{i}@x.test") for i in range(clients)]
    return [Product("widget", "Widget", 500)], {"widget": 1_000_000}, users


def order_posts(cookies: list[str]) -> list[PreparedRequest]:
    """One order POST per customer session (its cookie), each to be answered 201 Created."""
    body = json.dumps(ORDER)
    return [PreparedRequest("POST", "/orders", {**JSON, "Cookie": cookie}, body, expect=201) for cookie in cookies]


def _checked(result: WrkResult, where: str) -> WrkResult:
    if result.errors:
        raise ScalingError(f"wrk saw {result.errors} errors from {where}")
    return result


def _row(stage: str, confirmed: int, per_s: float, result: WrkResult, settle_s: float = 0.0) -> dict[str, Any]:
    return {"stage": stage, "orders": confirmed, "per_s": per_s, "p50": result.p50_ms, "p99": result.p99_ms,
            "settle": settle_s, "wrk": result}  # fmt: skip


def single_process_stage(modular: bool, clients: int, seconds: int) -> dict[str, Any]:
    """Stage 1 or 3: one uvicorn process on SQLite; each wrk connection orders as its own customer."""
    path = str(Path(tempfile.mkdtemp(prefix="livingspec-bench-")) / "shop.db")
    service = ShopService(SQLiteDatabase(path), modular=modular)
    service.seed(*seed_args(clients))
    env = {"SHOP_SQLITE": path, "SHOP_MODULAR": "1" if modular else "0"}
    process = app_process("livingspec.scaling.web:create_single_instance", "single", env).start()
    try:
        cookies = []
        with httpx.Client(base_url=process.url, timeout=30) as client:
            for index in range(clients):
                reply = client.post("/login", json={"user_id": f"c{index}"})
                reply.raise_for_status()
                cookies.append("; ".join(f"{k}={v}" for k, v in reply.cookies.items()))
        before = service.counts()["orders"]
        result = _checked(run_requests(process.url + "/orders", order_posts(cookies), connections=clients,
                                       duration=seconds), process.url)  # fmt: skip
        confirmed = service.counts()["orders"] - before
    finally:
        process.stop()
        service.db.close()
    name = f"{3 if modular else 1} {'modular monolith' if modular else 'monolith'} (SQLite)"
    return _row(name, confirmed, result.requests_per_s, result)


def _floor(urls: list[str], cookies: list[str], clients: int, seconds: int) -> WrkResult:
    """wrk straight to every instance at once, the connections split among them: the balancer's floor."""
    shares = [clients // len(urls) + (i < clients % len(urls)) for i in range(len(urls))]
    shares = [max(1, share) for share in shares]
    with ThreadPoolExecutor(len(urls)) as pool:
        runs = [
            pool.submit(run_requests, url + "/orders", order_posts(cookies), connections=share, duration=seconds)
            for url, share in zip(urls, shares, strict=True)
        ]
        return _checked(merge([run.result(timeout=seconds + 60) for run in runs]), "the instances")


def balanced_stage(clients: int, seconds: int) -> list[dict[str, Any]]:
    """Stage 2 through our balancer, and its floor: wrk straight to the three instances."""
    stage = RealLoadBalancedStage()
    try:
        stage.seed(*seed_args(clients))
        for index in range(clients):  # one order each through the stage's own client: logs the customer in
            if not stage.place_order(f"c{index}", ORDER["items"], CARD).accepted:
                raise ScalingError("a warm-up order through the balancer was refused")
        cookies = ["; ".join(f"{k}={v}" for k, v in stage.sessions[f"c{i}"].items()) for i in range(clients)]
        balancer = str(stage.client.base_url).rstrip("/")
        rows = []
        before = stage.counts()["orders"]
        result = _checked(run_requests(balancer + "/orders", order_posts(cookies), connections=clients,
                                       duration=seconds), "the balancer")  # fmt: skip
        confirmed = stage.counts()["orders"] - before
        rows.append(_row("2 load-balanced monolith (3 x PostgreSQL + Redis)", confirmed, result.requests_per_s, result))
        before = stage.counts()["orders"]
        floor = _floor([p.url for p in stage.processes.values()], cookies, clients, seconds)
        confirmed = stage.counts()["orders"] - before
        rows.append(_row("2 floor: wrk straight to the 3 instances", confirmed, floor.requests_per_s, floor))
        return rows
    finally:
        stage.close()


def _pending(stage: RealMicroservicesStage, clients: int) -> int:
    orders = [stage.call("orders", "GET", f"/orders?user_id=c{i}")["orders"] for i in range(clients)]
    return sum(1 for history in orders for order in history if order["status"] == "pending")


def microservices_stage(clients: int, seconds: int) -> dict[str, Any]:
    """Stage 4: wrk submits orders for ``seconds``; confirmed orders per second of load plus settling."""
    stage = RealMicroservicesStage()
    try:
        stage.seed(*seed_args(clients))
        before = int(stage.call("orders", "GET", "/counts")["confirmed"])
        body = [json.dumps({"user_id": f"c{i}", **ORDER}) for i in range(clients)]
        posts = [PreparedRequest("POST", "/orders", JSON, b, expect=202) for b in body]
        url = stage.peers["orders"] + "/orders"
        with ThreadPoolExecutor(1) as pool:
            load = pool.submit(run_requests, url, posts, connections=clients, duration=seconds)
            probes = _probe_confirmations(stage, load)
            result = _checked(load.result(timeout=seconds + 60), "the order service")
        settling = time.perf_counter()
        while _pending(stage, clients):
            if time.perf_counter() - settling > SETTLE_TIMEOUT_S:
                raise ScalingError(f"orders still pending {SETTLE_TIMEOUT_S:.0f} s after the load")
            time.sleep(0.1)
        settle_s = time.perf_counter() - settling
        confirmed = int(stage.call("orders", "GET", "/counts")["confirmed"]) - before
    finally:
        stage.close()
    per_s = confirmed / (result.seconds + settle_s)
    row = _row("4 microservices (5 services, Redis Streams)", confirmed, per_s, result, settle_s)
    return {**row, "probes": probes}


def _probe_confirmations(stage: RealMicroservicesStage, load: Future[WrkResult]) -> list[float]:
    """Seconds from submit to confirmed of orders placed one at a time while wrk's load runs."""
    times: list[float] = []
    time.sleep(0.5)  # wrk's connections are open and ordering
    while not load.done() and len(times) < MAX_PROBES:
        start = time.perf_counter()
        outcome = stage.place_order("c0", ORDER["items"], CARD)  # submits, then polls (every 50 ms) until final
        if outcome.status != "confirmed":
            raise ScalingError(f"a probe order ended {outcome.status}: {outcome.reason}")
        times.append(time.perf_counter() - start)
    return times


def _probes(times: list[float] | None) -> str:
    if not times:
        return ""
    return f"median {statistics.median(times) * 1000:.0f}, max {max(times) * 1000:.0f} ({len(times)} probes)"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    results.sort(key=lambda r: (r["stage"][:1], "floor" in r["stage"]))
    by_stage = {r["stage"][:1] if "floor" not in r["stage"] else "floor": r for r in results}
    base = by_stage["1"]["per_s"]
    rows = [
        [r["stage"], r["orders"], f"{r['per_s']:.0f}", f"{r['per_s'] / base:.2f}", f"{r['p50']:.1f}",
         f"{r['p99']:.1f}", f"{r['settle']:.2f}" if r["settle"] else "", _probes(r.get("probes"))]
        for r in results
    ]  # fmt: skip
    day = simulate_day(SEED_SPEC, daily_load())
    used = sum(s.replicas for s in day) / 60
    peak = max(s.replicas for s in day)
    notes = [
        f"wrk: {args.clients} connections (one wrk thread each, each connection one customer), {args.seconds} s "
        "per stage, loopback only; every answer's status checked (201, or 202 for stage 4); orders/s, p50 and "
        "p99 are wrk's own figures; ratios against stage 1",
        "orders: confirmed orders the system stored during the run (read from its database afterwards); wrk's "
        "count can be a few lower (requests still in flight when it stopped)",
        "stage 4: p50/p99 are the order service's answer (202, pending); orders/s = confirmed orders / (load "
        "seconds + settling seconds), settling = from the end of the load until no order is pending (polled "
        f"every 0.1 s, at most {SETTLE_TIMEOUT_S:.0f} s); submit-to-confirmed: orders the benchmark places one "
        "at a time during the load (submit, then poll the order every 50 ms until final), counted among the "
        "confirmed orders; the monolith stages confirm within the request, so their p50/p99 are that already",
        "stage 2 floor: three wrk processes at once, straight to the three uvicorn instances (connections split "
        "as evenly as possible), summed requests/s; p50 the runs' weighted by requests, p99 the worst run's",
        f"Autoscaler over a simulated day (seed's HPA, 3-20 replicas): {used:.1f} replica-hours; a fixed fleet "
        f"sized for its peak ({peak} replicas) would use {peak * 24} ({used / (peak * 24):.0%}); "
        f"the maximum (20) all day, {20 * 24}.",
    ]
    headlines = [
        Headline(f"stage {n} confirmed orders/s (stage {n} / stage 1)", f"{by_stage[n]['per_s']:.0f}",
                 f"stage 1 {base:.0f}", by_stage[n]["per_s"] / base)
        for n in ("2", "4") if n in by_stage
    ]  # fmt: skip
    if "floor" in by_stage:
        balanced, floor = by_stage["2"]["per_s"], by_stage["floor"]["per_s"]
        headlines.append(Headline("stage 2 orders/s through the balancer (balancer / straight to the instances)",
                                  f"{balanced:.0f}", f"floor {floor:.0f}", balanced / floor))  # fmt: skip
    write_report(
        "scaling",
        "Progressive scaling: confirmed orders per second by stage",
        ["stage", "orders", "orders/s", "vs stage 1", "p50 ms", "p99 ms", "settling s", "submit-to-confirmed ms"],
        rows,
        notes,
        headlines=headlines,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="seconds of wrk load per stage")
    parser.add_argument("--clients", type=int, default=8, help="wrk connections, one customer each")
    args = parser.parse_args()
    results = [single_process_stage(modular, args.clients, args.seconds) for modular in (False, True)]
    results += balanced_stage(args.clients, args.seconds)
    results.append(microservices_stage(args.clients, args.seconds))
    report(results, args)


if __name__ == "__main__":
    main()
