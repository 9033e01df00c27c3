"""Which system a scenario runs against: the embedded target by default, real systems on request.

Select with ``behave -D target=real`` or ``pytest --target=real`` (default ``embedded``).
A scenario tagged ``@target.<name>`` (one or more) runs only on those targets and is skipped,
with its reason, on any other. Untagged scenarios run on every target.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from livingspec.infra import TargetUnavailableError

__all__ = [
    "DEFAULT_TARGET",
    "KNOWN_TARGETS",
    "TargetUnavailableError",
    "UnknownTargetError",
    "selected_target",
    "skip_scenario",
    "skip_unavailable",
    "target_of",
]

DEFAULT_TARGET = "embedded"
KNOWN_TARGETS = ("embedded", "real")
TAG_PREFIX = "target."


class UnknownTargetError(ValueError):
    """The requested target is not one the specification knows."""


def validate(name: str) -> str:
    """Return the target name, or raise UnknownTargetError naming the valid ones."""
    if name not in KNOWN_TARGETS:
        raise UnknownTargetError(f"unknown target {name!r}; choose one of {', '.join(KNOWN_TARGETS)}")
    return name


def selected_target(userdata: Mapping[str, Any]) -> str:
    """The target chosen in behave userdata (``-D target=...``) or the pytest equivalent."""
    return validate(str(userdata.get("target", DEFAULT_TARGET)))


def target_of(context: Any) -> str:
    """The selected target for a step's context (behave Context or the pytest SpecContext)."""
    return selected_target(context.config.userdata)


def skip_reason(tags: Iterable[str], target: str) -> str | None:
    """Why a scenario with these tags does not run on ``target``, or None when it does."""
    wanted = {tag[len(TAG_PREFIX) :] for tag in tags if tag.startswith(TAG_PREFIX)}
    if wanted and target not in wanted:
        return f"runs only on target(s) {', '.join(sorted(wanted))}; selected target is {target}"
    return None


def missing_systems_fail() -> bool:
    """True under CI (``CI=true``): a real target whose binary is missing fails instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_unavailable(context: Any, error: TargetUnavailableError) -> None:
    """Skip the scenario because a real system is missing, with the reason; under CI, fail instead.

    CI installs every system the registry names, so a missing one there is a broken setup, not a skip.
    """
    if missing_systems_fail():
        raise error
    skip_scenario(context, str(error))


def skip_scenario(context: Any, reason: str) -> None:
    """Skip the running scenario with ``reason`` under either runner, from inside a step.

    Under pytest this raises pytest's Skipped; under behave it marks the scenario skipped and
    returns, so write ``skip_scenario(context, reason); return`` in a step.
    """
    from livingspec.runner.context import SpecContext

    if isinstance(context, SpecContext):
        import pytest

        pytest.skip(reason)
    context.scenario.skip(reason)
