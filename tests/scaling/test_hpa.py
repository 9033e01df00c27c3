"""The HorizontalPodAutoscaler algorithm against the cases the Kubernetes documentation gives."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.scaling import (
    SEED_SPEC,
    AutoscalerConfigError,
    AutoscalerSpec,
    HorizontalPodAutoscaler,
    MetricReadingError,
    MetricTarget,
    desired_replicas,
    proposal,
)

CPU_ONLY = AutoscalerSpec(1, 100, (MetricTarget("cpu", 50.0),))


@pytest.mark.parametrize(
    ("current", "value", "target", "expected", "case"),
    [
        (4, 200, 100, 8, "current 200m, desired 100m: the replicas double"),
        (4, 50, 100, 2, "current 50m, desired 100m: the replicas halve"),
        (4, 109, 100, 4, "ratio 1.09 is within the 0.1 tolerance: no change"),
        (4, 91, 100, 4, "ratio 0.91 is within the tolerance: no change"),
        (4, 111, 100, 5, "ratio 1.11 is outside the tolerance: ceil(4.44) = 5"),
        (3, 101, 100, 3, "1 % over target: no change"),
        (1, 1000, 100, 10, "one replica at ten times the target: 10"),
    ],
)
def test_one_metric_proposal(current, value, target, expected, case):
    assert proposal(current, value, target) == expected, case


def test_several_metrics_take_the_largest_proposal():
    assert desired_replicas(SEED_SPEC, 4, {"cpu": 100, "memory": 90}) == 6  # cpu: 6, memory: 5
    assert desired_replicas(SEED_SPEC, 4, {"cpu": 80, "memory": 160}) == 8  # cpu: 5, memory: 8


def test_bounds_clamp_the_result():
    assert desired_replicas(SEED_SPEC, 10, {"cpu": 350, "memory": 10}) == 20
    assert desired_replicas(SEED_SPEC, 3, {"cpu": 1, "memory": 1}) == 3


def test_scale_down_uses_the_highest_recommendation_of_the_window():
    hpa = HorizontalPodAutoscaler(CPU_ONLY)
    assert hpa.reconcile(0, 10, {"cpu": 50}) == 10
    assert hpa.reconcile(60, 10, {"cpu": 25}) == 10  # recommends 5, but 10 was recommended 60 s ago
    assert hpa.reconcile(299, 10, {"cpu": 25}) == 10
    assert hpa.reconcile(301, 10, {"cpu": 25}) == 5  # the recommendation of t=0 has left the window


def test_scale_up_is_immediate():
    hpa = HorizontalPodAutoscaler(CPU_ONLY)
    hpa.reconcile(0, 4, {"cpu": 25})
    assert hpa.reconcile(15, 4, {"cpu": 100}) == 8


@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        ({"min_replicas": 0, "max_replicas": 3, "metrics": (MetricTarget("cpu", 70),)}, "minReplicas"),
        ({"min_replicas": 5, "max_replicas": 3, "metrics": (MetricTarget("cpu", 70),)}, "maxReplicas"),
        ({"min_replicas": 1, "max_replicas": 3, "metrics": ()}, "at least one metric"),
        ({"min_replicas": 1, "max_replicas": 3, "metrics": (MetricTarget("cpu", 0),)}, "must be positive"),
    ],
)
def test_invalid_specs_are_refused(kwargs, detail):
    with pytest.raises(AutoscalerConfigError, match=detail):
        AutoscalerSpec(**kwargs)


def test_cpu_alone_scales_up_but_a_missing_memory_reading_blocks_a_scale_down():
    assert desired_replicas(SEED_SPEC, 3, {"cpu": 140}) == 6
    assert desired_replicas(SEED_SPEC, 10, {"cpu": 35}) == 10  # memory might need the 10: no scale-down
    assert desired_replicas(SEED_SPEC, 10, {"cpu": 35, "memory": 40}) == 5


def test_no_reading_at_all_or_an_unknown_metric_is_an_error():
    with pytest.raises(MetricReadingError, match="cpu, memory"):
        desired_replicas(SEED_SPEC, 3, {})
    with pytest.raises(MetricReadingError, match="disk"):
        desired_replicas(SEED_SPEC, 3, {"cpu": 50, "disk": 10})


@given(st.integers(1, 50), st.floats(0, 1000), st.floats(0, 1000))
def test_result_is_within_bounds_and_grows_with_load(current, cpu, extra):
    low = desired_replicas(SEED_SPEC, current, {"cpu": cpu, "memory": 10})
    high = desired_replicas(SEED_SPEC, current, {"cpu": cpu + extra, "memory": 10})
    assert 3 <= low <= high <= 20
