"""Run options a user sets on the command line, read the same way under both runners.

behave: ``behave -D seed=42``; pytest: ``pytest --userdata seed=42``. Both land in
``context.config.userdata``. ``seed`` fixes every seeded random choice a scenario makes (fault
schedules, sampled series, drafts); without it each concept uses its documented default.
"""

from __future__ import annotations

from typing import Any

from livingspec.errors import LivingSpecError

__all__ = ["OptionError", "seed", "userdata_int"]


class OptionError(LivingSpecError):
    """A userdata option has a value of the wrong form."""


def userdata_int(context: Any, key: str, default: int) -> int:
    """The integer userdata option ``key`` (``-D key=N``), or ``default`` when it is not set."""
    raw = context.config.userdata.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(str(raw), 10)
    except ValueError:
        raise OptionError(f"option {key} must be an integer (as in -D {key}=42), got {raw!r}") from None


def seed(context: Any, default: int) -> int:
    """The run's seed: ``-D seed=N`` (``pytest --userdata seed=N``), else the concept's ``default``."""
    return userdata_int(context, "seed", default)
