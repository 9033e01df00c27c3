"""The report's benchmarks page, built from a small reports/benchmarks folder, and `make bench`'s summary."""

import base64
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from livingspec.report.benchmarks import (
    PAGE_NAME,
    concept_of,
    read_folder,
    sticky_curves,
    write_benchmarks_page,
)
from livingspec.report.offline import search_words
from livingspec.report.pages import BENCHMARKS_TAG, PAGE_TAGS
from livingspec.report.plots import BenchmarkDataError, check_curve, curve_svg

ROOT = Path(__file__).resolve().parents[2]
_IMG = re.compile(r'<img alt="([^"]*)" src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)"')

DELTA = {
    "title": "Delta encoding: encode+decode of 10,000 int64 values",
    "machine": "x86_64, Python 3.11, Linux",
    "columns": ["series", "implementation", "MB/s (raw int64)"],
    "rows": [["random walk", "pyarrow Parquet DELTA_BINARY_PACKED", "564"], ["random walk", "livingspec", "788"]],
    "notes": [
        "speed vs pyarrow = pyarrow time / our time",
        "a table:\n\n| length | MB/s |\n|---|---|\n| 10,000 | 923 |",
    ],
    "headlines": [
        {
            "measure": "encode+decode MB/s, random walk",
            "ours": "788",
            "peer": "pyarrow 564",
            "ratio": 1.4,
            "target": 1.0,
        },
        {
            "measure": "encode+decode MB/s, timestamps",
            "ours": "500",
            "peer": "pyarrow 886",
            "ratio": 0.56,
            "target": 1.0,
        },
    ],
    "curves": [
        {
            "title": "Delta encoding: throughput against series length",
            "x": "series length (int64 values)",
            "y": "encode+decode MB/s (raw int64)",
            "x_scale": "log",
            "series": [
                {"name": "livingspec, random walk", "peer": False, "points": [[10000, 923.0], [100000, 1025.0]]},
                {"name": "pyarrow, random walk", "peer": True, "points": [[10000, 142.0], [100000, 362.0]]},
            ],
        }
    ],
}
#: sticky.json as benchmarks/sticky.py writes it: the curve as table rows, numbers with thousands commas.
STICKY = {
    "title": "Sticky sessions: our balancer beside HAProxy over loopback (wrk)",
    "columns": ["round", "path", "requests/s"],
    "rows": [[1, "asyncio protocols", "2,838"]],
    "notes": [],
    "curve": {
        "columns": ["connections", "ours req/s", "ours p50 ms", "HAProxy req/s", "HAProxy p50 ms", "ours/HAProxy"],
        "rows": [[1, "1,456", "0.54", "2,101", "0.38", "0.69"], [64, "2,642", "20.64", "7,012", "8.49", "0.38"]],
    },
}
NFA_COSTS = {"title": "NFA: compile costs", "columns": ["measurement", "ours ms"], "rows": [["compile", "28.7"]]}


def _folder(tmp_path: Path, **extra: object) -> Path:
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    for name, payload in {"delta": DELTA, "sticky": STICKY, "nfa_costs": NFA_COSTS, **extra}.items():
        (folder / f"{name}.json").write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return folder


def _page(tmp_path: Path, folder: Path) -> dict:
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    scenario = {
        "uuid": "s1",
        "name": "a scenario",
        "start": 5,
        "stop": 9,
        "labels": [{"name": "target", "value": "embedded"}],
    }
    (results / "s1-result.json").write_text(json.dumps(scenario))
    path = write_benchmarks_page(results, folder)
    assert path is not None
    return json.loads(path.read_text(encoding="utf-8"))


def _pictures(page: dict) -> dict[str, str]:
    """Alt text -> the picture's SVG text, for every picture drawn in the page."""
    return {alt: base64.b64decode(data).decode() for alt, kind, data in _IMG.findall(page["descriptionHtml"])}


def test_the_page_draws_each_curve_from_the_json_with_axes_units_and_a_legend(tmp_path):
    page = _page(tmp_path, _folder(tmp_path))
    pictures = _pictures(page)
    assert set(pictures) == {
        "Delta encoding: throughput against series length",
        "Sticky sessions: throughput against concurrent connections",
        "Sticky sessions: median latency against concurrent connections",
    }
    delta = pictures["Delta encoding: throughput against series length"]
    for text in ("series length (int64 values)", "encode+decode MB/s (raw int64)", "livingspec, random walk"):
        assert text in delta
    assert "pyarrow, random walk (peer)" in delta
    sticky = pictures["Sticky sessions: throughput against concurrent connections"]
    for text in ("concurrent connections (wrk clients)", "requests/s through the balancer", "livingspec balancer"):
        assert text in sticky
    assert "HAProxy (peer)" in sticky
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", delta), "the picture fetches nothing from outside"


def test_the_page_reads_as_documentation_with_every_headline_and_a_section_per_concept(tmp_path):
    routing = {"columns": ["strategy", "decisions/s"], "rows": [["Maglev", "240,681"]]}
    page = _page(tmp_path, _folder(tmp_path, sticky={**STICKY, "routing": routing}))
    body = page["descriptionHtml"]
    assert "<h4>routing</h4><table><thead><tr><th>strategy</th>" in body, "a further table of the JSON is shown"
    assert '<td style="white-space:normal;min-width:8em">pyarrow Parquet DELTA_BINARY_PACKED</td>' in body
    assert "<code>make bench</code>" in body
    assert (
        body.index("<h2>Delta encoding</h2>")
        < body.index("<h2>Sticky sessions</h2>")
        < body.index("<h2>Nondeterministic finite automata</h2>")
    ), "sections follow the registry's order"
    wrapped = '<td style="white-space:normal;min-width:8em">'
    below = "</td><td>500</td><td>pyarrow 886</td><td>0.56</td><td>1</td><td>BELOW</td>"
    assert f"{wrapped}encode+decode MB/s, timestamps{below}" in body
    assert "<td>1.4</td><td>1</td><td>yes</td>" in body
    assert "<th>length</th><th>MB/s</th>" in body and "<td>10,000</td><td>923</td>" in body, "a note's table is a table"
    assert page["name"] == PAGE_NAME and page["status"] == "passed"
    labels = {(item["name"], item["value"]) for item in page["labels"]}
    assert {("epic", "About this specification"), ("tag", BENCHMARKS_TAG), ("target", "embedded")} <= labels
    assert BENCHMARKS_TAG in PAGE_TAGS, "the page is counted as a page, not a scenario"
    assert page["start"] > 9, "the page comes after the results already there"


def test_the_search_finds_the_page_by_benchmark_haproxy_and_pyarrow(tmp_path):
    words = " ".join(search_words(_page(tmp_path, _folder(tmp_path))))
    for word in ("benchmark", "HAProxy", "pyarrow"):
        assert word in words


def test_no_benchmark_results_no_page_and_an_old_one_is_removed(tmp_path):
    folder = _folder(tmp_path)
    page = _page(tmp_path, folder)
    results = tmp_path / "results"
    assert len(list(results.glob("*-result.json"))) == 2
    empty = tmp_path / "none"
    empty.mkdir()
    assert write_benchmarks_page(results, empty) is None
    assert write_benchmarks_page(results, tmp_path / "missing") is None
    assert [p.name for p in results.glob("*-result.json")] == ["s1-result.json"], page["uuid"]


def test_a_file_it_cannot_read_is_named_and_the_rest_is_shown(tmp_path):
    bad_curve = {
        **NFA_COSTS,
        "curves": [{"title": "t", "x": "x", "y": "y", "series": [{"name": "a", "points": [[1, "fast"]]}]}],
    }
    page = _page(tmp_path, _folder(tmp_path, broken="{not json", nfa=bad_curve, oidc={**NFA_COSTS, "notes": "one"}))
    assert page["status"] == "broken"
    assert "oidc.json: 'headlines' and 'notes' must be lists" in page["descriptionHtml"]
    assert "broken.json: not readable as JSON" in page["descriptionHtml"]
    assert "nfa.json, series 'a': point [1, 'fast'] is not a pair of numbers" in page["descriptionHtml"]
    assert len(_pictures(page)) == 3


@pytest.mark.parametrize(
    ("curve", "message"),
    [
        ({"x": "n", "y": "ms", "series": []}, "needs 'title'"),
        ({"title": "t", "x": "n", "y": "ms", "series": []}, "needs 'series'"),
        ({"title": "t", "x": "n", "y": "ms", "x_scale": "cubic", "series": [1]}, "x_scale 'cubic' is not one of"),
        ({"title": "t", "x": "n", "y": "ms", "series": [{"name": "a", "points": [[1]]}]}, "is not an [x, y] pair"),
        ({"title": "t", "x": "n", "y": "ms", "y_scale": "log", "series": [{"name": "a", "points": [[1, 0]]}]}, "<= 0"),
        ({"title": "t", "x": "n", "y": "ms", "series": [{"name": "a", "points": [[1, float("nan")]]}]}, "not finite"),
    ],
)
def test_a_malformed_curve_fails_naming_what_is_wrong(curve, message):
    with pytest.raises(BenchmarkDataError, match=re.escape(message)):
        check_curve(curve, "x.json")


def test_stickys_curve_rows_become_ours_beside_haproxy():
    curve, latency = sticky_curves(STICKY)
    assert curve["series"] == [
        {"name": "livingspec balancer", "peer": False, "points": [[1.0, 1456.0], [64.0, 2642.0]]},
        {"name": "HAProxy", "peer": True, "points": [[1.0, 2101.0], [64.0, 7012.0]]},
    ]
    assert latency["y"] == "p50 latency (ms)"
    assert latency["series"][1] == {"name": "HAProxy", "peer": True, "points": [[1.0, 0.38], [64.0, 8.49]]}
    svg = curve_svg(curve)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts[:2] == ["1", "64"], f"ticks at the measured connection counts, not powers of ten: {texts}"
    assert sticky_curves({"rows": []}) == []


def test_pictures_go_to_the_file_with_the_longest_stem_and_only_where_no_curve_is_drawn(tmp_path):
    folder = _folder(tmp_path, nfa=NFA_COSTS)
    for name in ("nfa_costs.png", "nfa_more.svg", "delta_series_length.png"):
        (folder / name).write_bytes(b"\x89PNG" if name.endswith("png") else b"<svg/>")
    found, errors = read_folder(folder)
    assert not errors
    images = {b.stem: [p.name for p in b.images] for b in found}
    assert images == {"delta": [], "nfa_costs": ["nfa_costs.png"], "nfa": ["nfa_more.svg"], "sticky": []}
    assert [b.stem for b in found] == ["delta", "sticky", "nfa", "nfa_costs"]
    assert concept_of("nfa_pathological") == "nfa" and concept_of("something") == "something"


def _summary_module():
    spec = importlib.util.spec_from_file_location("bench_summary", ROOT / "benchmarks" / "_summary.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_summary_marks_a_headline_below_target_and_leaves_out_an_earlier_runs_files(tmp_path, capsys):
    summary = _summary_module()
    folder = _folder(tmp_path)
    old = {**DELTA, "headlines": [{"measure": "old", "ours": "1", "peer": "2", "ratio": 0.5, "target": None}]}
    (folder / "chubby.json").write_text(json.dumps(old))
    os.utime(folder / "chubby.json", (1_000, 1_000))
    rows, missing = summary.summary_rows(folder, since=2_000)
    assert [row[-1] for row in rows] == ["yes", "BELOW"]
    assert "chubby: written by an earlier run, not this one" in missing
    assert "sticky: no headline figures" in missing
    assert summary.main(["--folder", str(folder), "--since", "2000"]) == 0
    out = capsys.readouterr().out
    assert "BELOW  delta: encode+decode MB/s, timestamps: 0.56 < 1" in out
    assert "| delta | encode+decode MB/s, random walk | 788 | pyarrow 564 | 1.4 | 1 | yes |" in out
