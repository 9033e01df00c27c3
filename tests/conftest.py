"""pytest configuration shared by every test: target option, hypothesis profiles, the spec context."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from livingspec.bdd.context import SpecContext
from livingspec.bdd.targets import DEFAULT_TARGET, KNOWN_TARGETS, skip_reason

# Hypothesis: a quick profile for local runs, a thorough one for CI (CI=true selects it).
settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "thorough" if os.environ.get("CI") else "quick"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        default=DEFAULT_TARGET,
        choices=KNOWN_TARGETS,
        help="which system the features run against (as behave -D target=...)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip @wip scenarios (as behave.ini does) and scenarios tagged for another target."""
    target = config.getoption("--target")
    for item in items:
        tags = {mark.name for mark in item.iter_markers()}
        if "wip" in tags:
            item.add_marker(pytest.mark.skip(reason="@wip: work in progress, excluded by default"))
            continue
        reason = skip_reason(tags, target)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def spec_context(request: pytest.FixtureRequest) -> Iterator[SpecContext]:
    """A fresh behave-like context per scenario; its cleanups run when the scenario ends."""
    tags = {mark.name for mark in request.node.iter_markers()}
    context = SpecContext(userdata={"target": request.config.getoption("--target")}, tags=tags)
    yield context
    context.run_cleanups()


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any, exception: Any) -> None:
    """Fail an undefined step with behave's own snippet, so both runners say the same thing."""
    from types import SimpleNamespace

    from behave.runner_util import make_undefined_step_snippet

    keyword = {"given": "given", "when": "when", "then": "then"}.get(step.type, "step")
    snippet = make_undefined_step_snippet(SimpleNamespace(step_type=keyword, name=step.name))
    raise pytest.fail(f"Undefined step: {step.keyword} {step.name}\nImplement it in steps/:\n\n{snippet}")
