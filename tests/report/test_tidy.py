"""Evidence tidied before the report is built: repeats, DOT beside its SVG, traces, names, terms."""

import json

from livingspec.report.tidy import TRACE_NAME, add_terms, tidy_result


def attach(folder, name, kind, body):
    source = f"{name.replace(' ', '_').replace(':', '')}-{len(list(folder.iterdir()))}-attachment"
    (folder / source).write_text(body)
    return {"name": name, "type": kind, "source": source}


def test_repeats_dot_beside_svg_and_traces(tmp_path):
    token = attach(tmp_path, "ID token", "text/plain", "eyJhbGciOi")
    again = attach(tmp_path, "ID token", "text/plain", "eyJhbGciOi")
    svg = attach(tmp_path, "state diagram", "image/svg+xml", "<svg/>")
    dot = attach(tmp_path, "Graphviz DOT", "text/plain", "digraph email { a -> b }")
    trace = attach(tmp_path, "Chrome trace", "application/json", json.dumps({"traceEvents": []}))
    old = attach(tmp_path, ".table", "text/csv", "a,b\n1,2\n")
    result = {
        "steps": [
            {"name": "Then one", "attachments": [token, svg, dot, trace]},
            {"name": "And two", "attachments": [again, old]},
        ]
    }
    assert tidy_result(tmp_path, result) == 2
    first, second = result["steps"]
    assert [a["name"] for a in first["attachments"]] == ["ID token", "state diagram", TRACE_NAME]
    assert first["attachments"][2]["type"] == "application/octet-stream"  # a download, not a blob
    assert [a["name"] for a in second["attachments"]] == ["the step's table"]


def test_the_same_bytes_under_another_name_in_another_step_stay(tmp_path):
    expected = attach(tmp_path, "expected", "text/plain", "42")
    measured = attach(tmp_path, "measured", "text/plain", "42")
    result = {"steps": [{"name": "Given", "attachments": [expected]}, {"name": "Then", "attachments": [measured]}]}
    assert tidy_result(tmp_path, result) == 0


def test_a_scenario_gets_the_terms_of_its_concept_that_it_uses():
    result = {
        "name": "A stale holder is fenced off",
        "description": "The lock-delay keeps the lock unavailable",
        "labels": [{"name": "epic", "value": "Chubby lock service"}],
        "steps": [{"name": "Then the storage rejects the old sequencer"}],
    }
    add_terms(result)
    assert {label["value"] for label in result["labels"] if label["name"] == "term"} == {"lock-delay", "sequencer"}
