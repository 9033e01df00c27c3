"""The concepts of the specification: one record each, the single source of their names.

A concept has one name, used in every place it lives: ``features/<name>/``, ``steps/<name>_steps.py``,
``src/livingspec/<name>/``, ``tests/<name>/`` and ``benchmarks/<name>.py``. The Makefile's list of
real-target features, the README's concept table, the report's epics and ``system-packages.txt``
come from these records or are checked against them (``tests/runner/test_registry.py``).
The runner glue reaches concepts only through this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class Concept:
    """One concept: where it lives, how the report names it, what real systems it runs on."""

    name: str  # the folder, module and package name in all five places
    title: str  # the report's epic and the README's heading
    real_targets: str  # what the real target is, in words ("" when the concept is a pure algorithm)
    debian_packages: tuple[str, ...]  # Debian packages its real targets and tests need
    peer: str  # what its benchmark compares against

    @property
    def package(self) -> str:
        """The Python package, ``livingspec.<name>``."""
        return f"livingspec.{self.name}"

    @property
    def features(self) -> str:
        """Its features folder, relative to the repository root."""
        return f"features/{self.name}"

    @property
    def steps(self) -> str:
        """Its step module, relative to the repository root."""
        return f"steps/{self.name}_steps.py"

    @property
    def benchmark(self) -> str:
        """Its benchmark script, relative to the repository root."""
        return f"benchmarks/{self.name}.py"

    @property
    def has_real_target(self) -> bool:
        """True when the same scenarios also run against real systems (``-D target=real``)."""
        return bool(self.real_targets)


#: The eleven concepts, in the order the report and the README present them.
CONCEPTS: tuple[Concept, ...] = (
    Concept("delta", "Delta encoding", "", (), "pyarrow's DELTA_BINARY_PACKED"),
    Concept(
        "chubby",
        "Chubby lock service",
        "an etcd cluster on loopback",
        ("etcd-server", "etcd-client"),
        "bare simpy; etcd",
    ),
    Concept("oidc", "OpenID Connect ID tokens", "provider and client over real HTTP", (), "pyjwt and joserfc"),
    Concept(
        "sticky",
        "Sticky sessions",
        "our balancer over real HTTP; HAProxy; Redis",
        ("haproxy", "redis-server", "wrk"),
        "HAProxy",
    ),
    Concept("nfa", "Nondeterministic finite automata", "", (), "Python's re and RE2"),
    Concept("login", "Behaviour-driven development", "headless Chromium", ("chromium", "wrk"), "bare Starlette"),
    Concept("compression", "Payload compression", "uvicorn on loopback; nginx as peer", ("nginx", "wrk"), "nginx gzip"),
    Concept("speculative", "Speculative decoding", "", (), "target-only decoding"),
    Concept("temporal", "Temporal debugging", "", (), "exhaustive exploration"),
    Concept("gqa", "Grouped-query attention", "", (), "numpy memory bandwidth"),
    Concept(
        "scaling",
        "Progressive scaling",
        "PostgreSQL, Redis, separate processes",
        ("postgresql", "redis-server", "wrk"),
        "a single process",
    ),
)

#: The specification's own feature (both runners, one step library): not a concept, shown apart.
FRAME_NAME = "living_specification"
FRAME_TITLE = "About this specification"

BY_NAME: dict[str, Concept] = {concept.name: concept for concept in CONCEPTS}


class UnknownConceptError(KeyError):
    """A name that is no concept of the specification."""


def concept(name: str) -> Concept:
    """The concept called ``name``, or UnknownConceptError listing the known names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownConceptError(f"unknown concept {name!r}; known: {', '.join(BY_NAME)}") from None


def concept_folder(feature_path: str | PurePath) -> str | None:
    """The ``features/<folder>`` a feature file belongs to, or None outside ``features/``."""
    parts = PurePath(feature_path).parts
    for index, part in enumerate(parts[:-1]):
        if part == "features" and index + 2 <= len(parts) - 1:
            return parts[index + 1]
    return None


def epic_for(feature_path: str | PurePath) -> str | None:
    """The report's epic for a feature file: its concept's title, the frame's, or the folder humanised."""
    folder = concept_folder(feature_path)
    if folder is None:
        return None
    if folder == FRAME_NAME:
        return FRAME_TITLE
    known = BY_NAME.get(folder)
    return known.title if known else folder.replace("_", " ").capitalize()


def real_feature_folders() -> list[str]:
    """The features folders that also run on real targets (what ``make real`` runs)."""
    return [c.features for c in CONCEPTS if c.has_real_target]


def debian_packages() -> list[str]:
    """Every Debian package some concept or the report test needs, sorted, without repeats."""
    return sorted({pkg for c in CONCEPTS for pkg in c.debian_packages} | {"chromium"})


def readme_table() -> str:
    """The README's concept table, generated from the records (``python -m livingspec.registry`` prints it)."""
    lines = [
        "| concept | name (features/, steps/, src/, tests/, benchmarks/) | real target(s) | benchmark peer |",
        "| --- | --- | --- | --- |",
    ]
    for c in CONCEPTS:
        lines.append(f"| {c.title} | `{c.name}` | {c.real_targets or 'none (embedded only)'} | {c.peer} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_table())
