"""The delta steps teach under both runners: unknown values list the known ones, a missing Given is named."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FEATURE = textwrap.dedent(
    """\
    Feature: Delta steps used wrongly
      Scenario: An unknown series kind
        Given a sine wave series of 10 values

      Scenario: An unknown error kind
        Given the integer series 1, 2, 3
        And the series is packed
        Then unpacking fails with the cosmic ray error saying "x"

      Scenario: An unknown dtype
        When the values 1, 2 of type decimal128 are delta encoded

      Scenario: A step before the Given it needs
        When the series is packed

      Scenario: A series description with a setting no shape reads
        Given a series of 10 values described by:
          | setting | value   |
          | shape   | regular |
          | colour  | red     |
    """
)

MESSAGES = [
    "unknown series kind 'sine wave'; known: regular timestamp, jittered timestamp, stock price random walk",
    "unknown delta error 'cosmic ray'; known: truncated data, value count, corrupt data",
    "unknown dtype 'decimal128'; known: int8, int16",
    "this step needs an integer series, which no earlier step gave; start with a step such as: "
    "Given the integer series 1, 2, 3",
    "unknown series setting 'colour'; known: shape, start",
]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "features" / "delta").mkdir(parents=True)
    (project / "features" / "delta" / "wrong.feature").write_text(FEATURE)
    (project / "steps").mkdir()
    os.symlink(ROOT / "steps" / "delta_steps.py", project / "steps" / "delta_steps.py")
    shutil.copy(ROOT / "environment.py", project / "environment.py")
    (project / "behave.ini").write_text("[behave]\ndefault_format = plain\n")
    (project / "test_wrong.py").write_text(
        "from pathlib import Path\n"
        "from livingspec.runner.bridge import install_scenarios, install_steps\n"
        "install_steps(Path(__file__).parent / 'steps')\n"
        "install_scenarios(Path(__file__).parent / 'features')\n"
    )
    return project


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_wrong_uses_fail_with_advice_not_as_undefined_steps(tmp_path, runner):
    project = _project(tmp_path)
    argv = (
        [str(BIN / "behave"), "--no-capture"]
        if runner == "behave"
        else [str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-p", "no:cacheprovider", "test_wrong.py"]
    )
    done = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    for message in MESSAGES:
        assert message in output, f"missing {message!r} in:\n{output}"
    assert "AttributeError" not in output
    assert "Undefined step" not in output and "StepDefinitionNotFound" not in output
