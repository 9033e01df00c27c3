"""The finished report: no tag manager, the tree in reading order, attachments open, tables whole, words searchable."""

import base64
import hashlib

import pytest

from livingspec.report.offline import (
    _APP_PATCHES,
    ReportPatchError,
    open_attachments,
    order_tree,
    outside_references,
    patch_app,
    search_words,
    searchable_terms,
    strip_tag_manager,
    terms_by_report_id,
)
from livingspec.report.pages import GLOSSARY_TAG
from livingspec.report.results import write_result

GTAG = """<body><div id="app"></div>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('config', 'G-X', {});
    </script>
    <script async>window.allureReportDataReady = true;</script></body>"""


def test_the_tag_manager_is_removed_and_nothing_else():
    assert outside_references(GTAG)
    stripped = strip_tag_manager(GTAG)
    assert not outside_references(stripped)
    assert "googletagmanager" not in stripped and "dataLayer" not in stripped
    assert "window.allureReportDataReady = true" in stripped


def test_attachments_open_by_default_and_an_unknown_app_is_an_error():
    app = "a=null!==r&&qn(r,!1);onClick:()=>{null!==r&&Yn(r,!1)}"
    html = f'<script src="data:text/javascript;base64,{base64.b64encode(app.encode()).decode()}"></script>'
    patched = open_attachments(html)
    body = base64.b64decode(patched.split("base64,")[1].split('"')[0]).decode()
    assert body == "a=null!==r&&qn(r,!0);onClick:()=>{null!==r&&Yn(r,!0)}"
    other = f'<script src="data:text/javascript;base64,{base64.b64encode(b"x").decode()}"></script>'
    with pytest.raises(ReportPatchError):
        open_attachments(other)


def test_the_tree_follows_the_reading_order_and_seed_examples_lead():
    tree = {
        "root": {"groups": ["g-chubby", "g-delta"]},
        "groupsById": {
            "g-chubby": {"name": "Chubby lock service", "groups": ["g-files", "g-master"]},
            "g-delta": {"name": "Delta encoding", "leaves": ["d1"]},
            "g-files": {"name": "Small files", "leaves": ["f1"]},
            "g-master": {"name": "Master election", "leaves": ["m1", "m2"]},
        },
        "leavesById": {
            "d1": {"start": 50},
            "f1": {"start": 10},
            "m1": {"start": 20},
            "m2": {"start": 30, "tags": ["seed-example"]},
        },
    }
    ranks = {"Delta encoding": 1, "Chubby lock service": 2, "Master election": 1, "Small files": 4}
    ordered = order_tree(tree, ranks)
    assert ordered["root"]["groups"] == ["g-delta", "g-chubby"]
    assert ordered["groupsById"]["g-chubby"]["groups"] == ["g-master", "g-files"]
    assert ordered["groupsById"]["g-master"]["leaves"] == ["m2", "m1"]
    starts = {leaf: ordered["leavesById"][leaf]["start"] for leaf in ("d1", "m2", "m1", "f1")}
    assert list(starts.values()) == sorted(starts.values()), "the tree sorts groups by their first start"


def test_a_tables_cells_wrap_between_words_only():
    app = "x{max-width:480px;overflow-wrap:anywhere;padding:6px}a=null!==r&&qn(r,!1);b=null!==r&&Yn(r,!1)"
    html = f'<script src="data:text/javascript;base64,{base64.b64encode(app.encode()).decode()}"></script>'
    body = base64.b64decode(patch_app(html, _APP_PATCHES[:3]).split("base64,")[1].split('"')[0]).decode()
    assert "overflow-wrap:break-word" in body and "anywhere" not in body
    with pytest.raises(ReportPatchError, match="table cells whole"):
        patch_app(
            html.replace(base64.b64encode(app.encode()).decode(), base64.b64encode(app[40:].encode()).decode()),
            _APP_PATCHES[:3],
        )


def test_glossary_terms_join_a_tests_search_document():
    documents = [{"id": "abc", "labels": "epic:Chubby"}, {"id": "other"}]
    searchable_terms(documents, {"abc": ["Paxos", "lock-delay"]})
    assert documents[0]["labels"] == "epic:Chubby Paxos lock-delay"
    assert "labels" not in documents[1]


def test_search_words_reach_the_document_allure_made_of_the_result(tmp_path):
    """Allure 3 names a test md5(uuid) and recomputes its historyId, so words keyed by the
    result's own historyId reached no document (the search found no glossary term at all)."""
    result = {
        "uuid": "7c1c0f9e-0000-4000-8000-000000000001",
        "historyId": "h1",
        "name": "The master fails",
        "labels": [{"name": "term", "value": "Paxos"}],
        "steps": [{"name": "When the Chubby master fails", "steps": [{"name": "nested phrase"}]}],
    }
    write_result(tmp_path / "r-result.json", result)
    allure_id = hashlib.md5(result["uuid"].encode()).hexdigest()
    documents = [{"id": allure_id, "historyId": hashlib.md5(b"h1").hexdigest() + ".d41d8", "labels": "epic:Chubby"}]
    searchable_terms(documents, terms_by_report_id([tmp_path]))
    assert documents[0]["labels"] == "epic:Chubby Paxos When the Chubby master fails nested phrase"


def test_a_glossary_of_steps_is_found_by_its_phrases_and_meanings():
    page = {"labels": [{"name": "tag", "value": GLOSSARY_TAG}], "description": "- **Given** `a cell of {n:d}`: Start"}
    assert search_words(page) == ["- Given a cell of {n:d} : Start"]
