"""After Allure builds the single-file report: keep it offline and in reading order.

Every attachment opens by default, so a step's evidence shows without a click, and a table's
cells wrap between words only, so its numbers stay whole.
Allure 3's single-file report loads Google's tag manager when opened; documentation opened from
disk must make no request outside the file, so the two analytics scripts are removed. The
report's tree sorts groups by their first test's start time; here each concept, feature and rule
gets an explicit place (``groupOrder``, which the tree sorts by first): concepts as the registry
lists them, the concept page first, features in reading order, seed examples first in a group.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from livingspec.report.documentation import LINK_PATCHES, PAGE_PATCHES, count_scenarios, style_pages
from livingspec.report.markdown import strip_markdown
from livingspec.report.pages import BENCHMARKS_TAG, GLOSSARY_TAG, START_HERE, concept_title, read_features
from livingspec.report.reading import FOLDER_ORDER
from livingspec.report.results import Result, all_steps, label_values, read_results

_TAG_MANAGER = re.compile(
    r"<script[^>]*googletagmanager\.com[^>]*>\s*</script>\s*<script>\s*window\.dataLayer.*?</script>",
    re.DOTALL,
)
_DATA = re.compile(
    r'd\("(widgets/(?:[^"/]+/)?(?:tree|search-index|statistic|pie_chart|charts)\.json)","([A-Za-z0-9+/=]*)"\)'
)
_OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)


_APP = re.compile(r'(src="data:text/javascript;base64,)([A-Za-z0-9+/=]+)(")')
#: Changes to Allure 3.18's app, each (what it says, the text, the replacement); each text occurs once.
#: - An attachment's open state defaults to closed (``!1``) where it is read and where it is toggled:
#:   both default to open, so every step's evidence shows without a click.
#: - A table attachment's cells may wrap anywhere, so a wide table squeezes its columns until numbers
#:   break mid-digit ("1677721 / 6"); wrapping between words only makes each column as wide as its
#:   longest number or word, and the table's frame scrolls sideways when they do not fit.
_APP_PATCHES = (
    ("attachments open", "null!==r&&qn(r,!1)", "null!==r&&qn(r,!0)"),
    ("attachments open when toggled", "null!==r&&Yn(r,!1)", "null!==r&&Yn(r,!0)"),
    ("table cells whole", "max-width:480px;overflow-wrap:anywhere", "max-width:480px;overflow-wrap:break-word"),
    *PAGE_PATCHES,
    *LINK_PATCHES,
)


class ReportPatchError(RuntimeError):
    """The report's app is not the one this module knows how to change."""


def patch_app(html: str, patches: tuple[tuple[str, str, str], ...] = _APP_PATCHES) -> str:
    """The report with its embedded app changed as ``patches`` say (attachments open, tables whole)."""

    def patch(match: re.Match[str]) -> str:
        app = base64.b64decode(match.group(2)).decode("utf-8")
        for what, text, replacement in patches:
            if app.count(text) != 1:
                raise ReportPatchError(
                    f"{what}: the report app has {app.count(text)} of {text!r}; expected one (Allure upgraded?)"
                )
            app = app.replace(text, replacement)
        return match.group(1) + base64.b64encode(app.encode("utf-8")).decode() + match.group(3)

    patched, count = _APP.subn(patch, html, count=1)
    if count != 1:
        raise ReportPatchError("no embedded app script found: is singleFile on?")
    return patched


def open_attachments(html: str) -> str:
    """The report with every attachment shown opened by default (a click closes it)."""
    return patch_app(html, _APP_PATCHES[:2])


def strip_tag_manager(html: str) -> str:
    """The report without its analytics scripts (the only outside request it makes)."""
    return _TAG_MANAGER.sub("", html)


def outside_references(html: str) -> list[str]:
    """``src``/``href`` attributes of the page's own markup that point outside the file."""
    return [match.group(0) for match in _OUTSIDE.finditer(html)]


def reading_ranks(features: Path) -> dict[str, int]:
    """Group name -> place: concept titles, then each concept's features (concept page first)."""
    ranks: dict[str, int] = {START_HERE: 0}
    for index, folder in enumerate(FOLDER_ORDER, start=1):
        ranks.setdefault(concept_title(folder), index)
        for place, feature in enumerate(read_features(features, folder), start=1):
            ranks.setdefault(feature.name, place)
    return ranks


def order_tree(tree: dict[str, Any], ranks: dict[str, int]) -> dict[str, Any]:
    """Put an Allure tree in reading order.

    The report sorts a group's leaves by ``groupOrder`` and groups by their leaves' smallest
    ``groupOrder``, then by their earliest ``start``. So leaves are numbered within their group
    (seed examples first, then as run) and, in this tree widget only, their ``start`` becomes
    their place in a walk of the groups in reading order (the results keep the real times).
    """
    groups, leaves = tree["groupsById"], tree["leavesById"]
    origin = min((leaf.get("start") or 0 for leaf in leaves.values()), default=0)
    walked = 0

    def first_start(group: dict[str, Any]) -> float:
        starts = [leaves[i].get("start") or 0 for i in group.get("leaves", [])]
        starts += [first_start(groups[g]) for g in group.get("groups", []) if g in groups]
        return min(starts, default=float("inf"))

    def visit(node: dict[str, Any]) -> None:
        nonlocal walked
        own = node.get("leaves", [])
        ordered = sorted(own, key=lambda i: (not _is_seed(leaves[i]), leaves[i].get("start") or 0))
        for number, leaf_id in enumerate(ordered, start=1):
            leaves[leaf_id]["groupOrder"] = number
            leaves[leaf_id]["start"] = origin + walked
            walked += 1
        if own:
            node["leaves"] = ordered
        children = [g for g in node.get("groups", []) if g in groups]
        children.sort(key=lambda g: (ranks.get(groups[g]["name"], 10_000), first_start(groups[g]), groups[g]["name"]))
        node["groups"] = children + [g for g in node.get("groups", []) if g not in groups]
        for child in children:
            visit(groups[child])

    visit(tree["root"])
    return tree


def _is_seed(leaf: dict[str, Any]) -> bool:
    return "seed-example" in (leaf.get("tags") or [])


def searchable_terms(documents: list[dict[str, Any]], terms: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Add to each test's search document the words the search should find it by.

    ``terms`` maps the report's test id (Allure 3 names a result ``md5(uuid)``; see ``report_id``)
    to words: the glossary's terms, the steps' phrases. The report's search reads only some
    fields (name, labels, links ...); the words join ``labels``, which it reads and does not show.
    """
    for document in documents:
        found = terms.get(str(document.get("id", "")))
        if found:
            document["labels"] = " ".join([document.get("labels") or "", *found]).strip()
    return documents


def report_id(uuid: str) -> str:
    """The id Allure 3 gives the test result of ``uuid`` (its search documents carry it)."""
    return hashlib.md5(uuid.encode("utf-8")).hexdigest()


def search_words(result: Result) -> list[str]:
    """What a test is found by besides its name: its glossary terms and its steps' phrases.

    A glossary of steps (``steps-glossary``) is found by every phrase and meaning it lists, the
    benchmarks page by its concepts, peers, measures and curves (its plain-text description).
    """
    if {GLOSSARY_TAG, BENCHMARKS_TAG} & set(label_values(result, "tag")):
        return [strip_markdown(result.get("description") or "")]
    words = label_values(result, "term")
    words += [str(step.get("name", "")) for step in all_steps(result) if "name" in step]
    return list(dict.fromkeys(words))


def terms_by_report_id(folders: list[Path]) -> dict[str, list[str]]:
    """The report's test id -> its search words, from the results folders it was built from."""
    out: dict[str, list[str]] = {}
    for folder in folders:
        for _, result in read_results(folder) if folder.is_dir() else ():
            words = search_words(result)
            if words and result.get("uuid"):
                out[report_id(str(result["uuid"]))] = words
    return out


def finish_report(index: Path, features: Path, results: list[Path] | None = None) -> None:
    """Rewrite ``index.html`` in place: no tag manager, app patched, trees in reading order, words
    searchable, counts of scenarios (not of the report's pages)."""
    html = style_pages(patch_app(strip_tag_manager(index.read_text(encoding="utf-8"))))
    ranks = reading_ranks(features)
    terms = terms_by_report_id(results or [])
    widgets = {m.group(1): json.loads(base64.b64decode(m.group(2))) for m in _DATA.finditer(html)}
    for path, data in widgets.items():
        if path.endswith("tree.json"):
            order_tree(data, ranks)
        elif path.endswith("search-index.json"):
            searchable_terms(data, terms)
    widgets = count_scenarios(widgets)

    def rewrite(match: re.Match[str]) -> str:
        body = base64.b64encode(json.dumps(widgets[match.group(1)], ensure_ascii=False).encode()).decode()
        return f'd("{match.group(1)}","{body}")'

    index.write_text(_DATA.sub(rewrite, html), encoding="utf-8")
