"""behave hooks, kept here so the root environment.py stays a thin shim."""

from __future__ import annotations

from typing import Any

from livingspec.runner.targets import selected_target, skip_reason
from livingspec.runner.types import register_with_behave

# Step modules are loaded after this module and compile their patterns on import, so the
# shared parse types must be registered first.
register_with_behave()


def before_all(context: Any) -> None:
    """Check the selected target once, before any feature runs."""
    context.target = selected_target(context.config.userdata)


def before_scenario(context: Any, scenario: Any) -> None:
    """Skip scenarios that do not apply to the selected target, saying why."""
    reason = skip_reason(scenario.effective_tags, context.target)
    if reason:
        scenario.skip(reason)
