"""The concept registry is the one list of concepts: every place that lists them agrees with it."""

import re
from pathlib import Path

import pytest

from livingspec import registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("concept", registry.CONCEPTS, ids=lambda c: c.name)
def test_every_concept_has_its_five_homes(concept):
    homes = {
        "features folder": ROOT / concept.features,
        "step module": ROOT / concept.steps,
        "package": ROOT / "src" / "livingspec" / concept.name / "__init__.py",
        "tests folder": ROOT / "tests" / concept.name,
        "benchmark": ROOT / concept.benchmark,
    }
    missing = [f"{what} ({path.relative_to(ROOT)})" for what, path in homes.items() if not path.exists()]
    assert not missing, f"{concept.name} lacks: {', '.join(missing)}"
    assert list((ROOT / concept.features).glob("*.feature")), f"{concept.features} has no feature file"


def test_no_folder_names_a_concept_the_registry_does_not_know():
    known = {c.name for c in registry.CONCEPTS} | {registry.FRAME_NAME}
    places = {
        "features": {p.name for p in (ROOT / "features").iterdir() if p.is_dir()},
        "steps": {p.stem.removesuffix("_steps") for p in (ROOT / "steps").glob("*_steps.py")},
        "benchmarks": {p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_")},
    }
    for place, names in places.items():
        extra = names - known - ({"runner"} if place == "tests" else set())
        assert not extra, f"{place}/ has concepts the registry does not list: {sorted(extra)}"


def test_the_makefile_real_features_are_the_registrys():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^REAL_FEATURES := (.*)$", makefile, re.MULTILINE)
    assert listed, "the Makefile has no REAL_FEATURES line"
    expected = [folder.removeprefix("features/") for folder in registry.real_feature_folders()]
    assert listed.group(1).split() == expected


def test_system_packages_are_the_registrys():
    lines = (ROOT / "system-packages.txt").read_text().splitlines()
    listed = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert listed == set(registry.debian_packages())


def test_the_readme_concept_table_is_generated_from_the_registry():
    readme = (ROOT / "README.md").read_text()
    table = registry.readme_table()
    assert table in readme, "README.md's concept table is stale; paste the output of: python -m livingspec.registry"


def test_the_report_epic_of_each_feature_is_its_concepts_title():
    for concept in registry.CONCEPTS:
        for feature in (ROOT / concept.features).glob("*.feature"):
            assert registry.epic_for(feature.relative_to(ROOT)) == concept.title


def test_an_unknown_concept_is_refused_with_the_known_names():
    with pytest.raises(registry.UnknownConceptError, match="unknown concept 'bdd'; known: delta, chubby"):
        registry.concept("bdd")
