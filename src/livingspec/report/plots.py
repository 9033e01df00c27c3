"""Curves drawn for the report's benchmarks page: SVG text from a benchmark's own JSON data.

A curve is the ``curves`` entry a benchmark writes (``benchmarks/_common.write_report(extra=...)``)::

    {"title": "...", "x": "series length (int64 values)", "y": "encode+decode MB/s (raw int64)",
     "x_scale": "log" | "linear", "y_scale": "log" | "linear",          (both optional, linear)
     "series": [{"name": "livingspec, random walk", "peer": false, "points": [[10000, 516.6], ...]}, ...]}

Ours are solid lines with round markers, peers dashed with square ones; the axes carry the labels and
units the benchmark gave, and a legend names each line. Drawn with matplotlib (Agg) as SVG with its
text kept as text, so the picture is small and the page needs no font or file from outside.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from livingspec.errors import LivingSpecError

SCALES = ("linear", "log")


class BenchmarkDataError(LivingSpecError):
    """A benchmark's JSON is not what the benchmarks page reads (it names the file and the field)."""


def curve_points(series: Mapping[str, Any], where: str) -> list[tuple[float, float]]:
    """A series' points as numbers; BenchmarkDataError names what is wrong."""
    points = series.get("points")
    if not isinstance(points, list) or not points:
        raise BenchmarkDataError(f"{where}: a series needs 'points', a list of [x, y] pairs")
    out = []
    for point in points:
        if not (isinstance(point, list | tuple) and len(point) == 2):
            raise BenchmarkDataError(f"{where}: point {point!r} is not an [x, y] pair")
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            raise BenchmarkDataError(f"{where}: point {point!r} is not a pair of numbers") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise BenchmarkDataError(f"{where}: point {point!r} is not finite")
        out.append((x, y))
    return out


def check_curve(curve: Any, where: str) -> dict[str, Any]:
    """The curve if it has what a plot needs (title, axis labels, scales, named series of points)."""
    if not isinstance(curve, dict):
        raise BenchmarkDataError(f"{where}: a curve is an object with title, x, y and series")
    for key in ("title", "x", "y"):
        if not isinstance(curve.get(key), str) or not curve[key].strip():
            raise BenchmarkDataError(f"{where}: the curve needs {key!r}, a text")
    for key in ("x_scale", "y_scale"):
        if curve.get(key, "linear") not in SCALES:
            raise BenchmarkDataError(f"{where}: {key} {curve[key]!r} is not one of {', '.join(SCALES)}")
    series = curve.get("series")
    if not isinstance(series, list) or not series:
        raise BenchmarkDataError(f"{where}: the curve {curve['title']!r} needs 'series', a list")
    for item in series:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BenchmarkDataError(f"{where}: each series of {curve['title']!r} needs a 'name'")
        curve_points(item, f"{where}, series {item['name']!r}")
        if curve.get("y_scale") == "log" and any(y <= 0 for _, y in curve_points(item, where)):
            raise BenchmarkDataError(f"{where}: series {item['name']!r} has a value <= 0 on a log scale")
    return curve


def curve_svg(curve: Mapping[str, Any], width: float = 7.0, height: float = 4.2) -> str:
    """The curve as SVG text: labelled axes with units, a legend, ours solid beside the peers dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "livingspec", "font.family": "DejaVu Sans"}):
        figure, axis = plt.subplots(figsize=(width, height))
        try:
            _draw(axis, curve)
            buffer = io.StringIO()
            figure.tight_layout()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(figure)
    return buffer.getvalue()


def _draw(axis: Any, curve: Mapping[str, Any]) -> None:
    ours_markers, peer_markers = iter("oD^v<>ph"), iter("sXP*dH+x")
    for item in curve["series"]:
        points = curve_points(item, str(curve["title"]))
        peer = bool(item.get("peer"))
        axis.plot(
            [x for x, _ in points],
            [y for _, y in points],
            linestyle="--" if peer else "-",
            marker=next(peer_markers if peer else ours_markers, "."),
            linewidth=1.6,
            markersize=5,
            label=str(item["name"]) + (" (peer)" if peer and "peer" not in str(item["name"]) else ""),
        )
    axis.set_xscale(curve.get("x_scale", "linear"))
    xs = sorted({x for item in curve["series"] for x, _ in curve_points(item, str(curve["title"]))})
    if curve.get("x_scale") == "log" and all(x.is_integer() for x in xs) and xs[-1] <= 1000 * xs[0]:
        axis.set_xticks(xs, [f"{x:,.0f}" for x in xs])  # 1, 2, 4 ... 64 rather than 10^0, 10^1
        axis.minorticks_off()
    axis.set_yscale(curve.get("y_scale", "linear"))
    if curve.get("y_scale", "linear") == "linear":
        axis.set_ylim(bottom=0)
    axis.set_xlabel(str(curve["x"]))
    axis.set_ylabel(str(curve["y"]))
    axis.set_title(str(curve["title"]), fontsize=11)
    axis.grid(True, which="major", alpha=0.3)
    axis.legend(fontsize=8, loc="best")


def series_names(curves: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every line's name in ``curves`` (what a reader may search for)."""
    return [str(item["name"]) for curve in curves for item in curve["series"]]
