"""The glossary of steps in the report: a page per concept, built from the step modules (issue 17, item 3)."""

import json
from pathlib import Path

from livingspec.report.pages import GLOSSARY_TAG, START_HERE
from livingspec.report.results import write_result
from livingspec.report.steps_glossary import glossary_page, write_glossaries
from livingspec.runner.catalog import Entry

ROOT = Path(__file__).resolve().parents[2]


def _scenario(epic: str, start: int) -> dict:
    return {
        "uuid": f"s-{epic}",
        "name": "a scenario",
        "start": start,
        "labels": [{"name": "epic", "value": epic}, {"name": "target", "value": "real"}],
    }


def test_each_concept_with_scenarios_gets_its_glossary_from_the_step_modules(tmp_path):
    write_result(tmp_path / "a-result.json", _scenario("Chubby lock service", 1000))
    written = write_glossaries(tmp_path, ROOT / "steps", ROOT / "features")
    assert len(written) == 1, "only the concept that has scenarios here"
    page = json.loads(written[0].read_text(encoding="utf-8"))
    labels = {(item["name"], item["value"]) for item in page["labels"]}
    assert {
        ("epic", "Chubby lock service"),
        ("feature", START_HERE),
        ("tag", GLOSSARY_TAG),
        ("target", "real"),
    } <= labels
    assert "`a Chubby cell of {replicas:d} replicas`" in page["description"]
    assert "features/chubby/" in page["description"], "each phrase shows a line of a feature using it"
    assert "# Glossary of steps" not in page["description"], "the page's own name says what it is"
    assert page["start"] == 999 and page["status"] == "passed"


def test_a_step_no_feature_uses_breaks_the_glossary_and_is_named():
    used = Entry("delta", [("Given", "a series")], "A series.", example="Given a series   (f.feature:3)")
    unused = Entry("delta", [("Then", "nobody says this")], "Never used.")
    page = glossary_page("delta", "Delta encoding", [used, unused], target="embedded", start=5)
    assert page["status"] == "broken"
    assert page["statusDetails"]["message"].endswith("nobody says this")
    assert glossary_page("delta", "Delta encoding", [used], target="embedded", start=5)["status"] == "passed"
