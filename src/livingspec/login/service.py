"""Authentication with lockout: the core of the login example, free of HTTP.

The rules, from the seed's "Feature: User Login" (day 8):

- A wrong password or an unknown email gives the same answer, "Invalid email or password", after
  the same work (an unknown email is verified against a dummy argon2id hash).
- The third consecutive failure locks the email for 15 minutes: "Account temporarily locked. Try
  again in 15 minutes". While locked, even the right password is refused with that message.
- A success resets the count; the lock ends by itself once its 15 minutes have passed.
- Lockout is per account (per normalised email), and unknown emails lock the same way, so the
  lock itself does not reveal which accounts exist.
- Failures are forgotten a day after the last one (``forget_after_seconds``), and rows of ended
  locks and forgotten failures are purged, so guessing many emails cannot grow the table for ever.
- Attempts on one email are checked one at a time (striped locks), so parallel guesses cannot
  escape the count now that hashing runs in worker threads.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from enum import Enum

from livingspec.login.clock import Clock, wall_clock
from livingspec.login.passwords import PasswordVerifier
from livingspec.login.store import Account, FailureState, LoginStore, normalize_email

INVALID_MESSAGE = "Invalid email or password"
MAX_PASSWORD_LENGTH = 1024  # longer input is refused without hashing it (hashing cost is the attacker's lever)
PURGE_INTERVAL_SECONDS = 60.0  # clock seconds between two purges of ended locks and forgotten failures
LOCK_STRIPES = 64  # attempts on emails in one stripe are serialised; others run in parallel


@dataclass(frozen=True)
class LockoutPolicy:
    """How many consecutive failures lock an account, and for how long."""

    max_failures: int = 3  # the failure that reaches this count locks the account
    lock_seconds: float = 15 * 60  # 15 minutes
    forget_after_seconds: float = 24 * 3600  # failures older than this (since the last one) no longer count

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError(f"max_failures must be at least 1, got {self.max_failures}")
        if self.lock_seconds <= 0:
            raise ValueError(f"lock_seconds must be positive, got {self.lock_seconds}")
        if self.forget_after_seconds < self.lock_seconds:
            raise ValueError(
                f"forget_after_seconds ({self.forget_after_seconds}) must be at least "
                f"lock_seconds ({self.lock_seconds})"
            )


def locked_message(remaining_seconds: float) -> str:
    """The lock message, rounding the remaining time up to whole minutes."""
    minutes = max(1, math.ceil(remaining_seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Account temporarily locked. Try again in {minutes} {unit}"


class Outcome(Enum):
    """What a login attempt ended in."""

    SUCCESS = "success"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    """The answer to one login attempt; ``message`` is what the page shows (empty on success)."""

    outcome: Outcome
    message: str
    account: Account | None = None
    failures: int = 0  # consecutive failures after this attempt
    locked_until: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the attempt signed the customer in."""
        return self.outcome is Outcome.SUCCESS


@dataclass(frozen=True)
class AttemptRecord:
    """One login attempt as the audit trail keeps it (never the password)."""

    at: float  # clock seconds
    email_key: str
    outcome: Outcome
    failures: int  # consecutive failures after the attempt
    locked_until: float | None


class Authenticator:
    """Checks email and password against the store, counting failures and locking accounts."""

    def __init__(
        self,
        store: LoginStore,
        verifier: PasswordVerifier,
        *,
        policy: LockoutPolicy | None = None,
        clock: Clock = wall_clock,
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.policy = policy or LockoutPolicy()
        self.clock = clock
        #: The latest attempts, oldest first (bounded: an audit trail, not a store).
        self.history: deque[AttemptRecord] = deque(maxlen=1000)
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._purge_lock = threading.Lock()
        self._next_purge = -math.inf

    def register(self, name: str, email: str, password: str) -> Account:
        """Create an account with an argon2id hash of ``password``."""
        return self.store.add_account(name, email, self.verifier.hash(password))

    def state(self, email: str) -> FailureState:
        """The failure state of an email, with an ended lock or forgotten failures already cleared."""
        return self._current(self.store.failures(normalize_email(email)), self.clock())

    def _current(self, state: FailureState, now: float) -> FailureState:
        """``state`` as it counts at ``now``: fresh once its lock has ended or its failures are forgotten."""
        if state.locked_until is not None:
            return FailureState() if now >= state.locked_until else state
        if state.last_failed is not None and now - state.last_failed >= self.policy.forget_after_seconds:
            return FailureState()
        return state

    def attempt(self, email: str, password: str) -> LoginResult:
        """One login attempt. Never raises on any input; safe to call from several threads."""
        key = normalize_email(email)
        self._purge()
        with self._stripes[hash(key) % LOCK_STRIPES]:
            result = self._attempt(key, password)
        self.history.append(AttemptRecord(self.clock(), key, result.outcome, result.failures, result.locked_until))
        return result

    def _purge(self) -> None:
        """Delete rows of ended locks and forgotten failures, at most once per PURGE_INTERVAL_SECONDS."""
        now = self.clock()
        with self._purge_lock:
            if now < self._next_purge:
                return
            self._next_purge = now + PURGE_INTERVAL_SECONDS
        self.store.purge_failures(now, now - self.policy.forget_after_seconds)

    def _attempt(self, key: str, password: str) -> LoginResult:
        now = self.clock()
        state = self.store.failures(key)
        if state.locked_until is None:
            state = self._current(state, now)  # failures older than the window are forgotten
        if state.locked_until is not None:
            if now < state.locked_until:
                # Locked: refused before any password check, even the right one.
                return LoginResult(
                    Outcome.LOCKED,
                    locked_message(state.locked_until - now),
                    None,
                    state.consecutive,
                    state.locked_until,
                )
            state = FailureState()  # the lock has ended by itself: a fresh start
        account = self.store.account(key) if key else None
        if len(password) > MAX_PASSWORD_LENGTH:
            matched = self.verifier.verify_dummy("")
        elif account is None:
            matched = self.verifier.verify_dummy(password)  # same work as a real check
        else:
            matched = self.verifier.verify(account.password_hash, password)
        if matched and account is not None:
            self.store.set_failures(key, FailureState())
            if self.verifier.needs_rehash(account.password_hash):
                self.store.set_password_hash(key, self.verifier.hash(password))
            return LoginResult(Outcome.SUCCESS, "", account, 0, None)
        failures = state.consecutive + 1
        if failures >= self.policy.max_failures:
            until = now + self.policy.lock_seconds
            self.store.set_failures(key, FailureState(failures, until, now))
            return LoginResult(Outcome.LOCKED, locked_message(self.policy.lock_seconds), None, failures, until)
        self.store.set_failures(key, FailureState(failures, None, now))
        return LoginResult(Outcome.INVALID, INVALID_MESSAGE, None, failures, None)
