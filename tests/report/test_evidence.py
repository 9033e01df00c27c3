"""Evidence helpers: a Chrome trace is attached as a download, other JSON as JSON."""

import json

import allure

from livingspec.runner import evidence


def test_a_chrome_trace_is_a_download_and_other_json_stays_json(monkeypatch):
    calls = []
    monkeypatch.setattr(allure, "attach", lambda body, **kw: calls.append((body, kw)))
    evidence.attach_json("Chrome trace (open in ui.perfetto.dev)", {"traceEvents": [{"ph": "X"}]})
    evidence.attach_json("request and response", {"status": 200})
    (trace, trace_kw), (plain, plain_kw) = calls
    assert trace_kw == {"name": evidence.TRACE_NAME, "attachment_type": "application/octet-stream", "extension": "json"}
    assert json.loads(trace) == {"traceEvents": [{"ph": "X"}]}
    assert plain_kw["attachment_type"] == allure.attachment_type.JSON and json.loads(plain) == {"status": 200}
