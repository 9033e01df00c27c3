"""The Kubernetes replica calculation from per-pod inputs (pkg/controller/podautoscaler/replica_calculator.go).

For one metric the HorizontalPodAutoscaler works out a replica count from the pods it finds:

1. Group the pods. Deleted and failed pods are ignored. Pending pods are unready. A pod without a
   sample is missing. For CPU only, a pod is also unready while it warms up: inside the CPU
   initialisation period (5 min) when it is not ready or its sample window began before it became
   ready; after that period when it is not ready and has never been ready (its readiness changed
   within the initial readiness delay, 30 s, of its start).
2. Average the ready pods' samples: utilization = floor(100 x sum(usage) / sum(requests)) for a
   resource (a whole percent, as Kubernetes does), or floor(sum / count) for a pods metric.
   ratio = current / target.
3. With no unready pod on a scale-up and no missing pod: keep the count when |1 - ratio| <= 0.1
   (the tolerance), else ceil(ratio x ready pods).
4. Otherwise recompute conservatively: missing pods count as 0 % on a scale-up and as 100 % of their
   request (or the target, if higher) on a scale-down; on a scale-up unready pods count as 0 %. If the
   new ratio is within the tolerance or points the other way, keep the count; else ceil(new ratio x
   pods counted), unless that moves against the first ratio.

Object and external metrics read one value (or a sum), not pods: Value targets scale the ready pods
by value / target; AverageValue targets divide the value by the target per pod.

All quantities are integers in milli-units, as in the Kubernetes metrics APIs (CPU in millicores).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from livingspec.scaling.errors import MetricReadingError, MissingRequestError, ReplicaCountError

DEFAULT_TOLERANCE = 0.1
DEFAULT_CPU_INITIALIZATION_PERIOD_S = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
DEFAULT_INITIAL_READINESS_DELAY_S = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay
PHASES = ("Running", "Pending", "Succeeded", "Failed")


@dataclass(frozen=True)
class Pod:
    """A pod as the controller sees it; times are seconds on the controller's clock (now is 0)."""

    name: str
    phase: str = "Running"
    ready: bool | None = True  # the Ready condition's status; None: the pod has no Ready condition
    deleted: bool = False  # the pod has a deletion timestamp
    started_s: float | None = -600.0  # the pod's start time; None: not started
    ready_changed_s: float = -600.0  # last transition of the Ready condition
    request: int | None = 1000  # resource request of the metric's resource, summed over containers (milli)

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise MetricReadingError(f"pod {self.name}: unknown phase {self.phase!r}; known: {', '.join(PHASES)}")
        if self.request is not None and self.request < 0:
            raise MetricReadingError(f"pod {self.name}: a request cannot be negative, got {self.request}")


@dataclass(frozen=True)
class Sample:
    """One pod's metric sample: its value (milli-units), when it was taken and the window it covers."""

    value: int
    timestamp_s: float = 0.0
    window_s: float = 60.0


@dataclass(frozen=True)
class Calculation:
    """A metric's replica proposal and the current value Kubernetes reports beside it."""

    replicas: int
    current: int  # percent for resource utilization, milli-units otherwise
    ready: int = 0  # pods counted as ready
    ignored: tuple[str, ...] = ()
    unready: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def check_reading(what: str, value: float) -> float:
    """``value`` if it is a finite, non-negative number; otherwise MetricReadingError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MetricReadingError(f"{what} must be a number, got {value!r}")
    if math.isnan(value) or math.isinf(value):
        raise MetricReadingError(f"{what} must be a finite number, got {value}")
    if value < 0:
        raise MetricReadingError(f"{what} cannot be negative, got {value}")
    return value


def check_replicas(what: str, value: int, minimum: int = 1) -> int:
    """``value`` if it is a whole number of at least ``minimum``; otherwise ReplicaCountError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ReplicaCountError(f"{what} must be a whole number of at least {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class ReplicaCalculator:
    """The controller's settings that shape every calculation."""

    tolerance: float = DEFAULT_TOLERANCE
    cpu_initialization_period_s: float = DEFAULT_CPU_INITIALIZATION_PERIOD_S
    initial_readiness_delay_s: float = DEFAULT_INITIAL_READINESS_DELAY_S

    def _cpu_unready(self, pod: Pod, sample: Sample) -> bool:
        """groupPods' CPU rule: a warming or never-ready pod's CPU sample is not trusted."""
        if pod.ready is None or pod.started_s is None:
            return True
        if pod.started_s + self.cpu_initialization_period_s > 0:  # still inside the initialisation period
            return pod.ready is False or sample.timestamp_s < pod.ready_changed_s + sample.window_s
        return pod.ready is False and pod.started_s + self.initial_readiness_delay_s > pod.ready_changed_s

    def group(
        self, pods: Sequence[Pod], samples: Mapping[str, Sample], cpu: bool
    ) -> tuple[int, set[str], set[str], set[str]]:
        """(ready count, unready, missing, ignored) pod names, as Kubernetes' groupPods."""
        ready, unready, missing, ignored = 0, set(), set(), set()
        for pod in pods:
            if pod.deleted or pod.phase == "Failed":
                ignored.add(pod.name)
            elif pod.phase == "Pending":
                unready.add(pod.name)
            elif pod.name not in samples:
                missing.add(pod.name)
            elif cpu and self._cpu_unready(pod, samples[pod.name]):
                unready.add(pod.name)
            else:
                ready += 1
        return ready, unready, missing, ignored

    def _within(self, ratio: float) -> bool:
        return abs(1.0 - ratio) <= self.tolerance

    def resource_replicas(
        self,
        current_replicas: int,
        target_utilization: int,
        pods: Sequence[Pod],
        samples: Mapping[str, Sample],
        cpu: bool = True,
    ) -> Calculation:
        """GetResourceReplicas: a resource metric with a Utilization target (percent of the requests)."""
        check_replicas("the current replica count", current_replicas, 0)
        check_replicas("a utilization target", target_utilization)
        values = self._values(samples)
        if not pods:
            raise MetricReadingError("no pods returned by the selector while calculating the replica count")
        ready, unready, missing, ignored = self.group(pods, samples, cpu)
        metrics = {name: v for name, v in values.items() if name not in ignored | unready}
        if not metrics:
            raise MetricReadingError("did not receive metrics for targeted pods (pods might be unready)")
        requests = self._requests(pods)
        if not set(metrics) & set(requests):
            raise MetricReadingError("no metrics returned matched known pods")
        utilization = _utilization(metrics, requests)
        ratio = utilization / target_utilization
        outcome = self._plain(current_replicas, ratio, ready, unready, missing, metrics)
        if outcome is None:
            fallback = max(100, target_utilization)  # a scale-down assumes missing pods at 100 % (or the target)
            for name in missing if ratio != 1.0 else ():
                metrics[name] = 0 if ratio > 1.0 else requests[name] * fallback // 100
            if ratio > 1.0:
                metrics.update(dict.fromkeys(unready, 0))
            new_ratio = _utilization(metrics, requests) / target_utilization
            outcome = self._conservative(current_replicas, ratio, new_ratio, len(metrics))
        return Calculation(
            outcome, utilization, ready, tuple(sorted(ignored)), tuple(sorted(unready)), tuple(sorted(missing))
        )

    def pods_metric_replicas(
        self, current_replicas: int, target_average: int, pods: Sequence[Pod], samples: Mapping[str, Sample]
    ) -> Calculation:
        """GetMetricReplicas (calcPlainMetricReplicas): a pods metric with an AverageValue target."""
        check_replicas("the current replica count", current_replicas, 0)
        check_replicas("an average value target", target_average)
        values = self._values(samples)
        if not pods:
            raise MetricReadingError("no pods returned by the selector while calculating the replica count")
        ready, unready, missing, ignored = self.group(pods, samples, cpu=False)
        metrics = {name: v for name, v in values.items() if name not in ignored | unready}
        if not metrics:
            raise MetricReadingError("did not receive metrics for targeted pods (pods might be unready)")
        usage = sum(metrics.values()) // len(metrics)
        ratio = usage / target_average
        outcome = self._plain(current_replicas, ratio, ready, unready, missing, metrics)
        if outcome is None:
            for name in missing:
                metrics[name] = 0 if ratio >= 1.0 else target_average
            if ratio > 1.0:
                metrics.update(dict.fromkeys(unready, 0))
            new_ratio = (sum(metrics.values()) // len(metrics)) / target_average
            outcome = self._conservative(current_replicas, ratio, new_ratio, len(metrics))
        return Calculation(
            outcome, usage, ready, tuple(sorted(ignored)), tuple(sorted(unready)), tuple(sorted(missing))
        )

    def value_replicas(self, current_replicas: int, value: int, target: int, pods: Sequence[Pod]) -> Calculation:
        """GetObjectMetricReplicas / GetExternalMetricReplicas: one value (an external sum) against a Value target."""
        check_replicas("the current replica count", current_replicas, 0)
        check_replicas("a value target", target)
        check_reading("the metric value", value)
        ratio = value / target
        if current_replicas == 0:
            return Calculation(math.ceil(ratio), value)
        if self._within(ratio):
            return Calculation(current_replicas, value)
        if not pods:
            raise MetricReadingError("no pods returned by the selector while calculating the replica count")
        ready = sum(1 for p in pods if p.phase == "Running" and p.ready is True)
        return Calculation(math.ceil(ratio * ready), value, ready)

    def average_value_replicas(self, status_replicas: int, value: int, target_per_pod: int) -> Calculation:
        """GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: a value against an AverageValue target."""
        check_replicas("the current replica count", status_replicas)
        check_replicas("an average value target", target_per_pod)
        check_reading("the metric value", value)
        replicas = status_replicas
        if not self._within(value / (target_per_pod * status_replicas)):
            replicas = math.ceil(value / target_per_pod)
        return Calculation(replicas, math.ceil(value / status_replicas))

    def _plain(
        self, current: int, ratio: float, ready: int, unready: set[str], missing: set[str], metrics: Mapping[str, int]
    ) -> int | None:
        """Step 3: the count when no pod needs a conservative guess, else None."""
        if (unready and ratio > 1.0) or missing:
            return None
        if self._within(ratio):
            return current
        return math.ceil(ratio * ready)

    def _conservative(self, current: int, ratio: float, new_ratio: float, counted: int) -> int:
        """Step 4: the recomputed count, or the current one where the guess is unsure or would reverse."""
        if self._within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current
        proposed = math.ceil(new_ratio * counted)
        if (new_ratio < 1.0 and proposed > current) or (new_ratio > 1.0 and proposed < current):
            return current
        return proposed

    @staticmethod
    def _values(samples: Mapping[str, Sample]) -> dict[str, int]:
        for name, sample in samples.items():
            check_reading(f"the sample of pod {name}", sample.value)
        return {name: int(sample.value) for name, sample in samples.items()}

    @staticmethod
    def _requests(pods: Sequence[Pod]) -> dict[str, int]:
        requests = {}
        for pod in pods:
            if pod.request is None:
                raise MissingRequestError(f"missing request for the resource of pod {pod.name}")
            requests[pod.name] = pod.request
        return requests


def _utilization(metrics: Mapping[str, int], requests: Mapping[str, int]) -> int:
    """floor(100 x usage / requests) over the pods that have a request (others are superfluous metrics)."""
    usage = sum(v for name, v in metrics.items() if name in requests)
    requested = sum(requests[name] for name in metrics if name in requests)
    if requested == 0:
        raise MissingRequestError("the pods' requests add up to zero, so utilization is undefined")
    return usage * 100 // requested


def _names(*groups: set[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(sorted(group)) for group in groups)


#: Pod states a description may use, and what each stands for.
POD_STATES = {
    "ready": "running and ready for 10 minutes",
    "unready": "running, started 10 minutes ago and never ready",
    "warming": "running, started 30 s ago and just ready: its CPU sample began before it was ready",
    "pending": "not yet running (Pending)",
    "failed": "Failed: ignored",
    "deleted": "being deleted: ignored",
    "gone": "no such pod: a sample left by a pod that is no longer listed",
}


def pods_from_text(pods: str, requests: str = "1000") -> tuple[list[Pod], dict[str, Sample]]:
    """Pods and samples from 'ready 300, unready 500, ready ?, gone 200' ('?' or no value: no sample).

    ``requests`` is one request for every pod or one per listed pod (milli-units), or 'none'.
    """
    entries = [part.split() for part in pods.split(",") if part.strip()]
    listed = [e for e in entries if e[0] != "gone"]
    if requests.strip() == "none":
        per_pod: list[int | None] = [None] * len(listed)
    else:
        values = [_milli(v, "a request") for v in requests.split(",")]
        if len(values) not in (1, len(listed)):
            raise MetricReadingError(f"give one request or one per pod ({len(listed)}), not {len(values)}")
        per_pod = list(values * len(listed) if len(values) == 1 else values)
    result: list[Pod] = []
    samples: dict[str, Sample] = {}
    for index, entry in enumerate(entries):
        state, value = entry[0], entry[1] if len(entry) > 1 else "?"
        if state not in POD_STATES or len(entry) > 2:
            raise MetricReadingError(
                f"unknown pod {' '.join(entry)!r}: write '<state> <value>'; states: {', '.join(POD_STATES)}"
            )
        name = f"pod-{index}"
        if state != "gone":
            result.append(_pod(name, state, per_pod[len(result)]))
        if value != "?":
            samples[name] = Sample(_milli(value, f"the sample of {name}"))
    return result, samples


def _pod(name: str, state: str, request: int | None) -> Pod:
    if state == "unready":
        return Pod(name, ready=False, request=request)
    if state == "warming":
        return Pod(name, started_s=-30.0, ready_changed_s=-30.0, request=request)
    if state == "pending":
        return Pod(name, phase="Pending", ready=False, request=request)
    if state == "failed":
        return Pod(name, phase="Failed", ready=False, request=request)
    return Pod(name, deleted=state == "deleted", request=request)


def _milli(text: str, what: str) -> int:
    """A whole, non-negative number of milli-units, or MetricReadingError naming ``what``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise MetricReadingError(f"{what} must be a whole number of milli-units, got {text.strip()!r}") from None
    return int(check_reading(what, value))


def pod_table(
    pods: Sequence[Pod], samples: Mapping[str, Sample], calc: Calculation
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Headings and rows showing each pod, its sample and request, and how the calculation counted it."""
    counted = {**dict.fromkeys(calc.ignored, "ignored"), **dict.fromkeys(calc.unready, "unready")}
    counted |= dict.fromkeys(calc.missing, "missing: no sample")
    rows: list[tuple[object, ...]] = [
        (
            p.name,
            p.phase + (", deleted" if p.deleted else ""),
            {True: "yes", False: "no", None: "-"}[p.ready],
            samples[p.name].value if p.name in samples else "-",
            "-" if p.request is None else p.request,
            counted.get(p.name, "ready"),
        )
        for p in pods
    ]
    listed = {p.name for p in pods}
    rows += [
        (name, "not listed", "-", s.value, "-", "superfluous sample")
        for name, s in samples.items()
        if name not in listed
    ]
    return ["pod", "phase", "ready", "sample", "request", "counted as"], rows
