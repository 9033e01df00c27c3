"""Descriptions keep the feature file's paragraphs, list items and story lines (issue 16, point 1)."""

import re
from pathlib import Path

import pytest
from behave.parser import parse_file

from livingspec.report.markdown import first_sentence, paragraphs, to_markdown
from livingspec.report.pages import read_features
from livingspec.report.reading import FOLDER_ORDER
from livingspec.runner.formatter import description_of

ROOT = Path(__file__).resolve().parents[2]
FEATURES = sorted((ROOT / "features").rglob("*.feature"))
KEYWORD = re.compile(r"\s*(?:Background|Rule|Scenario Outline|Scenario|Example|Examples|Scenarios):|\s*@")


def written_blocks(path: Path) -> list[str]:
    """The paragraphs and list items under the Feature line, found without the module under test."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Feature:")) + 1
    blocks: list[list[str]] = []
    fresh, in_list = True, False
    for line in lines[start:]:
        if KEYWORD.match(line):
            break
        text = line.strip()
        if not text or text.startswith("#"):
            fresh, in_list = fresh or not text, in_list and bool(text)
            continue
        item = bool(re.match(r"[-*+] ", text) or (re.match(r"\d+[.)] ", text) and (fresh or in_list)))
        if fresh or item:
            blocks.append([])
        in_list = item or (in_list and not fresh)
        blocks[-1].append(text)
        fresh = False
    return [" ".join(block) for block in blocks]


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: str(p.relative_to(ROOT / "features")))
def test_the_description_keeps_every_paragraph_and_list_item(path):
    feature = parse_file(str(path))
    expected = written_blocks(path)
    assert paragraphs(description_of(feature)) == expected


def test_a_wrapped_bullet_stays_one_item_and_paragraphs_stay_apart():
    text = to_markdown(
        [
            "  Key properties shown here:",
            "  - the master holds a lease: the replicas promise,",
            "    so a new master waits;",
            "  - no split brain.",
            "",
            "  The embedded target is a simulation.",
        ]
    )
    assert text == (
        "Key properties shown here:\n\n- the master holds a lease: the replicas promise,\n  so a new master waits;\n"
        "- no split brain.\n\nThe embedded target is a simulation."
    )


def test_the_user_story_keeps_one_line_per_clause():
    text = to_markdown(["As a customer", "I want to log in", "So that I see my orders", "", "Then more."])
    assert text.splitlines()[:3] == ["As a customer\\", "I want to log in\\", "So that I see my orders"]


def test_a_scenarios_pointer_to_a_story_keeps_its_clauses_apart():
    """The pointer once read "As a customer I want to log in So that I see my orders" as one line."""
    story = to_markdown(["As a customer", "I want to log in", "So that I see my orders", "", "Then more."])
    assert first_sentence(story) == "As a customer\\\nI want to log in\\\nSo that I see my orders"
    assert first_sentence(to_markdown(["Chubby is a lock service. It has cells."])) == "Chubby is a lock service."


def test_a_number_inside_a_paragraph_does_not_start_a_list():
    text = to_markdown(["The flow: 1. a workshop; 2. feature files;", "6. refactor; 7. repeat."])
    assert "\n\n" not in text


@pytest.mark.parametrize("folder", [f for f in FOLDER_ORDER if (ROOT / "features" / f).is_dir()])
def test_every_feature_of_a_concept_is_on_its_page_in_reading_order(folder):
    on_disk = {p.stem for p in (ROOT / "features" / folder).glob("*.feature")}
    read = read_features(ROOT / "features", folder)
    assert {f.path.stem for f in read} == on_disk
    assert all(f.markdown for f in read), "a feature without a description has nothing to teach"
