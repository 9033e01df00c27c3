"""Progressive scaling benchmark: orders per second and p99 latency per stage, same loopback load.

Every stage is served over HTTP on loopback and receives the same bounded load: CLIENTS
concurrent customers placing ORDERS orders in all (one unit each, from ample stock). An order
counts when it is confirmed: for stage 4 that means after the events have settled (the client
polls the order), which is what a customer waits for.
- stage 1: one uvicorn process, SQLite;
- stage 2: three uvicorn processes on PostgreSQL, sessions in Redis, our balancer (round robin);
- stage 3: one uvicorn process, SQLite, modules own their tables;
- stage 4: five service processes, PostgreSQL databases, Redis Streams.
Then the autoscaler: instances used over a simulated day against a fixed fleet for the peak.

Run: .venv/bin/python benchmarks/scaling.py [--orders N] [--clients C]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_report
from livingspec.scaling import (
    SEED_SPEC,
    Product,
    RealLoadBalancedStage,
    RealMicroservicesStage,
    daily_load,
    simulate_day,
)
from livingspec.scaling.db import SQLiteDatabase
from livingspec.scaling.infra import app_process
from livingspec.scaling.service import ShopService

CARD = "4242 4242 4242 4242"


def seed_args(clients: int) -> tuple[list[Product], dict[str, int], list[tuple[str, str, str]]]:
    users = [(f"c{i}", f"C{i}", f"c{i}@x.test") for i in range(clients)]
    return [Product("widget", "Widget", 500)], {"widget": 1_000_000}, users


def single_process(modular: bool, clients: int):
    path = str(Path(tempfile.mkdtemp(prefix="livingspec-bench-")) / "shop.db")
    ShopService(SQLiteDatabase(path), modular=modular).seed(*seed_args(clients))
    env = {"SHOP_SQLITE": path, "SHOP_MODULAR": "1" if modular else "0"}
    process = app_process("livingspec.scaling.web:create_single_instance", "single", env).start()
    return process


def run_http_monolith(url: str, orders: int, clients: int) -> list[float]:
    def customer(index: int) -> list[float]:
        latencies = []
        with httpx.Client(base_url=url, timeout=30) as client:
            client.post("/login", json={"user_id": f"c{index}"}).raise_for_status()
            for _ in range(orders // clients):
                start = time.perf_counter()
                reply = client.post("/orders", json={"items": {"widget": 1}, "card": CARD})
                assert reply.status_code == 201, reply.text
                latencies.append(time.perf_counter() - start)
        return latencies

    with ThreadPoolExecutor(clients) as pool:
        return [lat for part in pool.map(customer, range(clients)) for lat in part]


def run_stage_api(stage, orders: int, clients: int) -> list[float]:
    def customer(index: int) -> list[float]:
        latencies = []
        for _ in range(orders // clients):
            start = time.perf_counter()
            outcome = stage.place_order(f"c{index}", {"widget": 1}, CARD)
            assert outcome.accepted, outcome
            latencies.append(time.perf_counter() - start)
        return latencies

    with ThreadPoolExecutor(clients) as pool:
        return [lat for part in pool.map(customer, range(clients)) for lat in part]


def measure(name: str, run) -> dict:
    start = time.perf_counter()
    latencies = run()
    elapsed = time.perf_counter() - start
    return {
        "stage": name,
        "orders": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50": np.percentile(latencies, 50),
        "p99": np.percentile(latencies, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    results = []
    for number, modular in ((1, False), (3, True)):
        process = single_process(modular, args.clients)
        try:
            results.append(
                measure(
                    f"{number} {'modular monolith' if modular else 'monolith'} (SQLite)",
                    lambda u=process.url: run_http_monolith(u, args.orders, args.clients),
                )
            )
        finally:
            process.stop()
    stage2 = RealLoadBalancedStage()
    try:
        stage2.seed(*seed_args(args.clients))
        results.append(
            measure(
                "2 load-balanced monolith (3 x PostgreSQL + Redis)",
                lambda: run_stage_api(stage2, args.orders, args.clients),
            )
        )
    finally:
        stage2.close()
    stage4 = RealMicroservicesStage()
    try:
        stage4.seed(*seed_args(args.clients))
        results.append(
            measure(
                "4 microservices (5 services, Redis Streams)", lambda: run_stage_api(stage4, args.orders, args.clients)
            )
        )
    finally:
        stage4.close()
    results.sort(key=lambda r: r["stage"])
    base = results[0]["per_s"]
    rows = [
        [
            r["stage"],
            r["orders"],
            f"{r['per_s']:.0f}",
            f"{r['per_s'] / base:.2f}",
            f"{r['p50'] * 1000:.1f}",
            f"{r['p99'] * 1000:.1f}",
        ]
        for r in results
    ]
    day = simulate_day(SEED_SPEC, daily_load())
    used = sum(s.replicas for s in day) / 60
    peak = max(s.replicas for s in day)
    notes = [
        f"{args.clients} concurrent customers, {args.orders} orders per stage, loopback only; ratios against stage 1.",
        "Stage 4 latency is submit-to-confirmed (events settled), polled by the client.",
        f"Autoscaler over a simulated day (seed's HPA, 3-20 replicas): {used:.1f} replica-hours; a fixed fleet "
        f"sized for its peak ({peak} replicas) would use {peak * 24} ({used / (peak * 24):.0%}); "
        f"the maximum (20) all day, {20 * 24}.",
    ]
    write_report(
        "scaling",
        "Progressive scaling: confirmed orders per second by stage",
        ["stage", "orders", "orders/s", "vs stage 1", "p50 ms", "p99 ms"],
        rows,
        notes,
    )


if __name__ == "__main__":
    main()
