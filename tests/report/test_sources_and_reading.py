"""Cited sources become links; concepts and features have a deliberate reading order."""

from pathlib import Path

from livingspec.registry import CONCEPTS, FRAME_NAME
from livingspec.report.glossary import GLOSSARY, terms_in
from livingspec.report.reading import FEATURE_ORDER, FOLDER_ORDER, feature_rank
from livingspec.report.sources import cited

ROOT = Path(__file__).resolve().parents[2]


def test_rfcs_papers_and_specifications_are_linked_and_examples_are_not():
    text = (
        'Chubby (Burrows, "The Chubby lock service for loosely-coupled distributed systems", OSDI 2006)\n'
        "follows RFC 9110 section 12.5.3 and OpenID Connect Core; the shop at http://127.0.0.1:8000/login\n"
        "and https://api.example.test are examples; see https://ui.perfetto.dev."
    )
    found = {source.name: source.url for source in cited(text)}
    assert found["RFC 9110"] == "https://www.rfc-editor.org/rfc/rfc9110"
    assert "The Chubby lock service for loosely-coupled distributed systems (2006)" in found
    assert found["OpenID Connect Core"].startswith("https://openid.net/specs/")
    assert "https://ui.perfetto.dev" in found
    assert not any("127.0.0.1" in url or "example.test" in url for url in found.values())


def test_every_feature_file_has_its_place_in_the_reading_order():
    for path in (ROOT / "features").rglob("*.feature"):
        assert path.stem in FEATURE_ORDER.get(path.parent.name, ()), f"name {path} in FEATURE_ORDER"


def test_concepts_read_in_the_registrys_order_and_the_specification_comes_last():
    assert (*(c.name for c in CONCEPTS), FRAME_NAME) == FOLDER_ORDER
    assert feature_rank("features/chubby/master_election.feature") < feature_rank("features/chubby/files.feature")
    assert feature_rank("features/scaling/autoscaler.feature") < feature_rank("features/living_specification/x.feature")


def test_the_glossary_finds_the_terms_a_reader_searches_for():
    assert set(GLOSSARY) <= set(FOLDER_ORDER)
    found = terms_in("elected through Paxos; a lock-delay of 1 s and a sequencer", "chubby")
    assert set(found) == {"Paxos", "lock-delay", "sequencer"}
    assert "zigzag" in terms_in("Zigzag maps signed deltas", "delta")
    assert "PKCE" in terms_in("the client sends a PKCE challenge", "oidc")
    assert "Thompson" in terms_in("Thompson's construction", "nfa")
    assert terms_in("a non-Paxos remark", "chubby") == []
