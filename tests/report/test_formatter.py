"""The Allure formatter on a small project of its own: names, texts, links, skips, fresh folders.

Each test writes a feature, a step module and behave.ini into a temporary folder and runs behave
there in a subprocess, as a user would.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

BIN = Path(sys.executable).parent

FEATURE = textwrap.dedent(
    """\
    Feature: A counter
      As a reader
      I want the story kept
      So that it reads as written

      Key properties:
      - it counts up,
        one at a time;
      - it never goes below zero.

      When it is new it shows zero (RFC 9110 is not about counters).

      Rule: Counting up

        Scenario Outline: Adding to the counter
          Given a counter at <start>
          When <n> is added
          Then the counter shows <total>

          Examples:
            | start | n | total |
            | 0     | 2 | 2     |
            | 5     | 1 | 6     |

      @skipme
      Scenario: Not on this target
        Given a counter at 0
    """
)

STEPS = textwrap.dedent(
    """\
    import allure
    from behave import given, then, when

    @given("a counter at {start:d}")
    def a_counter(context, start):
        context.count = start

    @when("{n:d} is added")
    def added(context, n):
        context.count += n

    @then("the counter shows {total:d}")
    def shows(context, total):
        assert context.count == total
        if total == 6:
            allure.dynamic.label("seed-correction", "corrected")
    """
)

ENVIRONMENT = textwrap.dedent(
    """\
    def before_scenario(context, scenario):
        if "skipme" in scenario.tags:
            scenario.skip("runs only on the other target")
    """
)


def project(tmp_path: Path) -> Path:
    (tmp_path / "features" / "counter").mkdir(parents=True)
    (tmp_path / "features" / "counter" / "counter.feature").write_text(FEATURE)
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "counter_steps.py").write_text(STEPS)
    (tmp_path / "environment.py").write_text(ENVIRONMENT)
    (tmp_path / "behave.ini").write_text(
        "[behave]\nformat = livingspec.runner.formatter:LivingSpecAllureFormatter\n"
        "outfiles = results\ndefault_format = plain\nshow_skipped = true\n"
        "scenario_outline_annotation_schema = {name} -- @{row.id}\n"
    )
    return tmp_path


def behave(folder: Path, *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "behave"), *args], check=False, cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def results(folder: Path) -> dict[str, dict]:
    return {r["name"]: r for r in (json.loads(p.read_text()) for p in folder.glob("*-result.json"))}


def test_outline_rows_skips_links_and_descriptions(tmp_path):
    folder = project(tmp_path)
    behave(folder)
    found = results(folder / "results")
    assert set(found) == {
        "Adding to the counter — start: 0, n: 2, total: 2",
        "Adding to the counter — start: 5, n: 1, total: 6",
        "Not on this target",
    }
    skipped = found["Not on this target"]
    assert skipped["status"] == "skipped"
    assert skipped["statusDetails"]["message"] == "runs only on the other target"
    row = found["Adding to the counter — start: 0, n: 2, total: 2"]
    links = {link["name"]: link["url"] for link in row["links"]}
    assert links["features/counter/counter.feature:22"] == "../../features/counter/counter.feature"  # the row's line
    assert links["RFC 9110"] == "https://www.rfc-editor.org/rfc/rfc9110"
    assert row["description"].startswith("*A counter*: As a reader")
    assert "**Rule: Counting up**" in row["description"]
    assert "Key properties" not in row["description"], "the feature's whole text belongs on the concept page"
    labels = {label["name"]: label["value"] for label in row["labels"]}
    assert labels["target"] == "embedded" and labels["story"] == "Counting up"
    assert "seed-correction" not in labels
    corrected = found["Adding to the counter — start: 5, n: 1, total: 6"]
    assert {"name": "seed-correction", "value": "corrected"} in corrected["labels"], "a step's label was lost"


def test_each_run_starts_afresh_and_a_real_run_keeps_its_own_folder(tmp_path):
    folder = project(tmp_path)
    behave(folder)
    behave(folder)
    assert len(results(folder / "results")) == 3, "a second run kept the first one's results (shown as retries)"
    behave(folder, "-D", "target=real")
    assert len(results(folder / "results")) == 3
    real = results(folder / "results-real")
    assert len(real) == 3
    assert {label["value"] for r in real.values() for label in r["labels"] if label["name"] == "target"} == {"real"}
