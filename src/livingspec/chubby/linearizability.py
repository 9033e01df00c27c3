"""A Wing-Gong linearizability checker for one register (a Chubby file's contents, an etcd key).

Operations: write, read, and compare-and-set (``cas``: set ``value`` if the register holds
``expected``; ``ok`` says whether it did; a cas that never answered may or may not have happened).

A history is a list of operations with invocation and response times (``inf`` when the call never
answered: it may or may not have taken effect). The history is linearizable when some order of the
operations respects real time (an operation that returned before another was invoked comes first)
and replays correctly on a register: each read returns the latest write before it. The search
(Wing & Gong 1993, with Lowe's memoisation of visited (done-set, value) states) tries, at each point,
every operation that no pending operation must precede.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One call on the register: a write of ``value`` or a read that returned ``value``."""

    client: str
    kind: str  # "write", "read" or "cas"
    value: str
    invoked: float
    returned: float = math.inf  # inf: never answered (a write or cas that may still have happened)
    expected: str | None = None  # cas only: the value it compared against
    ok: bool = True  # cas only: whether the comparison held (and so the value was set)


def is_linearizable(history: list[Operation], initial: str = "") -> bool:
    """Whether the register history has a linearization (see the module docstring)."""
    ops = [op for op in history if not (op.kind == "read" and math.isinf(op.returned))]
    n = len(ops)
    seen: set[tuple[int, str]] = set()

    def search(done: int, value: str) -> bool:
        if done == (1 << n) - 1:
            return True
        if (done, value) in seen:
            return False
        seen.add((done, value))
        pending = [i for i in range(n) if not done >> i & 1]
        horizon = min(ops[i].returned for i in pending)  # nobody may go after an op that returned earlier
        for i in pending:
            op = ops[i]
            if op.invoked > horizon:
                continue
            after = _apply(op, value)
            if after is not None and search(done | 1 << i, after):
                return True
        # an unanswered write or cas may never have happened: drop it
        for i in pending:
            if ops[i].kind != "read" and math.isinf(ops[i].returned) and search(done | 1 << i, value):
                return True
        return False

    return search(0, initial)


def _apply(op: Operation, value: str) -> str | None:
    """The register's value after ``op`` runs on ``value``, or None when ``op`` could not have seen it."""
    if op.kind == "write":
        return op.value
    if op.kind == "read":
        return value if op.value == value else None
    unanswered = math.isinf(op.returned)
    if value == op.expected:
        return op.value if op.ok or unanswered else None
    return value if not op.ok and not unanswered else None
