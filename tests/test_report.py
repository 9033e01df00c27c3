"""The living documentation, checked as a reader sees it: the Allure report opened in headless Chromium.

`make spec` builds reports/allure-report/index.html from the behave run (and from the real-target
run when `make real` made one); this test opens it from disk in Debian's Chromium through
Playwright (no browser download), records every request the page makes, and checks what a
newcomer needs: every concept's epic with all its scenarios, a page per concept, outline rows
named by their values, a step's evidence shown without a click, the reason of every skipped
scenario, the real run's Chromium screenshots when that run is in the report, and no request
outside the file; and, when `make bench` left results, the benchmarks page with its curves drawn.
"""

import base64
import json
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlencode, urlparse

import pytest
from behave.parser import parse_file

from livingspec.infra.chromium import CHROMIUM, CHROMIUM_ARGS
from livingspec.registry import CONCEPTS, FRAME_NAME, FRAME_TITLE, concept_folder, epic_for
from livingspec.runner.catalog import entries

ROOT = Path(__file__).resolve().parents[1]
#: The report to check: the one `make spec` built, or another named by this variable.
REPORT = Path(os.environ.get("LIVINGSPEC_REPORT") or ROOT / "reports" / "allure-report" / "index.html").resolve()
pytestmark = pytest.mark.browser
EPIC_TAG = "allure.label.epic:"
PAGE_TAG = "concept-page"
GLOSSARY_TAG = "steps-glossary"
BENCHMARKS_TAG = "benchmarks-page"
PAGES = {PAGE_TAG, GLOSSARY_TAG, BENCHMARKS_TAG}
BENCHMARKS = ROOT / "reports" / "benchmarks"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def _unavailable(reason: str) -> None:
    """Skip locally; in CI the report and the browser are part of the job, so fail."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def expected_scenarios() -> Counter[str]:
    """Scenarios per epic, from the feature files themselves (outline rows expanded, @wip left out)."""
    counts: Counter[str] = Counter()
    for path in sorted((ROOT / "features").rglob("*.feature")):
        feature = parse_file(str(path))
        tagged = [t[len(EPIC_TAG) :] for t in feature.tags if t.startswith(EPIC_TAG)]
        epic = tagged[0] if tagged else epic_for(path) or str(concept_folder(path))
        for scenario in feature.walk_scenarios():
            if "wip" not in scenario.effective_tags:
                counts[epic] += 1
    return counts


class Report:
    """The opened report: its page, the requests it made, and the test results it embeds."""

    def __init__(self, page, requests: list[str]) -> None:
        self.page = page
        self.requests = requests
        page.wait_for_selector("[data-testid=tree-section-title]", timeout=60_000)
        files = page.evaluate(
            "Object.entries(window.allureReportData || {}).filter(([name]) => name.startsWith('data/test-results/'))"
        )
        self.results = [json.loads(base64.b64decode(value)) for _, value in files]

    def attachment(self, attachment: dict) -> str:
        """An attachment's text as the report embeds it ("" when it is not there)."""
        key = f"data/attachments/{attachment.get('id')}{attachment.get('ext', '')}"
        body = self.page.evaluate("(key) => (window.allureReportData || {})[key] || ''", key)
        return base64.b64decode(body).decode("utf-8", errors="replace") if body else ""

    def labels(self, result: dict, name: str) -> list[str]:
        return [item["value"] for item in result.get("labels", []) if item["name"] == name]

    def scenarios(self, target: str = "embedded") -> list[dict]:
        """The scenarios of one environment (the report's own pages left out)."""
        return [
            r
            for r in self.results
            if not PAGES & set(self.labels(r, "tag")) and (r.get("environment") or "embedded").startswith(target)
        ]

    def open(self, result: dict) -> None:
        """Show one test result, as a click on it in the tree does."""
        self.page.goto(f"{REPORT.as_uri()}#{result['id']}")
        self.page.wait_for_selector("[data-testid=test-result-info-title]", timeout=30_000)

    def search(self, query: str) -> list[str]:
        """The names of the tests the report's search box finds for ``query``, every group opened."""
        self.page.goto(f"{REPORT.as_uri()}?{urlencode({'query': query})}")
        self.page.wait_for_selector("[data-testid=search-input]", timeout=30_000)
        self.page.wait_for_timeout(300)  # the search index loads after the page
        for _ in range(8):  # one round per tree level: environment, concept, feature, rule
            closed = self.page.evaluate(_MARK_CLOSED_GROUPS)
            if not closed:
                break
            for title in self.page.locator("[data-closed='1']").all():
                title.click()
        return [t.strip() for t in self.page.locator("[data-testid=tree-leaf-title]").all_inner_texts()]


#: Marks the title of every tree group shown closed (a group's children follow it once it is open).
_MARK_CLOSED_GROUPS = """() => {
  let closed = 0;
  for (const section of document.querySelectorAll('[data-testid=tree-section]')) {
    const title = section.querySelector(':scope > [data-testid=tree-section-title]');
    if (!title) continue;
    const next = section.nextElementSibling;
    if (next && next.dataset.testid === 'tree-content') { delete title.dataset.closed; continue; }
    title.dataset.closed = '1';
    closed++;
  }
  return closed;
}"""


def _steps(node: dict):
    for step in node.get("steps", []) or []:
        yield step
        yield from _steps(step)


@pytest.fixture(scope="module")
def report():
    if not REPORT.exists():
        _unavailable(f"{REPORT} is missing: run `make spec` first")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing: `make test` installs Debian's chromium when run as root")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh, temporary user-data-dir of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(REPORT.as_uri())
        yield Report(page, requests)
        browser.close()


def test_every_concept_epic_is_shown_with_its_scenario_count(report):
    expected = expected_scenarios()
    assert expected, "no feature files found"
    shown = Counter(epic for r in report.scenarios() for epic in report.labels(r, "epic"))
    missing = sorted(set(expected) - set(shown))
    assert not missing, f"epics missing from the report: {missing}; it has {dict(shown)}. Rebuild with `make spec`."
    wrong = {epic: (expected[epic], shown[epic]) for epic in expected if shown[epic] != expected[epic]}
    assert not wrong, f"scenario counts differ (features, report): {wrong}. Rebuild with `make spec`."
    titles = report.page.locator("[data-testid=tree-section-title]").all_inner_texts()
    assert {c.title for c in CONCEPTS} | {FRAME_TITLE} <= {t.strip() for t in titles}


def test_the_concepts_read_in_the_registrys_order_with_the_specification_apart(report):
    titles = [t.strip() for t in report.page.locator("[data-testid=tree-section-title]").all_inner_texts()]
    wanted = [c.title for c in CONCEPTS] + [FRAME_TITLE]
    firsts = [titles.index(title) for title in wanted]
    assert firsts == sorted(firsts), f"the tree reads {titles}"


@pytest.mark.parametrize("title", [c.title for c in CONCEPTS] + [FRAME_TITLE])
def test_each_concept_has_its_page(report, title):
    pages = [r for r in report.results if PAGE_TAG in report.labels(r, "tag") and title in report.labels(r, "epic")]
    assert pages, f"no concept page for {title}"
    report.open(pages[0])
    frame = report.page.frame_locator("[data-testid=test-result-description-frame]")
    for heading in ("Read in this order", "What it is."):
        frame.get_by_text(heading).first.wait_for(timeout=10_000)
    if title != FRAME_TITLE:
        frame.get_by_text("Glossary").first.wait_for(timeout=10_000)


@pytest.fixture(scope="module")
def catalog():
    """The step catalog as the step modules give it now, by concept folder."""
    grouped: dict[str, list] = {}
    for entry in entries(ROOT / "steps", ROOT / "features"):
        grouped.setdefault(entry.concept, []).append(entry)
    return grouped


TITLE_OF = {c.name: c.title for c in CONCEPTS} | {FRAME_NAME: FRAME_TITLE}


@pytest.mark.parametrize("folder", list(TITLE_OF))
def test_each_concept_has_its_current_glossary_of_steps(report, catalog, folder):
    title, items = TITLE_OF[folder], catalog[folder]
    pages = [r for r in report.results if GLOSSARY_TAG in report.labels(r, "tag") and title in report.labels(r, "epic")]
    assert pages, f"no glossary of steps for {title}"
    assert f"({len(items)} steps)" in pages[0]["name"], "the steps changed since the report: rebuild with `make spec`"
    report.open(pages[0])
    frame = report.page.frame_locator("[data-testid=test-result-description-frame]")
    for entry in (items[0], items[-1]):
        frame.get_by_text(entry.phrases[0][1], exact=True).first.wait_for(timeout=10_000)


def test_a_step_phrase_finds_its_glossary_and_the_scenarios_using_it(report, catalog):
    entry = next(e for e in catalog["chubby"] if e.example and "{" in e.phrases[0][1])
    words = " ".join(w for w in entry.phrases[0][1].split() if "{" not in w and "}" not in w)
    found = report.search(words)
    glossary = f"{TITLE_OF['chubby']}: glossary of steps ({len(catalog['chubby'])} steps)"
    assert glossary in found, (words, found)
    assert len(found) > 2, f"no scenario found by {words!r}: {found}"
    chubby = {r["name"] for r in report.scenarios() if TITLE_OF["chubby"] in report.labels(r, "epic")}
    after = [name for name in found if name in chubby]
    assert after and found.index(glossary) < found.index(after[0]), f"the glossary is not listed first: {found}"


@pytest.mark.parametrize(
    ("term", "folder"),
    [("Paxos", "chubby"), ("lock-delay", "chubby"), ("zigzag", "delta"), ("PKCE", "oidc"), ("Thompson", "nfa")],
)
def test_a_glossary_term_finds_its_concept_page(report, term, folder):
    found = report.search(term)
    page = f"{TITLE_OF[folder]}: definition, reading order, glossary, sources"
    assert page in found, f"searching {term!r} found {found}"


def test_a_wide_tables_numbers_stay_whole(report):
    """A table wider than the page scrolls sideways; no cell breaks a number or a word in two."""
    widest = max(report.scenarios(), key=lambda r: max((_columns(report, a) for a in _all_attachments(r)), default=0))
    report.open(widest)
    report.page.locator("[data-testid=test-result-attachment] table").first.wait_for(timeout=10_000)
    broken = report.page.evaluate(_BROKEN_CELLS)
    assert not broken, f"{widest['name']}: cells broken across lines: {broken[:5]}"


#: Table cells without a space whose text still takes more than one line.
_BROKEN_CELLS = """() => [...document.querySelectorAll('[data-testid=test-result-attachment] table :is(td, th)')]
  .filter(cell => cell.textContent.trim() && !/\\s/.test(cell.textContent.trim()))
  .filter(cell => { const range = document.createRange(); range.selectNodeContents(cell);
                    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1; })
  .map(cell => cell.textContent.trim())"""


def _all_attachments(result: dict) -> list[dict]:
    return [a for s in _steps(result) for a in _attachments(s)]


def _columns(report: Report, attachment: dict) -> int:
    """How many columns a CSV attachment has (0 for any other kind)."""
    if _type(attachment) != "text/csv":
        return 0
    body = report.attachment(attachment)
    return body.splitlines()[0].count(",") + 1 if body else 0


def test_an_outline_row_is_named_by_its_values(report):
    rows = [r for r in report.scenarios() if r.get("parameters")]
    assert rows, "no outline rows in the report"
    unnamed = [
        r["name"] for r in rows if " -- @" in r["name"] or not any(p["value"] in r["name"] for p in r["parameters"])
    ]
    assert not unnamed, f"outline rows not named by their values: {unnamed[:5]}"
    row = next((r for r in rows if " — " in r["name"]), rows[0])  # one whose values the formatter added
    values = [p["value"] for p in row["parameters"]]
    report.open(row)
    title = report.page.locator("[data-testid=test-result-info-title]").inner_text()
    assert any(value in title for value in values), f"{title!r} names none of {values}"


def test_a_steps_evidence_is_visible_without_a_click(report):
    with_picture = [
        r
        for r in report.scenarios()
        if any(a.get("contentType", a.get("type")) == "image/svg+xml" for s in _steps(r) for a in _attachments(s))
    ]
    assert with_picture, "no step attaches a picture"
    report.open(with_picture[0])
    picture = report.page.locator("[data-testid=test-result-attachment] img")  # the preview, not an icon
    picture.first.wait_for(state="visible", timeout=10_000)


def _attachments(step: dict) -> list[dict]:
    """A step's attachments as the report stores them (steps of type attachment, or a list)."""
    out = list(step.get("attachments") or [])
    out += [s.get("link", s) for s in step.get("steps", []) or [] if s.get("type") == "attachment"]
    return out


def test_every_skipped_scenario_shows_its_reason(report):
    skipped = [r for r in report.scenarios() if r.get("status") == "skipped"]
    without = [r["name"] for r in skipped if not (r.get("error") or {}).get("message")]
    assert not without, f"skipped without a reason: {without}"
    if skipped:
        report.open(skipped[0])
        reason = skipped[0]["error"]["message"]
        report.page.get_by_text(reason[:60]).first.wait_for(state="visible", timeout=10_000)


def test_the_real_runs_chromium_screenshots_are_there_when_that_run_is(report):
    real = [r for r in report.scenarios("real") if "Behaviour-driven development" in report.labels(r, "epic")]
    if not real:
        pytest.skip("the report holds no real-target run of the login feature (`make real spec` includes it)")
    shots = [r for r in real if any(_type(a) == "image/png" for s in _steps(r) for a in _attachments(s))]
    assert shots, "the real login run attached no Chromium screenshot"
    report.open(shots[0])
    report.page.locator("[data-testid=test-result-attachment] img").first.wait_for(state="visible", timeout=10_000)


def _type(attachment: dict) -> str:
    return str(attachment.get("contentType") or attachment.get("type") or "")


def test_no_request_leaves_the_file(report):
    report.open(report.scenarios()[0])
    outside = sorted({url for url in report.requests if not url.startswith(LOCAL_SCHEMES)})
    assert report.requests, "no request recorded at all: the recorder is broken"
    assert not outside, f"the report asked outside the file: {outside}"


def _widget(report: Report, name: str):
    body = report.page.evaluate("(key) => (window.allureReportData || {})[key] || ''", f"widgets/{name}")
    return json.loads(base64.b64decode(body)) if body else None


def test_the_summary_counts_scenarios_not_pages(report):
    scenarios = [r for r in report.results if not PAGES & set(report.labels(r, "tag"))]
    assert len(scenarios) < len(report.results), "the report has no pages"
    statistic = _widget(report, "statistic.json")
    assert statistic["total"] == len(scenarios), f"the summary counts {statistic}; there are {len(scenarios)} scenarios"
    report.page.goto(REPORT.as_uri())
    report.page.wait_for_selector("[data-testid=tree-section-title]", timeout=30_000)
    shown = report.page.locator("body").inner_text()
    assert re.search(rf"Total\s+{len(scenarios)}\b", shown), f"the summary does not say {len(scenarios)}: {shown[:400]}"


def test_a_page_shows_no_status_severity_or_duration(report):
    page = next(r for r in report.results if PAGE_TAG in report.labels(r, "tag"))
    scenario = report.scenarios()[0]
    report.open(scenario)
    report.page.locator("[data-testid^=test-result-status-]").first.wait_for(timeout=10_000)  # a scenario has one
    report.open(page)
    assert not report.page.locator("[data-testid^=test-result-status-]").count(), "the concept page shows a status"
    assert "Normal" not in report.page.locator("[data-testid=test-result-info-title]").locator("..").inner_text()
    assert page["name"] in report.search("definition")
    leaf = report.page.locator("button[data-doc-page]").first
    leaf.wait_for(timeout=10_000)
    assert not leaf.locator("[data-testid=tree-leaf-duration]").is_visible(), "a page's tree leaf shows a duration"


def test_a_scenarios_feature_link_opens_its_file_from_the_report(report):
    scenario = next(
        r for r in report.scenarios() if any(".feature:" in (link.get("name") or "") for link in r["links"])
    )
    report.open(scenario)
    link = report.page.locator("[data-testid=test-result-meta-link] a", has_text=".feature:").first
    link.wait_for(timeout=10_000)
    href = link.get_attribute("href") or ""
    name = link.inner_text().strip().rsplit(":", 1)[0]
    assert href.startswith("file:"), f"{name} links to {href!r}"
    target = Path(unquote(urlparse(href).path))
    assert target.is_file() and target.as_posix().endswith(name), f"{href} does not open {name}"


def test_the_benchmarks_page_draws_its_curves_and_the_search_finds_it(report):
    pages = [r for r in report.results if BENCHMARKS_TAG in report.labels(r, "tag")]
    if not pages:
        if any(BENCHMARKS.glob("*.json")):
            pytest.fail(f"{BENCHMARKS} holds results but the report has no benchmarks page: rebuild with `make report`")
        pytest.skip("no benchmark results (`make bench`), so the report has no benchmarks page")
    page = pages[0]
    assert FRAME_TITLE in report.labels(page, "epic")
    drawn = (page.get("descriptionHtml") or "").count('src="data:image/svg+xml;base64,')
    assert drawn, "the benchmarks page draws no curve"
    report.open(page)
    frame = report.page.frame_locator("[data-testid=test-result-description-frame]")
    frame.get_by_text("make bench").first.wait_for(timeout=10_000)
    pictures = frame.locator("figure img")
    pictures.first.wait_for(state="visible", timeout=10_000)
    assert pictures.count() >= drawn
    sizes = pictures.evaluate_all("(images) => images.map((i) => [i.naturalWidth, i.getBoundingClientRect().width])")
    assert all(natural > 0 and shown > 200 for natural, shown in sizes), f"a plot is not drawn: {sizes}"
    height = report.page.locator("[data-testid=test-result-description-frame]").bounding_box()["height"]
    assert height > 300 * drawn, f"the page's frame ({height}px) does not show its {drawn} plots"
    for word in ("HAProxy", "pyarrow"):  # its name says "Benchmarks"; these two only its text
        assert page["name"] in report.search(word), f"searching {word!r} does not find the benchmarks page"
