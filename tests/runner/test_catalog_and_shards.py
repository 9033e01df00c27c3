"""The step catalog documents every step; shards split the suite into disjoint, complete slices."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.runner import catalog
from livingspec.runner.shards import ShardError, feature_files, parse_shard, take

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def entries() -> list[catalog.Entry]:
    return catalog.entries(ROOT / "steps", ROOT / "features")


def test_every_step_has_a_meaning_and_an_example_from_a_feature(entries):
    undocumented = [e.phrases[0][1] for e in entries if e.meaning == "(no description)"]
    assert not undocumented, f"steps without a docstring: {undocumented}"
    unused = [f"{e.phrases[0][1]} ({e.location})" for e in entries if not e.example]
    assert not unused, f"steps no feature uses (add a scenario that shows them): {unused}"


def test_a_choice_parameter_lists_its_accepted_values(entries):
    sort = next(e for e in entries if any("sorted by {order:TallyOrder}" in p for _, p in e.phrases))
    assert sort.parameters == [("order", "one order: name, count")]
    assert sort.example.startswith("When the tally is sorted by count")


def test_the_catalog_groups_steps_by_concept_in_reading_order(entries):
    text = catalog.render_text(entries)
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings[0].startswith("== Delta encoding (delta)")
    assert headings[-1].startswith("== About this specification")
    markdown = catalog.render_markdown(entries)
    assert markdown.startswith("# Glossary of steps") and "## Chubby lock service" in markdown


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "2/3/4", ""])
def test_a_malformed_shard_is_refused(text):
    with pytest.raises(ShardError, match="a shard is k/n"):
        parse_shard(text)


@given(st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=40), st.integers(1, 7))
def test_the_shards_are_disjoint_and_cover_every_item(names, n):
    shards = [take(names, names, (k, n)) for k in range(1, n + 1)]
    flat = [item for shard in shards for item in shard]
    assert sorted(flat) == sorted(names)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_feature_shards_cover_the_features_folder():
    everything = sorted(feature_files(ROOT / "features", (1, 1)))
    parts = [feature_files(ROOT / "features", (k, 3)) for k in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == everything and all(parts)
