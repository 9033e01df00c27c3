"""Stage 5's pieces that need no servers: CPU time from /proc and the load profile.

The run itself (replicas started and stopped behind the balancer under load) is the real-target
scenario "Orders keep flowing while replicas come and go" in features/scaling/autoscaler.feature.
"""

import os
import time

import pytest

from livingspec.scaling import ScalingError
from livingspec.scaling.elastic import cpu_seconds, triangle


def test_cpu_seconds_grow_while_a_process_computes():
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # burn 0.2 s of CPU (bounded by CPU time, not wall time)
        sum(range(1000))
    after = cpu_seconds(os.getpid())
    assert after - before >= 0.1, (before, after)


def test_cpu_seconds_of_a_process_that_does_not_exist_is_a_scaling_error():
    with pytest.raises(ScalingError, match="cannot read the CPU time"):
        cpu_seconds(2**22 + 12345)  # above the kernel's largest pid


def test_the_triangle_profile_rises_falls_and_stays_low():
    rate = triangle(1, 31, 10, 20)
    assert [rate(t) for t in (0, 5, 10, 20, 30, 45)] == [1, 16, 31, 16, 1, 1]
