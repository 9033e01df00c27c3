"""Tokens described by claims, header and signature: the value language, the presets, errors that teach."""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from livingspec.oidc import (
    ABSENT,
    SIGNATURES,
    TAMPERINGS,
    ClientRegistration,
    Forgery,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    TokenDescription,
    TokenDescriptionError,
    User,
    forge,
    issue_genuine,
    new_signing_key,
    parse_token,
    resolve,
    tamper,
)

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def key(alg: str) -> SigningKey:
    return new_signing_key(alg, f"{alg.lower()}-1")


def genuine(alg: str = "RS256") -> Forgery:
    clock = ManualClock()
    provider = OpenIDProvider("https://op.example.test", KeyRing(clock, [key(alg)]), clock, rng=random.Random(4))
    client = ClientRegistration("webapp", "s", ("https://app/cb",), id_token_signed_response_alg=alg)
    return issue_genuine(provider, client, User("248289761001", "alice", "pw"), nonce="n-1").forgery


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("now", 1767225600),
        ("now+3600", 1767229200),
        ("now - 60", 1767225540),
        ("(absent)", ABSENT),
        ("{sub}", "248289761001"),
        ("{iss}/", "https://op.example.test/"),
        ('"{exp}"', "1767229200"),
        ('[{aud}, "https://api.example.test"]', ["webapp", "https://api.example.test"]),
        ('{"level": 2}', {"level": 2}),
        ("3600", 3600),
        ("-1.5", -1.5),
        ("true", True),
        ("null", None),
        ('""', ""),
        ("urn:mace:incommon:iap:silver", "urn:mace:incommon:iap:silver"),
        (7, 7),
    ],
)
def test_the_value_language(written: object, expected: object) -> None:
    assert resolve(written, genuine()) == expected


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("claims exp", "now")], "unknown field 'claims exp'; known: claim <name>, header <name>, signature"),
        ([("signature", "forged")], "unknown signature 'forged'; known: " + ", ".join(SIGNATURES)),
        ([("preset", "a bad day")], "unknown tampering 'a bad day'; known: a crit header extension, "),
        ([("claim exp", "now"), ("claim  exp", "now+1")], "field 'claim exp' is described twice"),
        ([("body segment", "x")], "unknown field 'body segment'"),
    ],
)
def test_an_unknown_field_signature_or_preset_lists_the_known_ones(rows: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(TokenDescriptionError) as refused:
        TokenDescription.from_rows(rows)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("described", "message"),
    [
        (TokenDescription(claims={"aud": "[{audience}]"}), "unknown claim {audience}; the genuine token has: "),
        (TokenDescription(claims={"amr": '["pwd", ]'}), "value '[\"pwd\", ]' is not valid JSON"),
        (TokenDescription(claims={"exp": "NaN"}), None),  # plain text, not a JSON constant: a string claim
        (TokenDescription(header={"alg": "RS512"}), "header alg follows the signing key"),
    ],
)
def test_a_value_that_cannot_be_made_says_why(described: TokenDescription, message: str | None) -> None:
    if message is None:
        assert parse_token(forge(genuine(), described)).claims["exp"] == "NaN"
        return
    with pytest.raises(TokenDescriptionError) as refused:
        forge(genuine(), described)
    assert message in str(refused.value)


def test_a_table_description_changes_only_what_it_names() -> None:
    forgery = genuine()
    described = TokenDescription.from_rows(
        [("claim exp", "now+60"), ("claim nonce", "(absent)"), ("header typ", "application/jwt"), ("claim acr", "2")]
    )
    parsed = parse_token(forge(forgery, described))
    expected = {**forgery.claims, "exp": int(forgery.now) + 60, "acr": 2}
    del expected["nonce"]
    assert parsed.claims == expected
    assert parsed.header == {**forgery.header, "typ": "application/jwt", "alg": "RS256"}


def test_a_preset_row_starts_from_the_named_tampering_and_later_rows_add_to_it() -> None:
    forgery = genuine()
    described = TokenDescription.from_rows([("preset", "expired"), ("claim sub", "someone-else")])
    claims = parse_token(forge(forgery, described)).claims
    assert claims["exp"] == int(forgery.now) - 100 and claims["sub"] == "someone-else"


@pytest.mark.parametrize("signature", list(SIGNATURES))
def test_every_signature_makes_a_token(signature: str) -> None:
    token = forge(genuine("ES256"), TokenDescription(signature=signature))
    assert token.count(".") == (1 if signature == "cut off" else 2)


def test_an_unknown_tampering_name_lists_the_presets() -> None:
    with pytest.raises(TokenDescriptionError) as refused:
        tamper(genuine(), "alg None")
    assert "known: " + ", ".join(sorted(TAMPERINGS)) in str(refused.value)


FEATURE = """\
Feature: Described tokens that a newcomer gets wrong
  Scenario: A tampering nobody defined
    Given an OpenID provider and a relying party registered with it
    And a genuine RS256 ID token issued by the OpenID provider for the relying party
    When the ID token is forged with the signature polished
  Scenario: A signature nobody defined
    Given an OpenID provider and a relying party registered with it
    And a RS256 ID token from the OpenID provider described as:
      | field     | value    |
      | signature | polished |
  Scenario: A described token before any genuine one
    Given an OpenID provider and a relying party registered with it
    When the ID token is re-signed with the claim exp set to now+60
  Scenario: An algorithm nobody signs with
    Given an OpenID provider that signs ID tokens with HS256
"""


def test_unknown_values_and_a_missing_given_fail_with_sentences_under_behave(tmp_path: Path) -> None:
    """The step matches and fails with the known values listed (not 'undefined'), or names the Given."""
    (tmp_path / "steps").symlink_to(ROOT / "steps")
    (tmp_path / "environment.py").symlink_to(ROOT / "environment.py")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "newcomer.feature").write_text(FEATURE)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "behave"), "--no-capture", "-f", "plain", "features"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "unknown tampering 'the signature polished'; known: a crit header extension" in output
    assert "unknown signature 'polished'; known: valid, altered" in output
    assert (
        "this step needs a genuine ID token, which no earlier step gave; start with a step such as: Given a" in output
    )
    assert "unknown signing algorithm 'HS256'; known: RS256, ES256" in output
    assert "undefined" not in output.lower().replace("undefined: 0", "").replace("0 undefined", "")
