"""pytest configuration shared by every test: the specification plugin, hypothesis profiles, a behave project."""

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["livingspec.runner.pytest_plugin"]

# Hypothesis: a quick profile for local runs, a thorough one for CI (CI=true selects it).
settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "thorough" if os.environ.get("CI") else "quick"))


BehaveRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def behave_with(tmp_path: Path) -> BehaveRun:
    """Run behave on a feature text in a scratch project holding one step module (as a newcomer's project would).

    ``behave_with("chubby_steps.py", FEATURE, "-D", "target=embedded")`` returns the finished process; its
    output is ``stdout + stderr``.
    """

    def run(module: str, feature: str, *options: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "features").mkdir(exist_ok=True)
        (tmp_path / "steps").mkdir(exist_ok=True)
        shutil.copy(ROOT / "steps" / module, tmp_path / "steps" / module)
        shutil.copy(ROOT / "environment.py", tmp_path / "environment.py")
        (tmp_path / "features" / "this.feature").write_text(textwrap.dedent(feature), encoding="utf-8")
        argv = [sys.executable, "-m", "behave", "-f", "plain", "--no-capture", *options, "features"]
        return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)

    return run
