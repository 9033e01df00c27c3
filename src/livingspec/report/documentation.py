"""The report's own pages read as documentation, not as tests.

The concept pages and glossaries of steps are Allure results (``pages.PAGE_TAGS``), so Allure
counts them as tests and shows a status, a severity and a duration on each. Here the counts the
report shows (summary, pie, charts, tree bars) are of scenarios only, a page shows neither status,
severity nor duration (in the tree and on the page), and the tree's groups sort by where their first
result sits in the reading order, so a filtered tree (the search's results) still lists a concept's
"Start here" pages before its features.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from typing import Any

from livingspec.report.pages import PAGE_TAGS


def is_page_js(tags: str) -> str:
    """A JavaScript expression: do the tags ``tags`` (an array expression) mark one of the report's pages?"""
    tests = "||".join(f'"{tag}"===t' for tag in PAGE_TAGS)
    return f"({tags}||[]).some((t=>{tests}))"


#: Changes to Allure 3.18's app for the pages (see ``offline.patch_app``): each (what, text, replacement).
PAGE_PATCHES = (
    (
        "tree leaves of pages marked",
        'Wr(hk,{"data-testid":"tree-leaf",id:e.nodeId,',
        f'Wr(hk,{{"data-testid":"tree-leaf","data-doc-page":{is_page_js("e.tags")}?"1":void 0,id:e.nodeId,',
    ),
    (
        "an environment whose found results are pages only still shows them",
        "return 0===(n?.total??0)?null:{id:e,opened:",
        "return 0===(n?.total??0)&&De(t)?null:{id:e,opened:",
    ),
    (
        "a page shows no status, severity or duration",
        '(0,F.FD)("div",{className:Yc.ZR,children:[Boolean(n)&&',
        "!" + is_page_js('i?.filter((x=>"tag"===x.name)).map((x=>x.value))') + "&&"
        '(0,F.FD)("div",{className:Yc.ZR,children:[Boolean(n)&&',
    ),
    (
        "groups sort by their first result in reading order",
        'return(0,Ae.hg)([t("groupOrder",(0,Ae.IE)()),t("minStart",(0,Ae.IE)())]);',
        'return t("minStart",(0,Ae.IE)());',
    ),
)

#: Allure's app opens a link only with a scheme (http:, https: ...); a feature file's link is relative to the
#: report (``../../features/...`` from reports/allure-report/index.html), so it is resolved against the page.
LINK_PATCHES = (
    (
        "links relative to the report open",
        'O=e=>{if("string"!=typeof e)return;const t=e.trim();if(0===t.length)return;'
        "const n=t.match(/^([A-Za-z][A-Za-z0-9+.-]*):/);if(!n)return;",
        'O=e=>{if("string"!=typeof e)return;const t=e.trim();if(0===t.length)return;'
        "const n=t.match(/^([A-Za-z][A-Za-z0-9+.-]*):/);"
        "if(!n)return/^\\.\\.?\\//.test(t)?new URL(t,document.baseURI).toString():void 0;",
    ),
)

#: A page's tree leaf shows its title only (no status icon, number or duration).
PAGE_STYLE = (
    '<style id="livingspec-pages">'
    "button[data-doc-page] > :not([data-testid=tree-leaf-title]) { visibility: hidden; }"
    "</style>"
)


def style_pages(html: str) -> str:
    """The report with the pages' style added to its head (once)."""
    if 'id="livingspec-pages"' in html:
        return html
    return html.replace("</head>", PAGE_STYLE + "</head>", 1)


def page_tally(tree: dict[str, Any]) -> Counter[str]:
    """What the pages of a tree widget add to its statistic: total, status and transition counts."""
    tally: Counter[str] = Counter()
    for leaf in tree.get("leavesById", {}).values():
        if set(leaf.get("tags") or []) & set(PAGE_TAGS):
            tally["total"] += 1
            tally[str(leaf.get("status", "unknown"))] += 1
            if leaf.get("transition"):
                tally[str(leaf["transition"])] += 1
    return tally


def without_pages(statistic: dict[str, Any], tally: Counter[str]) -> dict[str, Any]:
    """A statistic (``{"total": n, "passed": ...}``) with the pages taken out (counts that reach 0 drop)."""
    out = {key: value - tally.get(key, 0) if isinstance(value, int) else value for key, value in statistic.items()}
    return {key: value for key, value in out.items() if key == "total" or not isinstance(value, int) or value > 0}


_PIE = (
    'import {getPieChartValues} from "@allurereport/web-commons"; let s = ""; '
    'process.stdin.on("data", (d) => (s += d)).on("end", () => '
    "process.stdout.write(JSON.stringify(getPieChartValues(JSON.parse(s)))));"
)


def pie_chart(statistic: dict[str, Any]) -> dict[str, Any]:
    """The summary's pie of a statistic, drawn by Allure's own function (node, from the project's node_modules)."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", _PIE],
        input=json.dumps(statistic),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _charts(charts: dict[str, Any], tallies: dict[str, Counter[str]]) -> dict[str, Any]:
    """The charts widget with its status counts of scenarios only (general, and per environment)."""
    boards = [(charts.get("general") or {}, tallies.get("", Counter()))]
    boards += [(board, tallies.get(env, Counter())) for env, board in (charts.get("byEnv") or {}).items()]
    for board, tally in boards:
        for widget in board.values():
            if widget.get("type") == "currentStatus" and isinstance(widget.get("data"), dict):
                widget["data"] = without_pages(widget["data"], tally)
            elif widget.get("type") == "statusDynamics":
                for point in widget.get("data") or []:
                    if point.get("id") == "current" and isinstance(point.get("statistic"), dict):
                        point["statistic"] = without_pages(point["statistic"], tally)
    return charts


def count_scenarios(widgets: dict[str, Any]) -> dict[str, Any]:
    """The report's widgets (path -> data) with every count the reader sees made of scenarios only.

    The pages are found in each environment's tree (``widgets/<env>/tree.json``; the report's own is
    ``widgets/tree.json``); the statistic, pie chart and charts widgets are rewritten to match.
    """
    tallies: dict[str, Counter[str]] = {}
    for path, data in widgets.items():
        if path.endswith("/tree.json"):
            tallies[_env(path)] = page_tally(data)
    out = dict(widgets)
    for path, data in widgets.items():
        tally = tallies.get(_env(path), Counter())
        if path.endswith("/statistic.json"):
            out[path] = without_pages(data, tally)
        elif path.endswith("/pie_chart.json") and tally:
            statistic = widgets.get(path.replace("pie_chart.json", "statistic.json"))
            out[path] = pie_chart(without_pages(statistic, tally)) if statistic else data
        elif path == "widgets/charts.json":
            out[path] = _charts(data, tallies)
    return out


def _env(path: str) -> str:
    """``widgets/embedded/tree.json`` -> ``embedded``; the report's own widgets -> ``""``."""
    parts = path.split("/")
    return parts[1] if len(parts) == 3 else ""
