"""Lockout and authentication without HTTP: the rules of the seed's scenarios, and a model check."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from livingspec.login import (
    INSECURE_FOR_TESTS,
    INVALID_MESSAGE,
    Authenticator,
    LockoutPolicy,
    LoginStore,
    ManualClock,
    Outcome,
    PasswordVerifier,
    locked_message,
)

FAST = PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True)


def make_auth(clock: ManualClock | None = None) -> tuple[Authenticator, ManualClock]:
    clock = clock or ManualClock()
    auth = Authenticator(LoginStore(), FAST, clock=clock)
    auth.register("John", "john@example.com", "mypassword123")
    return auth, clock


def test_right_password_signs_in() -> None:
    auth, _ = make_auth()
    result = auth.attempt("john@example.com", "mypassword123")
    assert result.ok and result.account is not None and result.account.name == "John"


def test_wrong_password_and_unknown_email_get_the_same_message() -> None:
    auth, _ = make_auth()
    wrong = auth.attempt("john@example.com", "wrongpassword")
    unknown = auth.attempt("nobody@example.com", "mypassword123")
    assert (wrong.outcome, wrong.message) == (unknown.outcome, unknown.message) == (Outcome.INVALID, INVALID_MESSAGE)


def test_third_consecutive_failure_locks_for_15_minutes() -> None:
    auth, clock = make_auth()
    outcomes = [auth.attempt("john@example.com", "bad").outcome for _ in range(3)]
    assert outcomes == [Outcome.INVALID, Outcome.INVALID, Outcome.LOCKED]
    result = auth.attempt("john@example.com", "mypassword123")
    assert result.outcome is Outcome.LOCKED
    assert result.message == "Account temporarily locked. Try again in 15 minutes"
    assert result.locked_until == clock() + 15 * 60


def test_lock_ends_by_itself_after_15_minutes() -> None:
    auth, clock = make_auth()
    for _ in range(3):
        auth.attempt("john@example.com", "bad")
    clock.advance(15 * 60 - 1)
    assert auth.attempt("john@example.com", "mypassword123").outcome is Outcome.LOCKED
    clock.advance(1)
    assert auth.attempt("john@example.com", "mypassword123").ok


def test_expired_lock_starts_a_fresh_count() -> None:
    auth, clock = make_auth()
    for _ in range(3):
        auth.attempt("john@example.com", "bad")
    clock.advance(15 * 60)
    assert auth.attempt("john@example.com", "bad").outcome is Outcome.INVALID
    assert auth.state("john@example.com").consecutive == 1


def test_success_resets_the_count() -> None:
    auth, _ = make_auth()
    auth.attempt("john@example.com", "bad")
    auth.attempt("john@example.com", "bad")
    assert auth.attempt("john@example.com", "mypassword123").ok
    assert auth.attempt("john@example.com", "bad").outcome is Outcome.INVALID
    assert auth.state("john@example.com").consecutive == 1


def test_lockout_is_per_account() -> None:
    auth, _ = make_auth()
    auth.register("Jane", "jane@example.com", "janes-secret-42")
    for _ in range(3):
        auth.attempt("john@example.com", "bad")
    assert auth.attempt("jane@example.com", "janes-secret-42").ok


def test_unknown_emails_lock_like_accounts() -> None:
    auth, _ = make_auth()
    outcomes = [auth.attempt("nobody@example.com", "x").outcome for _ in range(3)]
    assert outcomes[-1] is Outcome.LOCKED


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (900, "Account temporarily locked. Try again in 15 minutes"),
        (601, "Account temporarily locked. Try again in 11 minutes"),
        (60, "Account temporarily locked. Try again in 1 minute"),
        (1, "Account temporarily locked. Try again in 1 minute"),
    ],
)
def test_lock_message_rounds_minutes_up(seconds: float, message: str) -> None:
    assert locked_message(seconds) == message


def test_overlong_password_is_refused_without_hashing_it() -> None:
    auth, _ = make_auth()
    assert auth.attempt("john@example.com", "x" * 5000).outcome is Outcome.INVALID


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LockoutPolicy(max_failures=0)
    with pytest.raises(ValueError, match="lock_seconds"):
        LockoutPolicy(lock_seconds=0)


class LockoutMachine(RuleBasedStateMachine):
    """The authenticator beside a five-line model of the seed's rules, over random attempts and time."""

    def __init__(self) -> None:
        super().__init__()
        self.auth, self.clock = make_auth()
        self.failures = 0
        self.locked_until: float | None = None

    def _locked(self) -> bool:
        return self.locked_until is not None and self.clock() < self.locked_until

    @rule(right=st.booleans(), email=st.sampled_from(["john@example.com", "JOHN@example.com", " john@EXAMPLE.com "]))
    def attempt(self, right: bool, email: str) -> None:
        result = self.auth.attempt(email, "mypassword123" if right else "wrong")
        if self._locked():
            assert result.outcome is Outcome.LOCKED
            return
        if self.locked_until is not None:  # the lock ended by itself
            self.locked_until, self.failures = None, 0
        if right:
            assert result.ok
            self.failures = 0
        else:
            self.failures += 1
            if self.failures >= 3:
                self.locked_until = self.clock() + 900
                assert result.outcome is Outcome.LOCKED
            else:
                assert result.outcome is Outcome.INVALID

    @rule(seconds=st.integers(0, 1200))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: self._locked())
    @invariant()
    def locked_means_refused(self) -> None:
        assert self.auth.state("john@example.com").locked_until == self.locked_until


TestLockoutMachine = LockoutMachine.TestCase
TestLockoutMachine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)


def test_attempts_are_kept_as_an_audit_trail_without_passwords() -> None:
    auth, clock = make_auth()
    auth.attempt(" John@Example.com", "bad")
    clock.advance(60)
    auth.attempt("john@example.com", "mypassword123")
    trail = list(auth.history)
    assert [(a.email_key, a.outcome, a.failures) for a in trail] == [
        ("john@example.com", Outcome.INVALID, 1),
        ("john@example.com", Outcome.SUCCESS, 0),
    ]
    assert trail[1].at - trail[0].at == 60
    assert "mypassword123" not in repr(trail)
