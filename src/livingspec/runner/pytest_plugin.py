"""The pytest side of the specification: the --target option, target and @wip skips, the spec context.

Loaded by tests/conftest.py (``pytest_plugins``); also usable on its own with
``pytest -p livingspec.runner.pytest_plugin``.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from livingspec.registry import concept_folder
from livingspec.runner.context import SpecContext
from livingspec.runner.shards import ShardError, parse_shard, take
from livingspec.runner.targets import DEFAULT_TARGET, KNOWN_TARGETS, skip_reason
from livingspec.runner.types import ScenarioTextError


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        default=DEFAULT_TARGET,
        choices=KNOWN_TARGETS,
        help="which system the features run against (as behave -D target=...)",
    )
    parser.addoption(
        "--features-dir",
        dest="features_dir",
        default=None,
        metavar="DIR",
        help="run the feature files of DIR (your own folder) instead of the project's features/",
    )
    parser.addoption(
        "--shard",
        default=None,
        metavar="K/N",
        help="run only the k-th of n slices of the collected tests (for splitting the suite across machines)",
    )
    parser.addoption(
        "--userdata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a run option for the steps, as behave -D KEY=VALUE (repeatable), e.g. --userdata seed=42",
    )


def _userdata(config: pytest.Config) -> dict[str, str]:
    """--userdata KEY=VALUE pairs, plus the target."""
    pairs: dict[str, str] = {}
    for item in config.getoption("--userdata"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise pytest.UsageError(f"--userdata takes KEY=VALUE, got {item!r}")
        pairs[key] = value
    pairs["target"] = config.getoption("--target")
    return pairs


_FEATURES: dict[str, Path] = {}
_CONFIG: list[pytest.Config] = []
# A Gherkin tag pytest can carry as a marker; others (allure.label.epic:X) mean nothing to pytest.
_MARKER_NAME = re.compile(r"[A-Za-z_][\w.-]*")


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """Mark a scenario with its Gherkin tag, registering the tag as a marker (so --strict-markers holds)."""
    if not _MARKER_NAME.fullmatch(tag):
        return True
    if _CONFIG:
        _CONFIG[0].addinivalue_line("markers", f"{tag}: a tag of the feature files")
    return getattr(pytest.mark, tag)(function)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Remember the config (for tags) and the features folder chosen with --features-dir.

    Under pytest-xdist only the controller cleans the Allure results folder, before the workers
    start; a worker that cleaned it too would delete results other workers had written.
    """
    if hasattr(config, "workerinput"):
        config.option.clean_alluredir = False
    _CONFIG[:] = [config]
    chosen = config.getoption("features_dir")
    if chosen:
        folder = Path(chosen).resolve()
        if not folder.is_dir():
            raise pytest.UsageError(f"--features-dir {chosen}: no such folder")
        _FEATURES["dir"] = folder


def features_dir(default: Path) -> Path:
    """The features folder to run: the one given with --features-dir, else ``default``."""
    return _FEATURES.get("dir", default)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only this shard's tests; skip @wip scenarios (as behave.ini does) and other targets' scenarios."""
    shard = config.getoption("--shard")
    if shard:
        try:
            chosen = take(items, [item.nodeid for item in items], parse_shard(shard))
        except ShardError as error:
            raise pytest.UsageError(str(error)) from None
        kept = set(map(id, chosen))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = [item for item in items if id(item) in kept]
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
    context = SpecContext(userdata=_userdata(request.config), tags=tags)
    yield context
    context.run_cleanups()


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any, exception: Any) -> None:
    """Fail an undefined step with behave's own snippet, so both runners say the same thing."""
    from types import SimpleNamespace

    from behave.runner_util import make_undefined_step_snippet

    keyword = {"given": "given", "when": "when", "then": "then"}.get(step.type, "step")
    snippet = make_undefined_step_snippet(SimpleNamespace(step_type=keyword, name=step.name))
    folder = concept_folder(feature.filename)
    module = f"steps/{folder}_steps.py" if folder else "steps/"
    pytest.fail(f"Undefined step: {step.keyword} {step.name}\nImplement it in {module}:\n\n{snippet}")


# The scenario's steps, and how many of them passed: the next one is the one that failed.
_STEPS = pytest.StashKey[list[str]]()
_PASSED = pytest.StashKey[int]()


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    """Remember the scenario's steps, to name the failed one in a scenario-text error's report."""
    request.node.stash[_STEPS] = [f"{step.keyword} {step.name}" for step in scenario.steps]
    request.node.stash[_PASSED] = 0


def pytest_bdd_after_step(request: Any, feature: Any, scenario: Any, step: Any, step_func: Any) -> None:
    """Count the steps that passed (a value refused while matching fails before any step hook)."""
    request.node.stash[_PASSED] = request.node.stash.get(_PASSED, 0) + 1


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report a ScenarioTextError (unknown value, step before its Given) as the step and its sentence.

    The scenario's text is at fault, not the code, so a traceback through the runner would only
    hide the sentence that says what to write instead.
    """
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(ScenarioTextError):
        steps, passed = item.stash.get(_STEPS, []), item.stash.get(_PASSED, 0)
        step = steps[passed] if passed < len(steps) else "a step"
        error = call.excinfo.value
        report.longrepr = f"Step failed: {step}\n{type(error).__name__}: {error}"
    return report
