"""Jepsen-style histories on a real etcd cluster: clients read, write and compare-and-set one key
while a seeded nemesis kills, pauses and restarts members; the linearizability checker judges the history.

``run_history(seed)`` starts a 3-member cluster on loopback, lets ``clients`` threads run random
operations for ``seconds`` of wall-clock time against random members' gateways, and applies the
seed's fault schedule: one member at a time is killed (SIGKILL, restarted later on its data folder)
or paused (SIGSTOP, then SIGCONT). Each operation is recorded with its invocation and response
times. A call that could not have reached etcd (connection refused) is left out; a write or
compare-and-set that timed out or got an error is *indeterminate* (``returned = inf``): it may or
may not have happened, which the checker allows for. A read that failed is left out.

The fault schedule and every client's choice of operations come from the seed, so a seed replays
the same schedule (thread timing still varies: it is a real system). Replay one:
``python -m livingspec.chubby.jepsen --seed N``.
"""

from __future__ import annotations

import argparse
import base64
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from livingspec.chubby.linearizability import Operation, is_linearizable
from livingspec.infra.etcd import EtcdCluster, b64

KEY = "/jepsen/register"
INITIAL = "0"
CALL_TIMEOUT = 1.0  # seconds a client waits for one call


@dataclass
class JepsenResult:
    """One history: the faults applied, the operations recorded, and the checker's verdict."""

    seed: int
    faults: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, what)
    history: list[Operation] = field(default_factory=list)
    linearizable: bool = False

    @property
    def indeterminate(self) -> int:
        """Writes and compare-and-sets with no answer."""
        return sum(1 for op in self.history if math.isinf(op.returned))

    def records(self) -> list[dict[str, Any]]:
        """The history as rows, in invocation order (a timeline for the report)."""
        rows = []
        for op in sorted(self.history, key=lambda o: o.invoked):
            what = f"cas {op.expected}->{op.value} ({'ok' if op.ok else 'failed'})" if op.kind == "cas" else op.kind
            returned = "no answer" if math.isinf(op.returned) else round(op.returned, 3)
            rows.append({"client": op.client, "op": what, "value": op.value, "invoked (s)": round(op.invoked, 3),
                         "returned (s)": returned})  # fmt: skip
        return rows


def fault_schedule(seed: int, seconds: float, members: list[str]) -> list[tuple[float, str, str]]:
    """The seed's faults: (at seconds, action, member); one member faulted at a time, healed at the end."""
    rng = random.Random(seed)
    plan: list[tuple[float, str, str]] = []
    at = rng.uniform(0.3, 1.0)
    while at < seconds - 0.5:
        victim = rng.choice(members)
        fault, heal = rng.choice([("kill", "restart"), ("pause", "resume")])
        plan.append((at, fault, victim))
        at += rng.uniform(0.5, 1.5)
        plan.append((min(at, seconds - 0.2), heal, victim))
        at += rng.uniform(0.3, 1.0)
    return plan


class _Client(threading.Thread):
    """One client: seeded random reads, writes and compare-and-sets until the deadline."""

    def __init__(self, index: int, seed: int, cluster: EtcdCluster, start: float, deadline: float) -> None:
        super().__init__(name=f"jepsen-client-{index}", daemon=True)
        self.name_, self.rng = f"c{index}", random.Random(seed * 1000 + index)
        self.urls = [member.url for member in cluster.members.values()]
        self.start_at, self.deadline = start, deadline
        self.history: list[Operation] = []
        self.last = INITIAL
        self.count = 0

    def run(self) -> None:
        with httpx.Client(timeout=CALL_TIMEOUT) as http:
            while time.monotonic() < self.deadline:
                self._one(http)
                time.sleep(self.rng.uniform(0.02, 0.15))

    def _one(self, http: httpx.Client) -> None:
        url = self.rng.choice(self.urls)
        kind = self.rng.choice(["read", "read", "write", "cas"])
        self.count += 1
        value = f"{self.name_}-{self.count}"
        expected = self.last
        invoked = time.monotonic() - self.start_at
        try:
            answer = self._call(http, url, kind, value, expected)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            return  # never reached etcd: it did not happen
        except (httpx.HTTPError, ValueError):
            answer = None
        returned = time.monotonic() - self.start_at
        if kind == "read":
            if answer is not None:
                self.last = str(answer)
                self.history.append(Operation(self.name_, "read", self.last, invoked, returned))
            return
        if answer is None:  # indeterminate: it may have happened
            self.history.append(
                Operation(self.name_, kind, value, invoked, math.inf, expected if kind == "cas" else None)
            )
            return
        ok = bool(answer)
        if ok:
            self.last = value
        cas_expected = expected if kind == "cas" else None
        self.history.append(Operation(self.name_, kind, value, invoked, returned, cas_expected, ok))

    @staticmethod
    def _call(http: httpx.Client, url: str, kind: str, value: str, expected: str) -> Any:
        """Read: the value. Write: True. Cas: whether it set the value. None when etcd answered an error."""
        if kind == "read":
            response = http.post(url + "/v3/kv/range", json={"key": b64(KEY)})
            if response.status_code != 200:
                return None
            kvs = response.json().get("kvs") or []
            return base64.b64decode(kvs[0]["value"]).decode() if kvs else INITIAL
        put = {"requestPut": {"key": b64(KEY), "value": b64(value)}}
        if kind == "write":
            response = http.post(url + "/v3/kv/put", json=put["requestPut"])
            return True if response.status_code == 200 else None
        compare = [{"key": b64(KEY), "target": "VALUE", "result": "EQUAL", "value": b64(expected)}]
        response = http.post(url + "/v3/kv/txn", json={"compare": compare, "success": [put]})
        return bool(response.json().get("succeeded", False)) if response.status_code == 200 else None


def _nemesis(
    cluster: EtcdCluster, plan: list[tuple[float, str, str]], start: float, log: list[tuple[float, str]]
) -> None:
    for at, action, member in plan:
        time.sleep(max(0.0, start + at - time.monotonic()))
        getattr(cluster, action)(member)
        log.append((round(time.monotonic() - start, 3), f"{action} {member}"))


def run_history(seed: int, seconds: float = 6.0, clients: int = 3) -> JepsenResult:
    """Run one bounded history under the seed's faults on a fresh 3-member cluster, and check it."""
    cluster = EtcdCluster(3)
    result = JepsenResult(seed)
    try:
        cluster.start()
        cluster.post("/v3/kv/put", {"key": b64(KEY), "value": b64(INITIAL)}, timeout=10.0)
        start = time.monotonic()
        plan = fault_schedule(seed, seconds, cluster.names)
        threads = [_Client(i, seed, cluster, start, start + seconds) for i in range(clients)]
        for thread in threads:
            thread.start()
        _nemesis(cluster, plan, start, result.faults)
        for thread in threads:
            thread.join(timeout=seconds + 5 * CALL_TIMEOUT)
        result.history = [op for thread in threads for op in thread.history]
    finally:
        for name in cluster.names:  # a paused member must be resumed before it can be stopped
            cluster.resume(name)
        cluster.close()
    result.linearizable = is_linearizable(result.history, initial=INITIAL)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    result = run_history(args.seed, args.seconds)
    print(f"seed {args.seed}: {len(result.history)} operations ({result.indeterminate} indeterminate), "
          f"faults {result.faults}; linearizable: {result.linearizable}")  # fmt: skip
    return 0 if result.linearizable else 1


if __name__ == "__main__":
    raise SystemExit(main())
