"""The Allure formatter behave uses: allure-behave's, mended for Rules and living documentation.

allure-behave 2.16 wraps only ``feature.scenarios``; behave 1.3 keeps a Rule's scenarios in
``feature.rules[i].scenarios``, so those never started an Allure test (missing from the report,
and a data table or doc string in one crashed the formatter with ``KeyError: None``;
allure-python issue 886). This formatter also wraps each rule's scenarios and labels every test:
epic = the concept (its features/ folder), feature = the feature, story = the rule, target = the
selected target (the report's environments come from it).

For the reader it also: writes descriptions as the feature file has them (paragraphs, lists and
story lines, read back from the file: behave drops blank lines); gives each scenario the rule's
and its own description and one line pointing to its feature (the whole feature description is on
the concept's page, once); names outline rows by their values; links each scenario to its feature
file and line and to the sources the text cites; names a step's data table and doc string; keeps the
labels a step adds (``allure.dynamic.label``, e.g. ``seed-correction``); gives a
skipped scenario its reason; and starts every run from an empty results folder (a previous run's
results would show up as retries), one folder per target (``-D target=real`` writes beside the
configured folder, into ``<folder>-real``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_behave.utils import step_table
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, Link, StatusDetails, TestStepResult
from allure_commons.types import AttachmentType, LabelType
from allure_commons.utils import get_testplan, now, uuid4

from livingspec.registry import epic_for
from livingspec.report.markdown import first_sentence, source_description, to_markdown
from livingspec.report.sources import cited

#: Where the report links a feature file: relative to reports/allure-report/index.html by default,
#: or under this address (e.g. a repository's web view, ending in "/") when the variable is set.
SOURCE_URL_VARIABLE = "LIVINGSPEC_SOURCE_URL"
TARGET_LABEL = "target"
_RESULT_FILE = re.compile(r".*-(?:result\.json|container\.json|attachment(?:\.\w+)?)$")


def _paragraphs(lines: list[str] | None) -> str:
    """A Gherkin description (behave's lines) as Markdown; kept for callers of the old name."""
    return to_markdown(lines)


def description_of(element: Any) -> str:
    """The Markdown description of a feature, rule or scenario, read from its file when possible."""
    filename = getattr(element, "filename", None) or getattr(getattr(element, "feature", None), "filename", None)
    steps_follow = getattr(element, "type", "") in {"scenario", "scenario_outline", "background"}
    raw = source_description(filename, element.line, steps_follow=steps_follow) if filename and element.line else None
    if raw is None or (element.description and not any(line.strip() for line in raw)):
        raw = list(element.description or [])
    return to_markdown(raw)


def outline_row_name(scenario: Any) -> str:
    """An outline row's name from its values: "<name> — replicas: 3, bound: 15" (not "-- @1.1")."""
    row = getattr(scenario, "_row", None)
    base = re.sub(r"\s+--\s+@\S+$", "", scenario.name or scenario.keyword)
    if row is None:
        return base
    values = [f"{head}: {cell}" for head, cell in zip(row.headings, row.cells, strict=False) if cell not in base]
    return f"{base} — {', '.join(values)}" if values else base


def feature_link(filename: str, line: int) -> Link:
    """A link to the feature file (its line in the name; a web view gets ``#L<line>``)."""
    relative = _relative(filename)
    base = os.environ.get(SOURCE_URL_VARIABLE, "")
    url = f"{base}{relative}#L{line}" if base else f"../../{relative}"
    return Link(type="link", url=url, name=f"{relative}:{line}")


def _relative(filename: str) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def results_folder(configured: str, target: str) -> str:
    """Where a run's results go: the configured folder for the embedded target, ``<folder>-<target>``
    for another (``reports/allure-results-real``), so each target's last run is kept for the report."""
    return configured if target == "embedded" else f"{configured.rstrip('/')}-{target}"


def clear_results(folder: str | Path) -> None:
    """Remove a previous run's Allure results (other files, e.g. the history, stay)."""
    path = Path(folder)
    if path.is_dir():
        for entry in path.iterdir():
            if entry.is_file() and _RESULT_FILE.match(entry.name):
                entry.unlink()


class LivingSpecListener(AllureListener):  # type: ignore[misc]
    """allure-behave's listener with the labels, texts, links and skip reasons described above."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.rule_of: dict[int, Any] = {}
        self.target = str(config.userdata.get("target", "embedded"))
        self._closing: Any = None
        close_test = self.logger.close_test

        def close_with_reason(uuid: str) -> None:
            self._before_close(uuid)
            close_test(uuid)

        self.logger.close_test = close_with_reason

    def start_scenario(self, scenario: Any) -> None:
        super().start_scenario(scenario)
        test = self.logger.get_test(self.current_scenario_uuid)
        if test is None:
            return
        rule = self.rule_of.get(id(scenario))
        labels = {label.name for label in test.labels}
        epic = epic_for(scenario.filename or "")
        if epic and LabelType.EPIC not in labels:
            test.labels.append(Label(name=LabelType.EPIC, value=epic))
        if rule is not None and LabelType.STORY not in labels:
            test.labels.append(Label(name=LabelType.STORY, value=rule.name))
        test.labels.append(Label(name=TARGET_LABEL, value=self.target))
        test.name = outline_row_name(scenario)
        feature_text = description_of(scenario.feature)
        parts = []
        pointer = first_sentence(feature_text)
        if pointer:
            parts.append(f"*{scenario.feature.name}*: {pointer}")
        if rule is not None:
            parts.append(f"**Rule: {rule.name}**")
            parts.append(description_of(rule))
        parts.append(description_of(scenario))
        test.description = "\n\n".join(part for part in parts if part)
        self._add_links(test, scenario, feature_text + "\n" + test.description)

    def _add_links(self, test: Any, scenario: Any, text: str) -> None:
        if scenario.filename and scenario.line:
            test.links.append(feature_link(scenario.filename, scenario.line))
        known = {link.url for link in test.links}
        for source in cited(text):
            if source.url not in known:
                test.links.append(Link(type="link", url=source.url, name=source.name))
                known.add(source.url)

    def stop_scenario(self, scenario: Any) -> None:
        self._closing = scenario
        try:
            super().stop_scenario(scenario)
        finally:
            self._closing = None

    def _before_close(self, uuid: str) -> None:
        """A skipped scenario keeps its reason (behave knows it; allure-behave leaves it empty)."""
        test = self.logger.get_test(uuid)
        scenario = self._closing
        if test is None or scenario is None or test.status != "skipped":
            return
        reason = getattr(scenario, "skip_reason", None) or "skipped: no step of it ran"
        if test.statusDetails is None or not test.statusDetails.message:
            test.statusDetails = StatusDetails(message=str(reason))

    @allure_commons.hookimpl  # type: ignore[misc]
    def add_label(self, label_type: str, labels: tuple[str, ...]) -> None:
        """``allure.dynamic.label`` from a step (allure-behave has no such hook: the label was lost)."""
        test = self.logger.get_test(self.current_scenario_uuid) if self.current_scenario_uuid else None
        if test is None:
            return
        have = {(label.name, label.value) for label in test.labels}
        for value in labels:
            if (label_type, value) not in have:
                test.labels.append(Label(name=label_type, value=value))

    def start_behave_step(self, step: Any) -> None:
        """As allure-behave's, with the step's doc string and data table under meaningful names."""
        self.current_step_uuid = uuid4()
        self.logger.start_step(
            None, self.current_step_uuid, TestStepResult(name=f"{step.keyword} {step.name}", start=now())
        )
        if step.text:
            self.logger.attach_data(uuid4(), step.text, name="the step's text", attachment_type=AttachmentType.TEXT)
        if step.table:
            table = step_table(step)
            self.logger.attach_data(uuid4(), table, name="the step's table", attachment_type=AttachmentType.CSV)


class LivingSpecAllureFormatter(AllureFormatter):  # type: ignore[misc]
    """Use as ``format = livingspec.runner.formatter:LivingSpecAllureFormatter`` in behave.ini."""

    name = "livingspec-allure"
    description = "Allure results with Rules, epics per concept and feature descriptions"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        # Same set-up as AllureFormatter.__init__, with our listener in place of theirs.
        super(AllureFormatter, self).__init__(stream_opener, config)
        folder = results_folder(self.stream_opener.name, str(config.userdata.get("target", "embedded")))
        clear_results(folder)
        self.listener = LivingSpecListener(config)
        self.file_logger = AllureFileLogger(folder)
        allure_commons.plugin_manager.register(self.listener)
        allure_commons.plugin_manager.register(self.file_logger)
        self.testplan = get_testplan()

    def feature(self, feature: Any) -> None:
        super().feature(feature)
        for rule in getattr(feature, "rules", []):
            for scenario in rule.walk_scenarios():
                self.listener.rule_of[id(scenario)] = rule
            self._wrap_scenario(rule.scenarios)
