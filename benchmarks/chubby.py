"""Chubby benchmark: simulation speed, fault schedules, failover time (virtual) beside real etcd's.

Peers measured in the same run: simpy's bare event loop (the ceiling for a simpy-based simulation)
and a real etcd cluster's leader re-election on loopback. Run: .venv/bin/python benchmarks/chubby.py
[--schedules N].
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, write_report
from livingspec.chubby import ChubbyCell, ChubbyConfig
from livingspec.chubby.faults import run_schedule


def simulated_run() -> int:
    cell = ChubbyCell(seed=1)
    for name in ("A", "B", "C"):
        cell.add_client(name)
    cell.run_for(300)
    return cell.sim.events_processed


def bare_simpy(events: int) -> int:
    env = simpy.Environment()
    for i in range(events):
        env.timeout(i * 0.001)
    env.run()
    return events


def failover_times(seeds: int) -> list[float]:
    times = []
    for seed in range(seeds):
        cell = ChubbyCell(seed=seed)
        cell.wait_for_master()
        cell.run_for(2.0)
        start = cell.now()
        cell.fail_master()
        cell.wait_for_master()
        times.append(cell.now() - start)
    return times


def etcd_reelection(trials: int) -> list[float] | None:
    try:
        from livingspec.chubby.etcd import EtcdCell

        cell = EtcdCell(3)
    except Exception:
        return None
    times = []
    try:
        cell.start()
        for _ in range(trials):
            cell.wait_for_master()
            start = time.monotonic()
            victim = cell.fail_master()
            cell.wait_for_master(within=20)
            times.append(time.monotonic() - start)
            cell.restart(victim)
            time.sleep(1.0)
    finally:
        cell.close()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    args = parser.parse_args()
    sim_time, events = best_of(simulated_run, repeat=3)
    bare_time, _ = best_of(lambda: bare_simpy(events), repeat=3)
    start = time.perf_counter()
    failed = 0
    for seed in range(args.schedules):
        try:
            run_schedule(seed)
        except Exception:
            failed += 1
    schedules_wall = time.perf_counter() - start
    failovers = failover_times(200)
    bound = ChubbyConfig().failover_bound()
    etcd = etcd_reelection(3)
    rows = [
        [
            "simulated events per second",
            f"{events / sim_time:,.0f}",
            f"bare simpy: {events / bare_time:,.0f}",
            f"{bare_time / sim_time:.3f}",
        ],
        [
            f"wall time for {args.schedules} fault schedules (s)",
            f"{schedules_wall:.2f}",
            f"{failed} schedule(s) failed a check",
            "-",
        ],
        [
            "failover p50 (virtual s)",
            f"{statistics.median(failovers):.3f}",
            f"bound {bound:.2f}",
            f"{statistics.median(failovers) / bound:.3f}",
        ],
        [
            "failover p99 (virtual s)",
            f"{pct(failovers, 0.99):.3f}",
            f"bound {bound:.2f}",
            f"{pct(failovers, 0.99) / bound:.3f}",
        ],
    ]
    if etcd:
        rows.append(
            [
                "etcd leader re-election, 3 members (wall s, median)",
                f"{statistics.median(etcd):.3f}",
                f"simulated p50 {statistics.median(failovers):.3f} virtual s",
                f"{statistics.median(failovers) / statistics.median(etcd):.1f}",
            ]
        )
    else:
        rows.append(["etcd leader re-election", "etcd not installed", "-", "-"])
    write_report(
        "chubby",
        "Chubby: simulated cell and real etcd",
        ["measure", "value", "peer / reference", "ratio"],
        rows,
        notes=[
            "simulated failover = crash of the master to a new serving master, master lease 6 s, 200 seeds",
            "etcd runs with --heartbeat-interval 50 --election-timeout 500 (ms); the simulation with a 6 s lease",
        ],
    )


if __name__ == "__main__":
    main()
