"""The exact Kubernetes autoscaler: bad readings refused, behaviour limits, and properties over random inputs.

The case-by-case figures of Kubernetes' replica_calculator_test.go and horizontal_test.go are the
Scenario Outlines of features/scaling/kubernetes_replicas.feature (run here through pytest-bdd too).
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.scaling import (
    SEED_SPEC,
    AutoscalerConfigError,
    AutoscalerSpec,
    BehaviorController,
    HorizontalPodAutoscaler,
    MetricReadingError,
    MetricTarget,
    MissingRequestError,
    Pod,
    ReplicaCalculator,
    ReplicaCountError,
    Sample,
    ScalingError,
    ScalingPolicy,
    ScalingRules,
    desired_replicas,
    pods_from_text,
    proposal,
)
from livingspec.scaling.behavior import events_from_text, rules_from_text

CPU_ONLY = AutoscalerSpec(1, 20, (MetricTarget("cpu", 50.0),))
BAD_READINGS = [math.nan, math.inf, -math.inf, -1.0, -0.5]


@pytest.mark.parametrize("reading", BAD_READINGS)
def test_a_bad_reading_is_a_metric_reading_error(reading):
    # Before: NaN and infinity raised a plain ValueError from math.ceil; negative readings were used.
    with pytest.raises(MetricReadingError, match="cpu utilization"):
        desired_replicas(SEED_SPEC, 3, {"cpu": reading, "memory": 50})
    with pytest.raises(MetricReadingError):
        proposal(3, reading, 70)


@pytest.mark.parametrize("replicas", [0, -1, 2.5, True])
def test_a_replica_count_that_is_not_a_positive_whole_number_is_refused(replicas):
    # Before: zero and negative counts were accepted silently (0 x anything = 0 replicas).
    with pytest.raises(ReplicaCountError, match="replica count"):
        desired_replicas(SEED_SPEC, replicas, {"cpu": 50, "memory": 50})
    with pytest.raises(ReplicaCountError):
        HorizontalPodAutoscaler(SEED_SPEC).reconcile(0, replicas, {"cpu": 50, "memory": 50})


def test_a_zero_or_infinite_target_is_refused():
    with pytest.raises(AutoscalerConfigError, match="positive"):
        AutoscalerSpec(1, 3, (MetricTarget("cpu", math.inf),))
    with pytest.raises(AutoscalerConfigError, match="positive"):
        AutoscalerSpec(1, 3, (MetricTarget("cpu", math.nan),))
    with pytest.raises(AutoscalerConfigError):
        proposal(3, 50, 0)


def test_the_default_behaviour_caps_a_scale_up_from_one_replica():
    # Before: from 1 replica at 500 % against a 50 % target the autoscaler asked for 10 at once.
    hpa = HorizontalPodAutoscaler(CPU_ONLY)
    assert hpa.reconcile(0, 1, {"cpu": 500}) == 5  # max(100 % of 1, 4 pods) added
    assert hpa.last is not None and hpa.last.reason == "ScaleUpLimit"
    assert hpa.reconcile(15, 5, {"cpu": 100}) == 10  # the event of t=0 is 15 s old: it no longer counts
    assert hpa.reconcile(20, 10, {"cpu": 100}) == 10  # 5 added 5 s ago: the period started at 5, 100 % of 5 is 10
    assert hpa.last is not None and hpa.last.reason == "ScaleUpLimit"


def test_utilization_is_rounded_down_to_a_whole_percent():
    # Kubernetes computes int32(100 x usage / requests): 76.9 % is 76 %, within 10 % of 70 %.
    assert desired_replicas(SEED_SPEC, 10, {"cpu": 76.9, "memory": 50}) == 10
    assert desired_replicas(SEED_SPEC, 10, {"cpu": 77, "memory": 50}) == 11


def test_a_pod_sample_that_is_negative_or_not_a_number_is_refused():
    calc = ReplicaCalculator()
    pods = [Pod("a"), Pod("b")]
    for value in (-5, math.nan):
        with pytest.raises(MetricReadingError, match="pod a"):
            calc.resource_replicas(2, 50, pods, {"a": Sample(value), "b": Sample(100)})  # type: ignore[arg-type]
    with pytest.raises(MissingRequestError, match="pod b"):
        calc.resource_replicas(2, 50, [Pod("a"), Pod("b", request=None)], {"a": Sample(100)})
    with pytest.raises(MetricReadingError, match="no pods"):
        calc.resource_replicas(2, 50, [], {})
    with pytest.raises(ReplicaCountError):
        calc.resource_replicas(-1, 50, pods, {"a": Sample(100)})


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("ready 300, asleep 200", "states"),
        ("ready -5", "negative"),
        ("ready 3x", "whole number"),
        ("ready 1 2", "state"),
    ],
)
def test_a_bad_pod_description_names_the_bad_part(text, detail):
    with pytest.raises(MetricReadingError, match=detail):
        pods_from_text(text)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("3 pods every minute", "cannot read"),
        ("0 pods per 15 s", "positive"),
        ("4 pods per 15 s, select Most", "selectPolicy"),
        ("4 pods per 0 s", "period"),
    ],
)
def test_bad_scaling_rules_are_refused(text, detail):
    with pytest.raises(AutoscalerConfigError, match=detail):
        rules_from_text(text, ScalingRules(0, (ScalingPolicy("Pods", 4, 15),)))


def test_bad_scale_events_are_refused():
    with pytest.raises(AutoscalerConfigError, match="scale event"):
        events_from_text("+3 yesterday")


def test_scale_down_waits_for_the_window_and_then_follows_the_highest_recent_recommendation():
    hpa = HorizontalPodAutoscaler(CPU_ONLY)
    assert hpa.reconcile(0, 10, {"cpu": 50}) == 10
    assert hpa.reconcile(100, 10, {"cpu": 40}) == 10  # recommends 8
    assert hpa.reconcile(200, 10, {"cpu": 25}) == 10  # recommends 5
    assert hpa.reconcile(301, 10, {"cpu": 25}) == 8  # the 10 of t=0 has left the window; 8 of t=100 remains


readings = st.floats(min_value=0, max_value=2000, allow_nan=False)


@given(st.lists(st.tuples(readings, readings), min_size=1, max_size=40), st.integers(3, 20))
def test_the_controller_stays_in_bounds_and_moves_no_faster_than_its_policies(observations, start):
    """Synced every 15 s: replicas within [3, 20], and one sync adds at most max(100 %, 4 pods).

    The default policies' period is 15 s and an event counts while it is younger than that, so the
    scale event of the previous sync no longer counts and each sync may use the whole allowance.
    """
    hpa = HorizontalPodAutoscaler(SEED_SPEC)
    replicas = start
    for step, (cpu, memory) in enumerate(observations):
        before = replicas
        replicas = hpa.reconcile(step * 15.0, replicas, {"cpu": cpu, "memory": memory})
        assert 3 <= replicas <= 20
        assert replicas <= max(2 * before, before + 4), (before, replicas)


@given(st.one_of(st.floats(), st.integers(-5, 5)), st.integers(-3, 30))
def test_any_reading_gives_a_count_in_bounds_or_the_concepts_own_error(reading, replicas):
    try:
        result = desired_replicas(SEED_SPEC, replicas, {"cpu": reading, "memory": 40})
    except ScalingError:
        return
    assert 3 <= result <= 20


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ready", "unready", "warming", "pending", "failed", "deleted"]), st.integers(0, 5000)
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(0, 5),
    st.integers(1, 300),
)
def test_a_utilization_under_the_target_never_asks_for_more_replicas(pods, extra, target):
    """With at least as many replicas as listed pods, a utilization below the tolerance never scales up."""
    described, samples = pods_from_text(", ".join(f"{state} {value}" for state, value in pods))
    replicas = len(described) + extra
    try:
        calc = ReplicaCalculator().resource_replicas(replicas, target, described, samples)
    except MetricReadingError:
        return
    if calc.current < target * 0.9:
        assert calc.replicas <= replicas, f"{calc.current}% under a {target}% target asked for more replicas: {calc}"


def test_the_behaviour_controller_refuses_negative_counts():
    with pytest.raises(ReplicaCountError):
        BehaviorController().normalize(0, -1, 3, 1, 10)
