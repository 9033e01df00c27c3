"""The living documentation, checked as a reader sees it: the Allure report opened in headless Chromium.

`make spec` builds reports/allure-report/index.html from the behave run; this test opens it
from disk in Debian's Chromium through Playwright (no browser download) and checks that every
concept's epic is shown with the number of scenarios its feature files hold.
"""

import os
from collections import Counter
from pathlib import Path

import pytest
from behave.parser import parse_file

from livingspec.infra.chromium import CHROMIUM, CHROMIUM_ARGS
from livingspec.registry import concept_folder, epic_for

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "allure-report" / "index.html"
pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    """Skip locally; in CI the report and the browser are part of the job, so fail."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


EPIC_TAG = "allure.label.epic:"


def expected_scenarios() -> Counter[str]:
    """Scenarios per epic, from the feature files themselves (outline rows expanded, @wip left out).

    The epic is the concept folder's title unless the feature names one with an
    ``@allure.label.epic:<name>`` tag, as the formatter does.
    """
    counts: Counter[str] = Counter()
    for path in sorted((ROOT / "features").rglob("*.feature")):
        feature = parse_file(str(path))
        tagged = [t[len(EPIC_TAG) :] for t in feature.tags if t.startswith(EPIC_TAG)]
        epic = tagged[0] if tagged else epic_for(path) or str(concept_folder(path))
        for scenario in feature.walk_scenarios():
            if "wip" not in scenario.effective_tags:
                counts[epic] += 1
    return counts


def shown_epics(page) -> dict[str, int]:
    """Epic title -> number of scenarios, as the report's tree shows them (passed, skipped... added up)."""
    page.wait_for_selector("[data-testid=tree-section-title]", timeout=60_000)
    shown: dict[str, int] = {}
    for section in page.locator("[data-testid=tree-section]").all():
        title = section.locator("[data-testid=tree-section-title]").first.inner_text().strip()
        numbers = [line.strip() for line in section.inner_text().splitlines()[1:] if line.strip().isdigit()]
        if numbers:
            shown[title] = sum(int(n) for n in numbers)
    return shown


@pytest.fixture(scope="module")
def report_page():
    if not REPORT.exists():
        _unavailable(f"{REPORT.relative_to(ROOT)} is missing: run `make spec` first")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing: `make test` installs Debian's chromium when run as root")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh, temporary user-data-dir of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(REPORT.as_uri())
        yield page
        browser.close()


def test_every_concept_epic_is_shown_with_its_scenario_count(report_page):
    expected = expected_scenarios()
    shown = shown_epics(report_page)
    assert expected, "no feature files found"
    missing = sorted(set(expected) - set(shown))
    assert not missing, f"epics missing from the report: {missing}; it shows {shown}. Rebuild with `make spec`."
    wrong = {epic: (expected[epic], shown[epic]) for epic in expected if shown[epic] != expected[epic]}
    assert not wrong, f"scenario counts differ (features, report): {wrong}. Rebuild with `make spec`."


def test_the_delta_epic_opens_onto_its_features(report_page):
    report_page.get_by_text("Delta encoding", exact=True).first.click()
    report_page.get_by_text("The packed form: Parquet's DELTA_BINARY_PACKED", exact=True).first.wait_for()
    report_page.get_by_text("Delta encoding", exact=True).first.click()  # fold it again
