"""The Allure formatter behave uses: allure-behave's, mended for Rules and living documentation.

allure-behave 2.16 wraps only ``feature.scenarios``; behave 1.3 keeps a Rule's scenarios in
``feature.rules[i].scenarios``, so those never started an Allure test (missing from the report,
and a data table or doc string in one crashed the formatter with ``KeyError: None``;
allure-python issue 886). This formatter also wraps each rule's scenarios and labels every test:
epic = the concept (its features/ folder), feature = the feature, story = the rule, and the
description = the feature's description, then the rule's, then the scenario's.
"""

from __future__ import annotations

import re
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label
from allure_commons.types import LabelType
from allure_commons.utils import get_testplan

from livingspec.registry import epic_for

_LIST_ITEM = re.compile(r"\s*(?:[-*]|\d+\.)\s")


def _paragraphs(lines: list[str] | None) -> str:
    """A Gherkin description as Markdown: behave drops its blank lines, so lists are set apart again."""
    out: list[str] = []
    in_list = False
    for line in lines or []:
        item = bool(_LIST_ITEM.match(line))
        if out and item != in_list:
            out.append("")  # a list starts or ends: Markdown needs a blank line there
        out.append(line)
        in_list = item
    return "\n".join(out).strip()


class LivingSpecListener(AllureListener):  # type: ignore[misc]
    """allure-behave's listener, adding epic and story labels and the feature's description."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.rule_of: dict[int, Any] = {}

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
        parts = [_paragraphs(scenario.feature.description)]
        if rule is not None:
            parts.append(f"**Rule: {rule.name}**")
            parts.append(_paragraphs(rule.description))
        parts.append(_paragraphs(scenario.description))
        test.description = "\n\n".join(part for part in parts if part)


class LivingSpecAllureFormatter(AllureFormatter):  # type: ignore[misc]
    """Use as ``format = livingspec.runner.formatter:LivingSpecAllureFormatter`` in behave.ini."""

    name = "livingspec-allure"
    description = "Allure results with Rules, epics per concept and feature descriptions"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        # Same set-up as AllureFormatter.__init__, with our listener in place of theirs.
        super(AllureFormatter, self).__init__(stream_opener, config)
        self.listener = LivingSpecListener(config)
        self.file_logger = AllureFileLogger(self.stream_opener.name)
        allure_commons.plugin_manager.register(self.listener)
        allure_commons.plugin_manager.register(self.file_logger)
        self.testplan = get_testplan()

    def feature(self, feature: Any) -> None:
        super().feature(feature)
        for rule in getattr(feature, "rules", []):
            for scenario in rule.walk_scenarios():
                self.listener.rule_of[id(scenario)] = rule
            self._wrap_scenario(rule.scenarios)
