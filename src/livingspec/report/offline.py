"""After Allure builds the single-file report: keep it offline and in reading order.

Every attachment opens by default, so a step's evidence shows without a click.
Allure 3's single-file report loads Google's tag manager when opened; documentation opened from
disk must make no request outside the file, so the two analytics scripts are removed. The
report's tree sorts groups by their first test's start time; here each concept, feature and rule
gets an explicit place (``groupOrder``, which the tree sorts by first): concepts as the registry
lists them, the concept page first, features in reading order, seed examples first in a group.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from livingspec.report.pages import START_HERE, concept_title, read_features
from livingspec.report.reading import FOLDER_ORDER
from livingspec.report.results import label_values, read_results

_TAG_MANAGER = re.compile(
    r"<script[^>]*googletagmanager\.com[^>]*>\s*</script>\s*<script>\s*window\.dataLayer.*?</script>",
    re.DOTALL,
)
_DATA = re.compile(r'd\("(widgets/(?:[^"/]+/)?(?:tree|search-index)\.json)","([A-Za-z0-9+/=]*)"\)')
_OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)


_APP = re.compile(r'(src="data:text/javascript;base64,)([A-Za-z0-9+/=]+)(")')
#: In Allure 3.18's app, an attachment's open state defaults to closed (``!1``) in these two calls:
#: reading it and toggling it. Defaulting both to open shows every step's evidence without a click.
_ATTACHMENT_CLOSED = ("null!==r&&qn(r,!1)", "null!==r&&Yn(r,!1)")


class ReportPatchError(RuntimeError):
    """The report's app is not the one this module knows how to open attachments in."""


def open_attachments(html: str) -> str:
    """The report with every attachment shown opened by default (a click closes it)."""

    def patch(match: re.Match[str]) -> str:
        app = base64.b64decode(match.group(2)).decode("utf-8")
        for closed in _ATTACHMENT_CLOSED:
            if app.count(closed) != 1:
                raise ReportPatchError(
                    f"the report app has {app.count(closed)} of {closed!r}; expected one (Allure upgraded?)"
                )
            app = app.replace(closed, closed.replace("!1)", "!0)"))
        return match.group(1) + base64.b64encode(app.encode("utf-8")).decode() + match.group(3)

    patched, count = _APP.subn(patch, html, count=1)
    if count != 1:
        raise ReportPatchError("no embedded app script found: is singleFile on?")
    return patched


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
    """Add each test's glossary terms to its search document (the search reads only some labels)."""
    for document in documents:
        found = terms.get(str(document.get("historyId", "")).split(".")[0])
        if found:
            document["labels"] = " ".join([document.get("labels") or "", *found]).strip()
    return documents


def terms_by_history(folders: list[Path]) -> dict[str, list[str]]:
    """historyId -> the ``term`` labels of that test, from the results folders."""
    out: dict[str, list[str]] = {}
    for folder in folders:
        for _, result in read_results(folder) if folder.is_dir() else ():
            found = label_values(result, "term")
            if found:
                out.setdefault(result.get("historyId", ""), []).extend(
                    t for t in found if t not in out.get(result.get("historyId", ""), [])
                )
    return out


def finish_report(index: Path, features: Path, results: list[Path] | None = None) -> None:
    """Rewrite ``index.html`` in place: no tag manager, trees in reading order, terms searchable."""
    html = open_attachments(strip_tag_manager(index.read_text(encoding="utf-8")))
    ranks = reading_ranks(features)
    terms = terms_by_history(results or [])

    def rewrite(match: re.Match[str]) -> str:
        data = json.loads(base64.b64decode(match.group(2)))
        data = order_tree(data, ranks) if match.group(1).endswith("tree.json") else searchable_terms(data, terms)
        body = base64.b64encode(json.dumps(data, ensure_ascii=False).encode()).decode()
        return f'd("{match.group(1)}","{body}")'

    index.write_text(_DATA.sub(rewrite, html), encoding="utf-8")
