"""After Allure builds the single-file report: keep it offline and in reading order.

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

_TAG_MANAGER = re.compile(
    r"<script[^>]*googletagmanager\.com[^>]*>\s*</script>\s*<script>\s*window\.dataLayer.*?</script>",
    re.DOTALL,
)
_DATA = re.compile(r'd\("(widgets/(?:[^"/]+/)?tree\.json)","([A-Za-z0-9+/=]*)"\)')
_OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)


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


def finish_report(index: Path, features: Path) -> None:
    """Rewrite ``index.html`` in place: no tag manager, every tree in reading order."""
    html = strip_tag_manager(index.read_text(encoding="utf-8"))
    ranks = reading_ranks(features)

    def reorder(match: re.Match[str]) -> str:
        tree = json.loads(base64.b64decode(match.group(2)))
        body = base64.b64encode(json.dumps(order_tree(tree, ranks)).encode()).decode()
        return f'd("{match.group(1)}","{body}")'

    index.write_text(_DATA.sub(reorder, html), encoding="utf-8")
