"""A stateful property: authorization codes are single-use and short-lived, and a replay revokes.

A RuleBasedStateMachine drives the provider's core (no HTTP) beside a trivial model: codes are
issued, exchanged with the right or a wrong PKCE verifier, replayed, left to expire. Invariants:
a code yields tokens at most once, only before it expires and only with its verifier; once a
code is replayed, the access token it yielded no longer opens UserInfo.
"""

from __future__ import annotations

import functools
import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from livingspec.oidc import (
    ClientRegistration,
    InvalidGrantError,
    InvalidTokenError,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    User,
    new_signing_key,
    s256,
)

USER = User("248289761001", "alice", "wonderland")
REDIRECT = "https://app.example.test/cb"


@functools.cache
def key() -> SigningKey:
    return new_signing_key("ES256", "es-1")


class CodeLifecycle(RuleBasedStateMachine):
    codes = Bundle("codes")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.provider = OpenIDProvider("https://op.example.test", KeyRing(self.clock, [key()]), self.clock)
        self.client = ClientRegistration("webapp", "s", (REDIRECT,), id_token_signed_response_alg="ES256")
        self.provider.register_client(self.client)
        self.provider.add_user(USER)
        self.rng = random.Random(0)
        # model: code -> (verifier, issued_at, exchanged?, access token or None, replayed?)
        self.model: dict[str, dict[str, object]] = {}

    @rule(target=codes)
    def issue_code(self) -> str:
        verifier = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(43))
        params = {
            "response_type": "code",
            "client_id": "webapp",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "s",
            "nonce": "n",
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        transaction = self.provider.start_authorization(params)
        self.provider.authenticate(transaction.txn, "alice", "wonderland")
        location = self.provider.consent(transaction.txn, allow=True)
        code = location.split("code=")[1].split("&")[0]
        self.model[code] = {"verifier": verifier, "issued": self.clock(), "used": False, "token": None}
        return code

    def _exchange(self, code: str, verifier: str) -> dict[str, object] | None:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
        try:
            return self.provider.exchange_code(self.client, form)
        except InvalidGrantError:
            return None

    @rule(code=codes)
    def exchange(self, code: str) -> None:
        entry = self.model[code]
        fresh = self.clock() < float(entry["issued"]) + self.provider.settings.code_lifetime  # type: ignore[arg-type]
        should_work = fresh and not entry["used"]
        was_used = bool(entry["used"])
        answer = self._exchange(code, str(entry["verifier"]))
        assert (answer is not None) == should_work, f"code exchange gave {answer is not None}, model {should_work}"
        if answer is not None:
            entry["used"], entry["token"] = True, answer["access_token"]
        elif was_used:
            entry["replayed"] = True

    @rule(code=codes, wrong=st.text(alphabet="xyz", min_size=43, max_size=50))
    def exchange_with_a_wrong_verifier(self, code: str, wrong: str) -> None:
        entry = self.model[code]
        assert self._exchange(code, wrong) is None, "a wrong PKCE verifier must never get tokens"
        if entry["used"]:
            entry["replayed"] = True

    @rule(seconds=st.integers(min_value=0, max_value=90))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule(code=consumes(codes))
    def forget(self, code: str) -> None:
        """Stop using a code (keeps the bundle small)."""

    @invariant()
    def replayed_codes_revoke_their_access_token(self) -> None:
        for entry in self.model.values():
            token = entry["token"]
            if token is None or self.clock() >= float(entry["issued"]) + 500:  # type: ignore[arg-type]
                continue  # no token, or the token may have expired on its own
            try:
                self.provider.userinfo(str(token))
                refused = False
            except InvalidTokenError:
                refused = True
            assert refused == bool(entry.get("replayed")), f"revoked={refused}, replayed={entry.get('replayed')}"


CodeLifecycle.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestCodeLifecycle = CodeLifecycle.TestCase
