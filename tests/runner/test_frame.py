"""The frame's small parts: parse types, targets, concepts, the pytest-side context."""

from decimal import Decimal

import pytest

from livingspec.registry import concept_folder, epic_for
from livingspec.runner import types
from livingspec.runner.context import SpecContext
from livingspec.runner.targets import UnknownTargetError, selected_target, skip_reason


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("Ints", "10050, +25, -15", [10050, 25, -15]),
        ("Numbers", "100.50,100.75", [Decimal("100.50"), Decimal("100.75")]),
        ("Amounts", "$100.50, +$0.25, -$0.15", [Decimal("100.50"), Decimal("0.25"), Decimal("-0.15")]),
        ("Decimal", "-0.15", Decimal("-0.15")),
        ("Words", "apples, pears ,plums", ["apples", "pears", "plums"]),
        ("Bool", "yes", True),
        ("Bool", "false", False),
    ],
)
def test_shared_parse_types_convert_their_text(name, text, value):
    import parse

    parser = parse.compile(f"value {{v:{name}}}", extra_types=types.TYPES)
    assert parser.parse(f"value {text}")["v"] == value


def test_a_parse_type_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="Ints"):
        types.register(Ints=lambda text: text)


def test_targets_select_and_skip():
    assert selected_target({}) == "embedded"
    assert selected_target({"target": "real"}) == "real"
    with pytest.raises(UnknownTargetError, match="choose one of embedded, real"):
        selected_target({"target": "staging"})
    assert skip_reason({"seed-example"}, "embedded") is None
    assert skip_reason({"target.real"}, "real") is None
    assert "runs only on target(s) real" in skip_reason({"target.real"}, "embedded")


def test_epics_come_from_the_feature_folder():
    assert concept_folder("features/delta/packed_format.feature") == "delta"
    assert epic_for("/x/features/delta/a.feature") == "Delta encoding"
    assert epic_for("features/new_idea/a.feature") == "New idea"
    assert epic_for("elsewhere/a.feature") is None


def test_spec_context_runs_cleanups_last_first_and_reports_the_first_error():
    calls = []
    context = SpecContext(userdata={"target": "embedded"})
    context.add_cleanup(calls.append, "first registered")

    def failing():
        calls.append("failing")
        raise RuntimeError("cleanup failed")

    context.add_cleanup(failing)
    context.add_cleanup(calls.append, "last registered")
    with pytest.raises(RuntimeError, match="cleanup failed"):
        context.run_cleanups()
    assert calls == ["last registered", "failing", "first registered"]
    assert context.config.userdata["target"] == "embedded"


def test_a_missing_real_system_skips_locally_and_fails_under_ci(monkeypatch):
    from livingspec.runner.targets import TargetUnavailableError, skip_unavailable

    missing = TargetUnavailableError("etcd is not on PATH (install etcd-server)")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(TargetUnavailableError, match="etcd is not on PATH"):
        skip_unavailable(SpecContext(), missing)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="etcd is not on PATH"):
        skip_unavailable(SpecContext(), missing)
