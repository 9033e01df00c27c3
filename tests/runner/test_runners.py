"""Both runners on a small project of their own: Rules in the Allure results, undefined steps, tables.

Each test builds a temporary project (features/, the real steps/, environment.py, behave.ini)
and runs behave or pytest on it in a subprocess, as a user would.
"""

import json
import os
import re
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
    Feature: A tally kept by a demo
      The demo's own description, shown in the report.

      Rule: Tables and doc strings inside a Rule
        The rule's description.

        Scenario: A table inside a Rule
          Given an empty tally
          And the tally holds:
            | item   | count |
            | apples | 2     |
          When 1 apples are added
          Then the tally of apples is 3

        Scenario: A doc string inside a Rule
          When the note is recorded:
            \"\"\"
            one
            two
            \"\"\"
          Then the note has 2 lines
    """
)

UNDEFINED = textwrap.dedent(
    """\
    Feature: A step nobody wrote
      Scenario: An undefined step
        Given an empty tally
        When the tally is juggled by a unicorn
    """
)


def make_project(tmp_path: Path, feature_text: str) -> Path:
    project = tmp_path / "project"
    (project / "features" / "demo_concept").mkdir(parents=True)
    (project / "features" / "demo_concept" / "demo.feature").write_text(feature_text)
    os.symlink(ROOT / "steps", project / "steps")
    shutil.copy(ROOT / "environment.py", project / "environment.py")
    (project / "behave.ini").write_text(
        "[behave]\nformat = livingspec.runner.formatter:LivingSpecAllureFormatter\n"
        "outfiles = results\ndefault_format = plain\n"
    )
    (project / "test_demo.py").write_text(
        "from pathlib import Path\n"
        "from livingspec.runner.bridge import install_scenarios, install_steps\n"
        f"install_steps(Path({str(ROOT / 'steps')!r}))\n"
        "install_scenarios(Path(__file__).parent / 'features')\n"
    )
    return project


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def results(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in folder.glob("*-result.json")]


def labels(result: dict) -> dict[str, str]:
    return {label["name"]: label["value"] for label in result["labels"]}


def test_behave_reports_rule_scenarios_with_tables_and_doc_strings(tmp_path):
    project = make_project(tmp_path, FEATURE)
    done = run([str(BIN / "behave"), "--no-capture"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    found = {r["name"]: r for r in results(project / "results")}
    assert set(found) == {"A table inside a Rule", "A doc string inside a Rule"}, done.stdout
    for result in found.values():
        assert result["status"] == "passed"
        assert labels(result)["story"] == "Tables and doc strings inside a Rule"
        assert labels(result)["epic"] == "Demo concept"
        assert "The demo's own description" in result["description"]
        assert "The rule's description" in result["description"]
    table_step = found["A table inside a Rule"]["steps"][1]
    assert table_step["attachments"][0]["type"] == "text/csv"
    text = (project / "results" / table_step["attachments"][0]["source"]).read_text()
    assert "apples,2" in text


def test_behave_fails_on_an_undefined_step_and_shows_the_snippet(tmp_path):
    project = make_project(tmp_path, UNDEFINED)
    done = run([str(BIN / "behave")], project)
    assert done.returncode != 0
    assert "@when(u'the tally is juggled by a unicorn')" in done.stdout + done.stderr


def test_pytest_fails_on_an_undefined_step_and_shows_behaves_snippet(tmp_path):
    project = make_project(tmp_path, UNDEFINED)
    done = run([str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-q", "test_demo.py"], project)
    assert done.returncode != 0
    assert "Undefined step: When the tally is juggled by a unicorn" in done.stdout
    assert "@when(u'the tally is juggled by a unicorn')" in done.stdout


def test_pytest_names_the_step_module_of_the_features_folder_for_an_undefined_step(tmp_path):
    project = make_project(tmp_path, UNDEFINED)
    done = run([str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-q", "test_demo.py"], project)
    assert done.returncode != 0
    assert "Implement it in steps/demo_concept_steps.py:" in done.stdout, done.stdout


def test_pytest_runs_rule_scenarios_and_records_their_data_tables_in_allure(tmp_path):
    project = make_project(tmp_path, FEATURE)
    argv = [str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-q", "test_demo.py", "--alluredir=ar"]
    done = run(argv, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    found = {r["name"]: r for r in results(project / "ar")}
    table_test = next(r for name, r in found.items() if "table_inside_a_rule" in name)
    attachments = [a for step in table_test["steps"] for a in step.get("attachments", [])]
    assert any(a["name"] == "data table" and a["type"] == "text/csv" for a in attachments), table_test["steps"]


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_both_runners_run_the_living_specification_feature(runner):
    if runner == "behave":
        argv = [str(BIN / "behave"), "-f", "progress", "--dry-run", "features/living_specification"]
        done = run(argv, ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "9 untested" in done.stdout or "9 scenarios" in done.stdout
    else:
        done = run(
            [
                str(BIN / "pytest"),
                "-q",
                "tests/test_features.py",
                "-k",
                "living_specification",
                "-p",
                "no:cacheprovider",
            ],
            ROOT,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "9 passed" in done.stdout


# Errors that teach, under both runners: an unknown choice lists the known values; a missing Given is named.

UNKNOWN_CHOICE = """\
Feature: A value outside a choice
  Scenario: Sorting by an order nobody knows
    Given an empty tally
    When the tally is sorted by colour
"""

MISSING_GIVEN = """\
Feature: A step before the step it needs
  Scenario: Counting without a tally
    Then the tally of apples is 1
"""


def _run(runner: str, project: Path) -> str:
    if runner == "behave":
        done = run([str(BIN / "behave"), "--no-capture", "-f", "plain"], project)
    else:
        done = run([str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-q", "test_demo.py"], project)
    assert done.returncode != 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _is_a_clean_failure(runner: str, output: str, step: str) -> None:
    """The step failed (not errored) and the report shows the sentence without a traceback."""
    assert "Traceback" not in output, output
    if runner == "behave":
        assert f"{step} ... failed" in output, output
        assert "error" not in output.rsplit("Failing scenarios:", maxsplit=1)[-1], output
    else:
        assert f"Step failed: {step}" in output, output
        assert "site-packages" not in output and "types.py" not in output and "world.py" not in output, output


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_an_unknown_choice_fails_the_step_with_the_known_values_not_as_undefined(tmp_path, runner):
    output = _run(runner, make_project(tmp_path, UNKNOWN_CHOICE))
    assert "unknown order 'colour'; known: name, count" in output
    assert "Undefined step" not in output and "undefined" not in output.lower().replace("undefined: 0", "")
    _is_a_clean_failure(runner, output, "When the tally is sorted by colour")


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_a_step_before_its_given_names_the_given(tmp_path, runner):
    output = _run(runner, make_project(tmp_path, MISSING_GIVEN))
    assert ("StepOrderError: " if runner == "pytest" else "ASSERT FAILED: ") + "this step needs a tally" in output
    advice = "this step needs a tally, which no earlier step gave; start with a step such as: Given an empty tally"
    assert advice in output
    assert "AttributeError" not in output
    _is_a_clean_failure(runner, output, "Then the tally of apples is 1")


# The README's worked examples, exactly as printed, under both runners.
README = ROOT / "README.md"


def _readme_gherkin_blocks() -> list[str]:
    text = README.read_text()
    return [textwrap.dedent(block) for block in re.findall(r"```gherkin\n(.*?)```", text, re.DOTALL)]


def _with_rows(feature: str, rows_block: str) -> str:
    """The feature with the README's Examples block put where its first two lines stand."""
    printed = [line.strip() for line in rows_block.strip().splitlines()]
    lines = feature.splitlines()
    for index in range(len(lines) - len(printed)):
        if [line.strip() for line in lines[index : index + 3]] == printed[:3]:
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            return "\n".join([*lines[:index], *(indent + line for line in printed), *lines[index + 3 :]]) + "\n"
    raise AssertionError(f"the README's Examples block does not match {README.name}'s feature: {printed[:3]}")


def _readme_project(tmp_path: Path) -> Path:
    blocks = _readme_gherkin_blocks()
    assert len(blocks) == 2, f"expected the README's two worked examples, found {len(blocks)}"
    rows, scenario = blocks
    project = make_project(tmp_path, scenario)
    delta = (ROOT / "features" / "delta" / "delta_encoding.feature").read_text()
    (project / "features" / "delta").mkdir()
    (project / "features" / "delta" / "delta_encoding.feature").write_text(_with_rows(delta, rows))
    return project


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_the_readme_examples_run_as_printed(tmp_path, runner):
    project = _readme_project(tmp_path)
    if runner == "behave":
        done = run([str(BIN / "behave"), "-f", "plain", "--no-capture"], project)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "0 failed" in output and "undefined" not in output.split("scenarios passed")[-1].replace(
            "0 undefined", ""
        )
    else:
        done = run([str(BIN / "pytest"), "-p", "livingspec.runner.pytest_plugin", "-v", "test_demo.py"], project)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
    assert "10, 20, 15" in (project / "features" / "delta" / "delta_encoding.feature").read_text()
    # The new row and the new scenario both ran: the row's scenario and "A week of prices" are in the output.
    if runner == "behave":
        assert "A week of prices, delta encoded" in output
        assert "10, 20, 15" in output
    else:
        assert re.search(r"a_week_of_prices_delta_encoded PASSED", output), output
        assert re.search(r"any_int64_series_round_trips\S*\[10, 20, 15-10, \+10, -5\] PASSED", output), output


UNKNOWN_FIELD = """\
Feature: A metadata field nobody knows
  Scenario: Checking a field a node does not have
    Given a Chubby cell of 5 replicas
    And the Chubby clients Writer have open sessions
    When the Chubby client Writer writes "x" to /ls/local/flag
    Then the Chubby file /ls/local/flag has this metadata:
      | field  | value |
      | colour | red   |
"""


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_an_unknown_table_field_fails_listing_the_known_fields(tmp_path, runner):
    output = _run(runner, make_project(tmp_path, UNKNOWN_FIELD))
    assert "unknown metadata field 'colour'; known: path, kind, ephemeral, instance_number" in output, output
    assert "KeyError" not in output


MISSPELT_COLUMN = """\
Feature: A table with a misspelt heading
  Scenario: Filling the tally with an amount column
    Given an empty tally
    And the tally holds:
      | item   | amount |
      | apples | 2      |
"""


@pytest.mark.parametrize("runner", ["behave", "pytest"])
def test_a_misspelt_table_column_fails_naming_the_columns_to_write(tmp_path, runner):
    output = _run(runner, make_project(tmp_path, MISSPELT_COLUMN))
    assert "the table has no column 'count'; this step reads the columns: item, count" in output, output
    assert "KeyError" not in output
    _is_a_clean_failure(runner, output, "And the tally holds:")
