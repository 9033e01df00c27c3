"""The pytest-bdd bridge: behave's step registry replayed as pytest-bdd steps.

Importing the step modules fills ``behave.step_registry.registry``. For each matcher we register
a pytest-bdd step with the same parse pattern and the shared parse types, and a wrapper whose
explicit ``__signature__`` names the pattern's fields plus ``datatable`` and ``docstring`` (pytest-bdd
passes only what a signature names). The wrapper hands the step a behave-like SpecContext with
``table`` (a behave Table) and ``text`` set, as behave would, and records the step, its table and
doc string in allure-pytest's results (allure-python issue 844: pytest-bdd tables otherwise never
reach Allure).
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import allure
from behave.model import Table
from pytest_bdd import parsers, scenario
from pytest_bdd import step as bdd_step
from pytest_bdd.feature import get_features

from livingspec.registry import concept_folder
from livingspec.runner import evidence
from livingspec.runner.types import TYPES, register_with_behave

CONTEXT_FIXTURE = "spec_context"
_KEYWORDS = {"given": "Given", "when": "When", "then": "Then", "step": "*"}


def load_behave_steps(steps_dir: Path) -> Any:
    """Load every step module in ``steps_dir`` once; return behave's filled registry."""
    from behave.runner_util import load_step_modules
    from behave.step_registry import registry

    register_with_behave()
    if not any(registry.steps.values()):
        load_step_modules([str(steps_dir)])
    return registry


def _as_table(rows: list[list[str]]) -> Table:
    return Table(headings=rows[0], rows=rows[1:])


def _wrapper(matcher: Any, step_type: str) -> Callable[..., Any]:
    func = matcher.func
    fields = list(matcher.parser.named_fields)

    def run_step(**kwargs: Any) -> Any:
        context = kwargs.pop(CONTEXT_FIXTURE)
        rows = kwargs.pop("datatable", None)
        text = kwargs.pop("docstring", None)
        context.table = _as_table(rows) if rows else None
        context.text = text
        with allure.step(f"{_KEYWORDS[step_type]} {matcher.pattern}"):
            if rows:
                evidence.attach_table("data table", rows[0], rows[1:])
            if text is not None:
                evidence.attach_text("doc string", text)
            return func(context, **kwargs)

    params = [inspect.Parameter(CONTEXT_FIXTURE, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in fields]
    params += [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        for name in ("datatable", "docstring")
    ]
    run_step.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run_step.__name__ = func.__name__
    run_step.__doc__ = func.__doc__
    return run_step


def install_steps(steps_dir: Path) -> int:
    """Register every behave step as a pytest-bdd step in the calling module; return the count.

    Call it at module level of the test module that also calls ``pytest_bdd.scenarios``.
    """
    registry = load_behave_steps(steps_dir)
    count = 0
    for step_type, matchers in registry.steps.items():
        for matcher in matchers:
            parser = parsers.parse(matcher.pattern, extra_types=TYPES, case_sensitive=True)
            type_ = None if step_type == "step" else step_type
            # stacklevel=2: pytest-bdd injects the step fixture into install_steps' caller.
            bdd_step(parser, type_, stacklevel=2)(_wrapper(matcher, step_type))
            count += 1
    return count


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def install_scenarios(features_dir: Path) -> int:
    """Create one pytest test per scenario in the calling module; return the count.

    Test names carry the concept folder and the feature file, ``test_<folder>__<feature>__<scenario>``,
    so ``pytest -k delta`` selects one concept and equal scenario names never collide.
    """
    namespace = sys._getframe(1).f_locals
    count = 0
    for feature in get_features([str(features_dir)]):
        prefix = f"test_{concept_folder(feature.filename) or 'features'}__{_slug(Path(feature.filename).stem)}"
        for name in feature.scenarios:
            test_name = f"{prefix}__{_slug(name)}"
            if test_name in namespace:
                raise ValueError(f"two scenarios named {name!r} in {feature.filename}: give each its own name")

            def run() -> None:
                """The scenario runs in pytest-bdd's wrapper."""

            namespace[test_name] = scenario(feature.filename, name, features_base_dir=str(features_dir))(run)
            count += 1
    return count
