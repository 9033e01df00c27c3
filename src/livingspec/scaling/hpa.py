"""The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) over average utilizations, as the controller runs it.

For each metric: desired = ceil(current_replicas x current / target), where current is the
utilization rounded down to a whole percent (Kubernetes computes it so), unless current/target is
within the tolerance (0.1) of 1.0, in which case the replica count stays. With several metrics the
largest proposal wins; a metric without a reading may block a scale-down but never a scale-up (the
controller cannot know that the missing one would not ask for more). The proposal is then
normalised by the behaviour (``behavior``): stabilised (scale-down uses the highest recommendation
of the last 300 s), rate-limited (by default up by 100 % or 4 pods per 15 s, whichever is more)
and clamped to [min, max]. The per-pod calculation behind a utilization is in ``replicas``.
Source: kubernetes.io, "Horizontal Pod Autoscaling", algorithm details; pkg/controller/podautoscaler.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from livingspec.scaling.behavior import DEFAULT_SCALE_DOWN, Behavior, BehaviorController, Normalized
from livingspec.scaling.errors import AutoscalerConfigError, MetricReadingError
from livingspec.scaling.replicas import check_reading, check_replicas

DEFAULT_TOLERANCE = 0.1
DEFAULT_SCALE_DOWN_WINDOW_S = 300.0


@dataclass(frozen=True)
class MetricTarget:
    """A resource metric and its target average utilization, in percent of the pods' requests."""

    name: str
    average_utilization: float


@dataclass(frozen=True)
class AutoscalerSpec:
    """minReplicas, maxReplicas, metrics, tolerance and behaviour (default: Kubernetes' defaults).

    ``scale_down_window_s`` sets the default behaviour's scale-down stabilisation window; a
    ``behavior`` given explicitly carries its own windows.
    """

    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    tolerance: float = DEFAULT_TOLERANCE
    scale_down_window_s: float = DEFAULT_SCALE_DOWN_WINDOW_S
    behavior: Behavior | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise AutoscalerConfigError(
                f"need 1 <= minReplicas <= maxReplicas, got {self.min_replicas} and {self.max_replicas}"
            )
        if not self.metrics:
            raise AutoscalerConfigError("an autoscaler needs at least one metric")
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise AutoscalerConfigError(f"each metric once: {', '.join(names)}")
        for metric in self.metrics:
            if not metric.average_utilization > 0 or math.isinf(metric.average_utilization):
                raise AutoscalerConfigError(
                    f"target of {metric.name} must be positive, got {metric.average_utilization}"
                )
        if not self.tolerance >= 0 or not self.scale_down_window_s >= 0:
            raise AutoscalerConfigError("tolerance and stabilisation window must not be negative")

    @property
    def effective_behavior(self) -> Behavior:
        """The behaviour the controller applies."""
        if self.behavior is not None:
            return self.behavior
        return Behavior(scale_down=replace(DEFAULT_SCALE_DOWN, stabilization_window_s=int(self.scale_down_window_s)))


#: The seed's HorizontalPodAutoscaler: 3 to 20 replicas, CPU 70 %, memory 80 %.
SEED_SPEC = AutoscalerSpec(3, 20, (MetricTarget("cpu", 70.0), MetricTarget("memory", 80.0)))


def proposal(
    current_replicas: int, current_value: float, target_value: float, tolerance: float = DEFAULT_TOLERANCE
) -> int:
    """One metric's proposal: ceil(current x value / target), or no change within the tolerance."""
    check_replicas("the current replica count", current_replicas)
    check_reading("a metric reading", current_value)
    if not check_reading("a metric target", target_value) > 0:
        raise AutoscalerConfigError(f"a metric target must be positive, got {target_value}")
    ratio = current_value / target_value
    if abs(ratio - 1.0) <= tolerance:
        return current_replicas
    return math.ceil(current_replicas * ratio)


def largest_proposal(spec: AutoscalerSpec, current_replicas: int, utilization: Mapping[str, float]) -> int:
    """The largest proposal across the metrics that have a reading (utilization floored to whole percents).

    Readings for metrics the spec does not name are refused. A missing reading blocks a scale-down:
    when some metric has no reading and the others would remove replicas, the count stays.
    """
    check_replicas("the current replica count", current_replicas)
    unknown = sorted(set(utilization) - {m.name for m in spec.metrics})
    if unknown:
        known = ", ".join(m.name for m in spec.metrics)
        raise MetricReadingError(f"no metric named {', '.join(unknown)} in this autoscaler; its metrics: {known}")
    read = [m for m in spec.metrics if m.name in utilization]
    if not read:
        raise MetricReadingError(f"no reading for any metric ({', '.join(m.name for m in spec.metrics)})")
    proposals = [
        proposal(
            current_replicas,
            math.floor(check_reading(f"the {m.name} utilization", utilization[m.name])),
            m.average_utilization,
            spec.tolerance,
        )
        for m in read
    ]
    largest = max(proposals)
    if len(read) < len(spec.metrics) and largest < current_replicas:
        return current_replicas
    return largest


def desired_replicas(spec: AutoscalerSpec, current_replicas: int, utilization: Mapping[str, float]) -> int:
    """The largest proposal, clamped to [min, max] (one reconciliation, before the behaviour's limits)."""
    return min(max(largest_proposal(spec, current_replicas, utilization), spec.min_replicas), spec.max_replicas)


@dataclass
class HorizontalPodAutoscaler:
    """The controller: call ``reconcile`` every sync period with the time and the observed utilization."""

    spec: AutoscalerSpec
    controller: BehaviorController = field(init=False)
    last: Normalized | None = None

    def __post_init__(self) -> None:
        self.controller = BehaviorController(self.spec.effective_behavior)

    @property
    def recommendations(self) -> list[tuple[float, int]]:
        """The recorded proposals (seconds, replicas) the stabilisation windows look at."""
        return self.controller.recommendations

    def reconcile(self, now_s: float, current_replicas: int, utilization: Mapping[str, float]) -> int:
        """The replica count to run now: outside the bounds straight back into them, else normalised."""
        check_replicas("the current replica count", current_replicas)
        spec = self.spec
        if current_replicas > spec.max_replicas or current_replicas < spec.min_replicas:
            bounded = min(max(current_replicas, spec.min_replicas), spec.max_replicas)
            self.last = Normalized(bounded, "TooManyReplicas" if bounded < current_replicas else "TooFewReplicas")
            return bounded
        raw = largest_proposal(spec, current_replicas, utilization)
        self.last = self.controller.normalize(now_s, current_replicas, raw, spec.min_replicas, spec.max_replicas)
        return self.last.replicas


@dataclass(frozen=True)
class LoadStep:
    """One sync period of a simulated deployment under load."""

    time_s: float
    load_rps: float
    replicas: int
    cpu: float
    memory: float


def simulate_day(
    spec: AutoscalerSpec,
    load_rps: Sequence[float],
    step_s: float = 60.0,
    capacity_rps: float = 50.0,
    memory_base: float = 35.0,
    memory_per_rps: float = 0.8,
    start_replicas: int | None = None,
) -> list[LoadStep]:
    """Drive the autoscaler through a load curve (one value per ``step_s``).

    A replica at 100 % CPU serves ``capacity_rps``; CPU utilization is the load divided by the
    capacity of the running replicas; memory is a base plus a part that grows with each replica's
    share of the load. Replicas the autoscaler asks for serve from the next step on.
    """
    hpa = HorizontalPodAutoscaler(spec)
    replicas = start_replicas or spec.min_replicas
    steps = []
    for index, load in enumerate(load_rps):
        per_replica = load / replicas
        cpu = 100.0 * per_replica / capacity_rps
        memory = memory_base + memory_per_rps * per_replica
        steps.append(LoadStep(index * step_s, load, replicas, cpu, memory))
        replicas = hpa.reconcile(index * step_s, replicas, {"cpu": cpu, "memory": memory})
    return steps


def daily_load(
    minutes: int = 1440, peak_rps: float = 600.0, base_rps: float = 40.0, spike_at: int = 1200
) -> list[float]:
    """A day of traffic per minute: quiet night, morning rise, evening peak, and a short spike."""
    load = []
    for minute in range(minutes):
        hour = minute / 60
        wave = 0.5 - 0.5 * math.cos(2 * math.pi * (hour - 4) / 24)  # lowest at 04:00, highest at 16:00
        value = base_rps + (peak_rps - base_rps) * wave**2
        if spike_at <= minute < spike_at + 10:
            value *= 1.6
        load.append(value)
    return load
