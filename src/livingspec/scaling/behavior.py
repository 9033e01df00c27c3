"""HorizontalPodAutoscaler behaviour: stabilisation windows and scaling policies (autoscaling/v2).

After the metrics propose a count (the largest proposal across metrics), the controller normalises
it (pkg/controller/podautoscaler/horizontal.go, normalizeDesiredReplicasWithBehaviors):

1. Stabilise: every proposal is recorded with its time. A scale-up goes no higher than the lowest
   proposal of the scale-up window; a scale-down no lower than the highest proposal of the
   scale-down window (300 s by default), so a short dip removes no replica the next spike needs.
2. Limit the rate: each policy allows, per period, a number of pods or a percentage of the count at
   the start of the period (the count now, less what the recent scale events added). selectPolicy
   Max takes the policy that allows the largest change, Min the smallest, Disabled none.
   Defaults: scale up by 100 % or 4 pods per 15 s, whichever is more; scale down by 100 % per 15 s.
3. Clamp to [minReplicas, maxReplicas].

Times are seconds on the controller's clock; a recommendation or event counts while it is younger
than the window or period (strictly after the cutoff, as Kubernetes compares times).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from livingspec.scaling.errors import AutoscalerConfigError
from livingspec.scaling.replicas import check_replicas

POLICY_KINDS = ("Pods", "Percent")
SELECT_POLICIES = ("Max", "Min", "Disabled")


@dataclass(frozen=True)
class ScalingPolicy:
    """Allow ``value`` pods (Pods) or ``value`` percent of the count (Percent) per ``period_s`` seconds."""

    kind: str
    value: int
    period_s: int

    def __post_init__(self) -> None:
        if self.kind not in POLICY_KINDS:
            raise AutoscalerConfigError(f"unknown policy type {self.kind!r}; known: {', '.join(POLICY_KINDS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value <= 0:
            raise AutoscalerConfigError(f"a {self.kind} policy needs a positive whole value, got {self.value!r}")
        if not 0 < self.period_s <= 1800:
            raise AutoscalerConfigError(f"a policy period is 1 to 1800 seconds, got {self.period_s}")


@dataclass(frozen=True)
class ScalingRules:
    """One direction's behaviour: its stabilisation window, its policies and how to choose among them."""

    stabilization_window_s: int
    policies: tuple[ScalingPolicy, ...]
    select_policy: str = "Max"

    def __post_init__(self) -> None:
        if self.select_policy not in SELECT_POLICIES:
            raise AutoscalerConfigError(
                f"unknown selectPolicy {self.select_policy!r}; known: {', '.join(SELECT_POLICIES)}"
            )
        if not 0 <= self.stabilization_window_s <= 3600:
            raise AutoscalerConfigError(
                f"a stabilisation window is 0 to 3600 seconds, got {self.stabilization_window_s}"
            )
        if not self.policies and self.select_policy != "Disabled":
            raise AutoscalerConfigError("scaling rules need at least one policy (or selectPolicy Disabled)")


DEFAULT_SCALE_UP = ScalingRules(0, (ScalingPolicy("Percent", 100, 15), ScalingPolicy("Pods", 4, 15)), "Max")
DEFAULT_SCALE_DOWN = ScalingRules(300, (ScalingPolicy("Percent", 100, 15),), "Max")


@dataclass(frozen=True)
class Behavior:
    """spec.behavior: the rules for scaling up and for scaling down."""

    scale_up: ScalingRules = DEFAULT_SCALE_UP
    scale_down: ScalingRules = DEFAULT_SCALE_DOWN


@dataclass(frozen=True)
class ScaleEvent:
    """A change of the replica count the controller made: when, and by how many (positive)."""

    time_s: float
    change: int


@dataclass(frozen=True)
class Normalized:
    """The count to run and why (Kubernetes' ScalingLimited reasons)."""

    replicas: int
    reason: str  # DesiredWithinRange, ScaleUpLimit, ScaleDownLimit, TooManyReplicas, TooFewReplicas


def _changed_within(period_s: float, events: Sequence[ScaleEvent], now_s: float) -> int:
    return sum(e.change for e in events if e.time_s > now_s - period_s)


def scale_up_limit(
    current: int, rules: ScalingRules, ups: Sequence[ScaleEvent], downs: Sequence[ScaleEvent], now_s: float
) -> int:
    """calculateScaleUpLimitWithScalingRules: the highest count the policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for policy in rules.policies:
        start = current - _changed_within(policy.period_s, ups, now_s) + _changed_within(policy.period_s, downs, now_s)
        if policy.kind == "Pods":
            proposals.append(start + policy.value)
        else:  # rounded up, or a small percentage of a small count would never add a pod
            proposals.append(math.ceil(start * (1 + policy.value / 100)))
    return max(proposals) if rules.select_policy == "Max" else min(proposals)


def scale_down_limit(
    current: int, rules: ScalingRules, ups: Sequence[ScaleEvent], downs: Sequence[ScaleEvent], now_s: float
) -> int:
    """calculateScaleDownLimitWithBehaviors: the lowest count the policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for policy in rules.policies:
        start = current - _changed_within(policy.period_s, ups, now_s) + _changed_within(policy.period_s, downs, now_s)
        if policy.kind == "Pods":
            proposals.append(start - policy.value)
        else:  # truncated towards zero, as Go's int32 conversion
            proposals.append(int(start * (1 - policy.value / 100)))
    return min(proposals) if rules.select_policy == "Max" else max(proposals)


@dataclass
class BehaviorController:
    """The controller's memory for one autoscaler: recommendations and scale events, with their times."""

    behavior: Behavior = field(default_factory=Behavior)
    recommendations: list[tuple[float, int]] = field(default_factory=list)
    scale_ups: list[ScaleEvent] = field(default_factory=list)
    scale_downs: list[ScaleEvent] = field(default_factory=list)

    def stabilize(self, now_s: float, current: int, desired: int) -> int:
        """stabilizeRecommendationWithBehaviors: bound the proposal by the windows' extremes, then record it."""
        up_cutoff = now_s - self.behavior.scale_up.stabilization_window_s
        down_cutoff = now_s - self.behavior.scale_down.stabilization_window_s
        up, down = desired, desired
        for time_s, recommended in self.recommendations:
            if time_s > up_cutoff:
                up = min(up, recommended)
            if time_s > down_cutoff:
                down = max(down, recommended)
        # Forget recommendations older than both windows (Kubernetes reuses one such slot).
        self.recommendations = [(t, r) for t, r in self.recommendations if t >= up_cutoff or t >= down_cutoff]
        self.recommendations.append((now_s, desired))
        return min(max(current, up), down)

    def limit_rate(self, now_s: float, current: int, desired: int, low: int, high: int) -> Normalized:
        """convertDesiredReplicasWithBehaviorRate: apply the policies' limits and the bounds."""
        if desired > current:
            limit = max(
                scale_up_limit(current, self.behavior.scale_up, self.scale_ups, self.scale_downs, now_s), current
            )
            allowed, reason = (limit, "ScaleUpLimit") if high > limit else (high, "TooManyReplicas")
            if desired > allowed:
                return Normalized(allowed, reason)
        elif desired < current:
            limit = min(
                scale_down_limit(current, self.behavior.scale_down, self.scale_ups, self.scale_downs, now_s), current
            )
            allowed, reason = (limit, "ScaleDownLimit") if low < limit else (low, "TooFewReplicas")
            if desired < allowed:
                return Normalized(allowed, reason)
        return Normalized(desired, "DesiredWithinRange")

    def normalize(self, now_s: float, current: int, desired: int, low: int, high: int) -> Normalized:
        """The count to run now for a proposal of ``desired`` replicas, recording the scale event it makes."""
        check_replicas("the current replica count", current, 0)
        check_replicas("the proposed replica count", desired, 0)
        result = self.limit_rate(now_s, current, self.stabilize(now_s, current, desired), low, high)
        self.record(now_s, current, result.replicas)
        return result

    def record(self, now_s: float, before: int, after: int) -> None:
        """Remember a change of the count (and forget events older than every policy's period)."""
        longest = max(
            (p.period_s for r in (self.behavior.scale_up, self.behavior.scale_down) for p in r.policies), default=0
        )
        self.scale_ups = [e for e in self.scale_ups if e.time_s > now_s - longest]
        self.scale_downs = [e for e in self.scale_downs if e.time_s > now_s - longest]
        if after > before:
            self.scale_ups.append(ScaleEvent(now_s, after - before))
        elif after < before:
            self.scale_downs.append(ScaleEvent(now_s, before - after))


_POLICY = re.compile(r"(\d+) (pods?|percent) per (\d+) s")
_SETTING = re.compile(r"(select) (\w+)|(window) (\d+) s")
_EVENT = re.compile(r"([+-]\d+) (\d+) s ago")


def rules_from_text(text: str, default: ScalingRules) -> ScalingRules:
    """Scaling rules from 'default' or '2 pods per 60 s, 50 percent per 60 s, select Min, window 300 s'.

    Unstated parts keep ``default``'s: its window and selectPolicy; stated policies replace its policies.
    """
    if text.strip() == "default":
        return default
    policies: list[ScalingPolicy] = []
    window, select = default.stabilization_window_s, default.select_policy
    for part in (p.strip() for p in text.split(",")):
        policy, setting = _POLICY.fullmatch(part), _SETTING.fullmatch(part)
        if policy:
            kind = "Pods" if policy[2].startswith("pod") else "Percent"
            policies.append(ScalingPolicy(kind, int(policy[1]), int(policy[3])))
        elif setting and setting[1]:
            select = setting[2]
        elif setting:
            window = int(setting[4])
        else:
            raise AutoscalerConfigError(
                f"cannot read {part!r}: write '<n> pods per <s> s', '<n> percent per <s> s', 'select Max|Min|Disabled'"
                " or 'window <s> s'"
            )
    return ScalingRules(window, tuple(policies) or default.policies, select)


def events_from_text(text: str) -> tuple[list[ScaleEvent], list[ScaleEvent]]:
    """Recent scale events from 'none' or '+1 100 s ago, +5 60 s ago, -2 20 s ago' (up, down; now is 0 s)."""
    ups: list[ScaleEvent] = []
    downs: list[ScaleEvent] = []
    if text.strip() == "none":
        return ups, downs
    for part in (p.strip() for p in text.split(",")):
        found = _EVENT.fullmatch(part)
        if not found or int(found[1]) == 0:
            raise AutoscalerConfigError(f"cannot read the scale event {part!r}: write '+5 60 s ago' or '-2 30 s ago'")
        change, ago = int(found[1]), float(found[2])
        (ups if change > 0 else downs).append(ScaleEvent(-ago, abs(change)))
    return ups, downs
