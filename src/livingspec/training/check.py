"""Does training from scratch reproduce the committed models? Their losses, compared within a tolerance.

``python -m livingspec.training check`` (``make models-check``) trains every model into a scratch
folder from the same corpus, recipes and seeds, then compares each final training loss and
validation loss, and each GQA conversion's validation loss before and after uptraining, with the
committed ``models/manifest.json`` and ``models/gqa_uptraining.json``. A figure more than 2% away,
or a recipe that differs, fails the check. Identical file hashes (bit-for-bit weights) are shown too,
but not required: another CPU or library version may round differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOLERANCE = 0.02  # relative deviation allowed for each loss


@dataclass(frozen=True)
class Figure:
    """One loss of one model: the committed value, the retrained one, and whether they agree."""

    model: str
    name: str
    committed: float
    retrained: float
    tolerance: float = TOLERANCE

    @property
    def deviation(self) -> float:
        """(retrained - committed) / committed."""
        return (self.retrained - self.committed) / self.committed

    @property
    def ok(self) -> bool:
        """Within the tolerance."""
        return abs(self.deviation) <= self.tolerance


def _model_figures(committed: dict[str, Any], retrained: dict[str, Any], tolerance: float) -> list[Figure]:
    figures = []
    for name in sorted(committed["models"]):
        old, new = committed["models"][name], retrained["models"].get(name)
        if new is None:
            continue
        for key in ("final_train_loss", "validation_loss"):
            figures.append(Figure(name, key.replace("_", " "), float(old[key]), float(new[key]), tolerance))
    return figures


def _uptraining_figures(committed: dict[str, Any], retrained: dict[str, Any], tolerance: float) -> list[Figure]:
    fresh = {run["label"]: run for run in retrained["runs"]}
    figures = []
    for run in committed["runs"]:
        new = fresh.get(run["label"])
        if new is None:
            continue
        for key in ("validation_before", "validation_after"):
            name = key.replace("_", " ") + " uptraining"
            figures.append(Figure(f"GQA {run['label']}", name, float(run[key]), float(new[key]), tolerance))
    return figures


def compare(
    committed: dict[str, Any],
    retrained: dict[str, Any],
    committed_uptraining: dict[str, Any],
    retrained_uptraining: dict[str, Any],
    tolerance: float = TOLERANCE,
) -> tuple[list[Figure], list[str]]:
    """Every loss figure side by side, and the problems that fail the check (figures off, recipes differing)."""
    figures = _model_figures(committed, retrained, tolerance)
    figures += _uptraining_figures(committed_uptraining, retrained_uptraining, tolerance)
    problems = []
    for name, old in committed["models"].items():
        new = retrained["models"].get(name)
        if new is None:
            problems.append(f"the {name} was not retrained")
        elif old["recipe"] != new["recipe"] or old["config"] != new["config"]:
            problems.append(f"the {name}'s recipe or configuration differs from the manifest's (make models retrains)")
    labels = [{run["label"] for run in table["runs"]} for table in (committed_uptraining, retrained_uptraining)]
    missing = labels[0] - labels[1]
    problems += [f"the uptraining run {label} is missing" for label in sorted(missing)]
    problems += [
        f"{f.model} {f.name}: {f.retrained:.4f} is {f.deviation:+.1%} from the committed {f.committed:.4f}"
        for f in figures
        if not f.ok
    ]
    return figures, problems


def table(figures: list[Figure], committed: dict[str, Any], retrained: dict[str, Any]) -> str:
    """The comparison as a plain-text table, with each model's file hash (same or differing) and training time."""
    lines = [f"{'model':<14} {'figure':<34} {'committed':>9} {'retrained':>9} {'deviation':>9}  within"]
    for f in figures:
        mark = "yes" if f.ok else f"NO (> {f.tolerance:.0%})"
        lines.append(f"{f.model:<14} {f.name:<34} {f.committed:>9.4f} {f.retrained:>9.4f} {f.deviation:>+9.2%}  {mark}")
    for name, old in sorted(committed["models"].items()):
        new = retrained["models"].get(name, {})
        same = "bit for bit the same" if new.get("sha256") == old["sha256"] else "different bytes"
        lines.append(f"{name} weights: {same}; trained in {new.get('seconds', float('nan')):.0f} s")
    lines.append(f"whole retraining: {retrained.get('seconds', float('nan')):.0f} s")
    return "\n".join(lines)
