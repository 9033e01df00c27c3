"""The report's own pages read as documentation: counts of scenarios only, no status on a page."""

import shutil
from collections import Counter
from pathlib import Path

import pytest

from livingspec.report.documentation import (
    PAGE_STYLE,
    count_scenarios,
    is_page_js,
    page_tally,
    style_pages,
    without_pages,
)

ROOT = Path(__file__).resolve().parents[2]


def _tree(*leaves: dict) -> dict:
    return {"root": {}, "groupsById": {}, "leavesById": {str(n): leaf for n, leaf in enumerate(leaves)}}


PAGE = {"status": "passed", "tags": ["concept-page"], "transition": "new"}
GLOSSARY = {"status": "broken", "tags": ["steps-glossary"]}
SCENARIO = {"status": "passed", "tags": ["seed-example"], "transition": "new"}


def test_the_pages_of_a_tree_are_tallied_and_taken_out_of_its_statistic():
    tally = page_tally(_tree(PAGE, GLOSSARY, SCENARIO, {"status": "skipped"}))
    assert tally == Counter({"total": 2, "passed": 1, "broken": 1, "new": 1})
    statistic = {"total": 4, "passed": 2, "broken": 1, "skipped": 1, "new": 2}
    assert without_pages(statistic, tally) == {"total": 2, "passed": 1, "skipped": 1, "new": 1}


def test_every_count_the_reader_sees_is_of_scenarios():
    tree = _tree(PAGE, SCENARIO, SCENARIO)
    charts = {
        "general": {
            "a": {"type": "currentStatus", "data": {"total": 3, "passed": 3}},
            "b": {"type": "statusDynamics", "data": [{"id": "current", "statistic": {"total": 3, "passed": 3}}]},
        },
        "byEnv": {"embedded": {"c": {"type": "currentStatus", "data": {"total": 3, "passed": 3}}}},
    }
    widgets = {
        "widgets/tree.json": tree,
        "widgets/embedded/tree.json": tree,
        "widgets/real/tree.json": _tree(SCENARIO),
        "widgets/statistic.json": {"total": 3, "passed": 3},
        "widgets/embedded/statistic.json": {"total": 3, "passed": 3},
        "widgets/real/statistic.json": {"total": 1, "passed": 1},
        "widgets/charts.json": charts,
    }
    out = count_scenarios(widgets)
    assert out["widgets/statistic.json"] == {"total": 2, "passed": 2}
    assert out["widgets/embedded/statistic.json"] == {"total": 2, "passed": 2}
    assert out["widgets/real/statistic.json"] == {"total": 1, "passed": 1}, "no page there: unchanged"
    assert out["widgets/charts.json"]["general"]["a"]["data"] == {"total": 2, "passed": 2}
    assert out["widgets/charts.json"]["general"]["b"]["data"][0]["statistic"] == {"total": 2, "passed": 2}
    assert out["widgets/charts.json"]["byEnv"]["embedded"]["c"]["data"] == {"total": 2, "passed": 2}


@pytest.mark.skipif(
    not shutil.which("node") or not (ROOT / "node_modules" / "@allurereport" / "web-commons").is_dir(),
    reason="node or the project's node_modules (Allure) is missing",
)
def test_the_summary_pie_is_redrawn_for_the_scenarios(monkeypatch):
    monkeypatch.chdir(ROOT)
    widgets = {
        "widgets/tree.json": _tree(PAGE, SCENARIO, {"status": "skipped"}),
        "widgets/statistic.json": {"total": 3, "passed": 2, "skipped": 1},
        "widgets/pie_chart.json": {"slices": [], "percentage": 0},
    }
    pie = count_scenarios(widgets)["widgets/pie_chart.json"]
    assert {(s["status"], s["count"]) for s in pie["slices"]} == {("passed", 1), ("skipped", 1)}
    assert pie["percentage"] == 100
    assert all(s["d"].startswith("M") for s in pie["slices"])


def test_a_page_is_told_by_its_tags_and_styled_once():
    pages = '"concept-page"===t||"steps-glossary"===t||"benchmarks-page"===t'
    assert is_page_js("e.tags") == f"(e.tags||[]).some((t=>{pages}))"
    html = style_pages("<html><head></head><body></body></html>")
    assert html.count(PAGE_STYLE) == 1 and style_pages(html) == html
