"""Stage 5 on real processes: the autoscaler drives the replicas of stage 4's order service.

The order service of a real stage-4 deployment runs as 1 to n uvicorn processes behind our
balancer (round robin). Every sync period the controller reads each replica's CPU time from
/proc/<pid>/stat, turns it into utilization of the replica's CPU request, and hands the average to
the HorizontalPodAutoscaler; the count it answers is applied at once: new replicas start on the
same database and Redis consumer group (each as its own consumer) and join the balancer; replicas
scaled away leave the balancer first and then stop gracefully, finishing their work. Meanwhile a
load generator places orders at a rate that follows a profile (orders per second over time).

Nothing may be lost or doubled while replicas come and go: every order the service accepted
reaches a final status, and confirmed orders, payments and stock agree.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livingspec.scaling.behavior import Behavior, ScalingPolicy, ScalingRules
from livingspec.scaling.errors import ScalingError
from livingspec.scaling.hpa import HorizontalPodAutoscaler
from livingspec.scaling.stages import RealMicroservicesStage

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

#: Kubernetes' behaviour on a compressed clock: a sync every 2 s instead of 15 s, one replica more or
#: less per sync, and a scale-down window of 6 s instead of 300 s, so a run takes a minute, not an hour.
COMPRESSED_BEHAVIOR = Behavior(
    scale_up=ScalingRules(0, (ScalingPolicy("Pods", 1, 2),)),
    scale_down=ScalingRules(6, (ScalingPolicy("Pods", 1, 2),)),
)
SYNC_S = 2.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError as error:
        raise ScalingError(f"cannot read the CPU time of process {pid}: {error}") from None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (command) ": field 3 onwards
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class Tick:
    """One sync period: time (s since the start), offered and accepted orders per second, replicas, CPU."""

    time_s: float
    offered_rps: float
    accepted_rps: float
    replicas: int
    cpu_percent: tuple[float, ...]  # per replica, percent of one core
    utilization: float  # average, percent of the CPU request
    desired: int


@dataclass
class RunResult:
    """What a run did: the timeline, the orders accepted (ids) and those the service turned away."""

    ticks: list[Tick] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    turned_away: list[str] = field(default_factory=list)
    started: int = 0
    stopped: int = 0


def triangle(low: float, high: float, rise_s: float, fall_s: float) -> Callable[[float], float]:
    """A load profile (orders per second at t seconds): low, rising to high over rise_s, back to low over fall_s."""

    def rate(t: float) -> float:
        if t < rise_s:
            return low + (high - low) * t / rise_s
        if t < rise_s + fall_s:
            return high - (high - low) * (t - rise_s) / fall_s
        return low

    return rate


class ElasticOrderService:
    """The order service of a real stage-4 deployment as replicas behind a balancer, scaled on demand."""

    def __init__(self, stage: RealMicroservicesStage, cpu_request_cores: float = 0.1) -> None:
        from livingspec.sticky import Balancer

        self.stage = stage
        self.cpu_request_cores = cpu_request_cores
        self.replicas: list[Any] = [stage.processes["orders"]]
        self.balancer = Balancer({"orders-1": self.replicas[0].url}, strategy="round robin", health_interval=0.25)
        self.server = self.balancer.serve().start()
        stage.peers["orders"] = self.server.url  # the driver now reaches the order service through the balancer
        self._next = 2
        self._lock = threading.Lock()

    def scale_to(self, count: int) -> tuple[int, int]:
        """Start or stop replicas until ``count`` run; return (started, stopped)."""
        from livingspec.scaling.infra import app_process

        started = stopped = 0
        while len(self.replicas) < count:
            template = self.replicas[0]
            env = {k: template.env[k] for k in template.env if k.startswith("SHOP_")}
            env["SHOP_REPLICA"] = str(self._next)
            process = app_process("livingspec.scaling.microservices:create_service", f"orders-{self._next}", env)
            process.start()
            self.balancer.add_backend(process.name, process.url)
            with self._lock:
                self.replicas.append(process)
            self._next += 1
            started += 1
        while len(self.replicas) > max(count, 1):
            with self._lock:
                process = self.replicas.pop()
            self.balancer.remove_backend(process.name)  # no new requests, then a graceful stop
            process.stop()
            stopped += 1
        return started, stopped

    def cpu_times(self) -> list[float]:
        with self._lock:
            return [cpu_seconds(p.pid) for p in self.replicas]

    def run(
        self,
        hpa: HorizontalPodAutoscaler,
        profile: Callable[[float], float],
        place: Callable[[], str],
        duration_s: float,
        sync_s: float = SYNC_S,
        workers: int = 6,
    ) -> RunResult:
        """Offer load by ``profile`` for ``duration_s`` while the autoscaler syncs every ``sync_s`` seconds."""
        result = RunResult()
        stop = threading.Event()
        offered = [0]
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load") as pool:
            pending: list[Future[str]] = []
            loader = threading.Thread(
                target=self._offer, args=(profile, place, pool, pending, offered, stop, start, duration_s), daemon=True
            )
            loader.start()
            try:
                self._sync_loop(hpa, result, offered, start, duration_s, sync_s)
            finally:
                stop.set()
                loader.join(timeout=10)
            for future in pending:
                error = future.exception(timeout=60)
                if error is None:
                    result.accepted.append(future.result())
                else:
                    result.turned_away.append(str(error))
        return result

    def _sync_loop(
        self,
        hpa: HorizontalPodAutoscaler,
        result: RunResult,
        offered: list[int],
        start: float,
        duration_s: float,
        sync_s: float,
    ) -> None:
        last_cpu, last_at, last_offered = self.cpu_times(), time.monotonic(), 0
        accepted_before = self._accepted_count()
        while (now := time.monotonic()) - start < duration_s:
            time.sleep(max(0.0, sync_s - (now - last_at)))
            cpu, at = self.cpu_times(), time.monotonic()
            elapsed = at - last_at
            per_replica = tuple(100 * (c - b) / elapsed for c, b in zip(cpu, last_cpu, strict=False))
            utilization = sum(per_replica) / (len(per_replica) * self.cpu_request_cores)
            replicas = len(per_replica)
            desired = hpa.reconcile(at - start, replicas, {"cpu": utilization})
            accepted_now = self._accepted_count()
            result.ticks.append(
                Tick(
                    round(at - start, 2),
                    (offered[0] - last_offered) / elapsed,
                    (accepted_now - accepted_before) / elapsed,
                    replicas,
                    per_replica,
                    round(utilization, 1),
                    desired,
                )
            )
            started, stopped = self.scale_to(desired)
            result.started += started
            result.stopped += stopped
            # The next period starts after the scaling: its rates and CPU count from here.
            last_cpu, last_at, last_offered = self.cpu_times(), time.monotonic(), offered[0]
            accepted_before = self._accepted_count()

    def _accepted_count(self) -> int:
        return int(self.stage.call("orders", "GET", "/counts")["orders"])

    @staticmethod
    def _offer(
        profile: Callable[[float], float],
        place: Callable[[], str],
        pool: ThreadPoolExecutor,
        pending: list[Future[str]],
        offered: list[int],
        stop: threading.Event,
        start: float,
        duration_s: float,
    ) -> None:
        """Submit orders at the profile's rate (at most one per 10 ms; the pool bounds the concurrency)."""
        next_at = start
        while not stop.is_set() and (now := time.monotonic()) - start < duration_s:
            rate = profile(now - start)
            if rate <= 0:
                stop.wait(0.1)
                next_at = time.monotonic()
                continue
            pending.append(pool.submit(place))
            offered[0] += 1
            next_at = max(next_at + 1 / rate, now + 0.01)
            stop.wait(max(0.0, next_at - time.monotonic()))

    def close(self) -> None:
        """Stop the extra replicas and the balancer (the stage stops the first replica)."""
        while len(self.replicas) > 1:
            process = self.replicas.pop()
            self.balancer.remove_backend(process.name)
            process.stop()
        self.server.stop()


def draw_run(figure: Any, ticks: list[Tick], cpu_request_cores: float) -> None:
    """Draw a run on a matplotlib figure: offered load, replica count and each replica's CPU, over time."""
    load_axes, cpu_axes = figure.subplots(2, 1, sharex=True)
    times = [t.time_s for t in ticks]
    load_axes.plot(times, [t.offered_rps for t in ticks], color="#999999", label="orders offered per second")
    load_axes.set_ylabel("orders per second")
    replica_axes = load_axes.twinx()
    replica_axes.step(times, [t.replicas for t in ticks], color="#c44e52", where="post", label="replicas")
    replica_axes.set_ylabel("replicas")
    replica_axes.set_ylim(0, max(t.replicas for t in ticks) + 1)
    load_axes.legend(loc="upper left")
    replica_axes.legend(loc="upper right")
    slots = max(len(t.cpu_percent) for t in ticks)
    for slot in range(slots):
        points = [(t.time_s, t.cpu_percent[slot]) for t in ticks if slot < len(t.cpu_percent)]
        cpu_axes.plot([p[0] for p in points], [p[1] for p in points], marker=".", label=f"replica {slot + 1}")
    cpu_axes.axhline(100 * cpu_request_cores, color="#555555", linestyle="--", label="CPU request")
    cpu_axes.set_ylabel("CPU, % of one core")
    cpu_axes.set_xlabel("seconds since the load began")
    cpu_axes.legend(loc="upper right", fontsize="small")
