"""Jepsen-style histories on real etcd: reads, writes and compare-and-set under kills and pauses, checked.

CI (``CI=true``) checks 20 fault schedules, a local run 2; ``CHUBBY_JEPSEN_SCHEDULES=N`` sets the
count. A failing seed prints its faults, its history and the command that replays the schedule.
"""

import math
import os
import shutil

import pytest

from livingspec.chubby.jepsen import fault_schedule, run_history
from livingspec.chubby.linearizability import is_linearizable
from livingspec.runner.targets import missing_systems_fail

SCHEDULES = int(os.environ.get("CHUBBY_JEPSEN_SCHEDULES", "20" if os.environ.get("CI") else "2"))
needs_etcd = pytest.mark.skipif(
    shutil.which("etcd") is None and not missing_systems_fail(), reason="etcd is not installed"
)


@needs_etcd
@pytest.mark.parametrize("seed", range(SCHEDULES))
def test_a_history_under_faults_is_linearizable(seed):
    result = run_history(seed)
    completed = [op for op in result.history if not math.isinf(op.returned)]
    assert len(completed) >= 20, f"seed {seed}: only {len(completed)} operations completed: {result.faults}"
    assert result.linearizable, (
        f"seed {seed}: history not linearizable under faults {result.faults}\n"
        + "\n".join(str(row) for row in result.records())
        + f"\nreplay: .venv/bin/python -m livingspec.chubby.jepsen --seed {seed}"
    )


def test_the_fault_schedule_is_the_seeds_and_heals_every_fault():
    plan = fault_schedule(5, 6.0, ["a", "b", "c"])
    assert plan == fault_schedule(5, 6.0, ["a", "b", "c"])
    assert plan != fault_schedule(6, 6.0, ["a", "b", "c"])
    faulted = set()
    for _, action, member in plan:
        if action in ("kill", "pause"):
            assert not faulted, "one member at a time"
            faulted.add(member)
        else:
            faulted.discard(member)
    assert not faulted and all(at < 6.0 for at, _, _ in plan)


def test_the_checker_would_catch_a_lost_acknowledged_write():
    """Mutation check: the same kind of history, with a read that misses a completed write, is refused."""
    from livingspec.chubby.linearizability import Operation as Op

    history = [Op("c0", "write", "c0-1", 0.0, 0.1), Op("c1", "cas", "c1-1", 0.2, 0.3, expected="0", ok=True)]
    assert not is_linearizable(history, initial="0")
