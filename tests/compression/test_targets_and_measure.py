"""The target factory and the measurements the steps show."""

from __future__ import annotations

import pytest

from livingspec.compression import CompressionError, users_json
from livingspec.compression.measure import LevelPoint, larger_than_lowest, level_sweep, sizes_by_coding
from livingspec.compression.targets import EmbeddedTarget, NginxOnlyOnRealError, ServerSetup, open_target


def test_the_embedded_target_serves_each_setup() -> None:
    target = open_target("embedded")
    assert target.fetch(ServerSetup(), "/api/users", "gzip, br").content_encoding == "br"
    assert target.fetch(ServerSetup(preference=("gzip",)), "/api/users", "gzip, br").content_encoding == "gzip"
    assert target.fetch(ServerSetup(app="starlette_app"), "/api/users", "gzip;q=0").content_encoding == "gzip"
    assert target.fetch(ServerSetup(app="bare_app"), "/api/users", "gzip").content_encoding == "identity"


def test_nginx_is_refused_in_process() -> None:
    with pytest.raises(NginxOnlyOnRealError):
        EmbeddedTarget().fetch(ServerSetup(nginx=True), "/api/users", None)


def test_an_unknown_target_is_a_compression_error() -> None:
    with pytest.raises(CompressionError, match="unknown target 'cloud'"):
        open_target("cloud")


def test_sizes_and_levels_are_measured_with_the_injected_clock() -> None:
    data = users_json(8000)
    assert sizes_by_coding(data, ["gzip"], 9)["gzip"] < sizes_by_coding(data, ["gzip"], 1)["gzip"]
    ticks = iter(range(1000))
    sweep = level_sweep(data, ["gzip"], clock=lambda: float(next(ticks)))
    assert [p.level for p in sweep["gzip"]] == list(range(1, 10))
    assert all(p.seconds == 1.0 for p in sweep["gzip"])


def test_a_level_larger_than_the_lowest_is_reported() -> None:
    points = [LevelPoint("gzip", 1, 100, 0.0), LevelPoint("gzip", 2, 101, 0.0), LevelPoint("gzip", 3, 110, 0.0)]
    assert larger_than_lowest({"gzip": points}) == {"gzip": (100, 110)}
    assert larger_than_lowest({"gzip": points[:2]}) == {}
