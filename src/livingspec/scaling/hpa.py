"""The Kubernetes HorizontalPodAutoscaler algorithm, exactly (autoscaling/v2).

For each metric: desired = ceil(current_replicas x current_value / target_value), unless the
ratio current/target is within the tolerance (0.1) of 1.0, in which case the replica count stays.
With several metrics the largest proposal wins. The result is clamped to [min, max]. Scale-down
is stabilised: the autoscaler uses the highest recommendation of the last window (300 s by
default), so a brief dip does not remove replicas that the next spike needs.
Source: kubernetes.io, "Horizontal Pod Autoscaling", algorithm details.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from livingspec.scaling.errors import AutoscalerConfigError

DEFAULT_TOLERANCE = 0.1
DEFAULT_SCALE_DOWN_WINDOW_S = 300.0


@dataclass(frozen=True)
class MetricTarget:
    """A resource metric and its target average utilization, in percent of the pods' requests."""

    name: str
    average_utilization: float


@dataclass(frozen=True)
class AutoscalerSpec:
    """minReplicas, maxReplicas, metrics, tolerance and the scale-down stabilisation window."""

    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    tolerance: float = DEFAULT_TOLERANCE
    scale_down_window_s: float = DEFAULT_SCALE_DOWN_WINDOW_S

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise AutoscalerConfigError(
                f"need 1 <= minReplicas <= maxReplicas, got {self.min_replicas} and {self.max_replicas}"
            )
        if not self.metrics:
            raise AutoscalerConfigError("an autoscaler needs at least one metric")
        for metric in self.metrics:
            if metric.average_utilization <= 0:
                raise AutoscalerConfigError(
                    f"target of {metric.name} must be positive, got {metric.average_utilization}"
                )
        if self.tolerance < 0 or self.scale_down_window_s < 0:
            raise AutoscalerConfigError("tolerance and stabilisation window must not be negative")


#: The seed's HorizontalPodAutoscaler: 3 to 20 replicas, CPU 70 %, memory 80 %.
SEED_SPEC = AutoscalerSpec(3, 20, (MetricTarget("cpu", 70.0), MetricTarget("memory", 80.0)))


def proposal(
    current_replicas: int, current_value: float, target_value: float, tolerance: float = DEFAULT_TOLERANCE
) -> int:
    """One metric's proposal: ceil(current x value / target), or no change within the tolerance."""
    ratio = current_value / target_value
    if abs(ratio - 1.0) <= tolerance:
        return current_replicas
    return math.ceil(current_replicas * ratio)


def desired_replicas(spec: AutoscalerSpec, current_replicas: int, utilization: Mapping[str, float]) -> int:
    """The largest proposal across the spec's metrics, clamped to [min, max] (no stabilisation)."""
    missing = [m.name for m in spec.metrics if m.name not in utilization]
    if missing:
        raise AutoscalerConfigError(f"no value for metric(s): {', '.join(missing)}")
    proposals = [
        proposal(current_replicas, utilization[m.name], m.average_utilization, spec.tolerance) for m in spec.metrics
    ]
    return min(max(*proposals, spec.min_replicas), spec.max_replicas)


@dataclass
class HorizontalPodAutoscaler:
    """The controller: call ``reconcile`` every sync period with the time and the observed utilization."""

    spec: AutoscalerSpec
    recommendations: deque[tuple[float, int]] = field(default_factory=deque)

    def reconcile(self, now_s: float, current_replicas: int, utilization: Mapping[str, float]) -> int:
        """The replica count to run now, with scale-down stabilised over the window."""
        recommended = desired_replicas(self.spec, current_replicas, utilization)
        self.recommendations.append((now_s, recommended))
        while self.recommendations and self.recommendations[0][0] < now_s - self.spec.scale_down_window_s:
            self.recommendations.popleft()
        if recommended < current_replicas:
            # Scale down only as far as the highest recommendation in the window allows.
            return min(current_replicas, max(r for _, r in self.recommendations))
        return recommended


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
