"""The login application's data in SQLite: accounts, orders, failure counts and sessions.

One connection (``:memory:`` by default) shared by the request thread and the test thread, so
every statement runs under one lock. Accounts and failure counts are keyed by the normalised
email (see ``normalize_email``), so case or whitespace changes never make a second account or
a fresh failure count. Expired sessions, ended locks and forgotten failures are purged by the
session manager and the authenticator (``purge_sessions``, ``purge_failures``), so no table grows
with the traffic of visitors who never sign in.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from dataclasses import dataclass

from livingspec.login.errors import DuplicateAccountError, InvalidEmailError

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    email_key TEXT PRIMARY KEY,      -- normalised email: the identity of the account
    email TEXT NOT NULL,             -- as registered, for display
    name TEXT NOT NULL,              -- first name, for the greeting
    password_hash TEXT NOT NULL      -- argon2id PHC string
);
CREATE TABLE IF NOT EXISTS failures (
    email_key TEXT PRIMARY KEY,      -- also for unknown emails: lockout must not reveal accounts
    consecutive INTEGER NOT NULL,    -- failed logins since the last success or lock expiry
    locked_until REAL,               -- clock seconds; NULL when not locked
    last_failed REAL                 -- clock seconds of the latest failure (forgotten after a window)
);
CREATE INDEX IF NOT EXISTS failures_by_lock ON failures (locked_until);
CREATE INDEX IF NOT EXISTS failures_by_last ON failures (last_failed);
CREATE TABLE IF NOT EXISTS orders (
    email_key TEXT NOT NULL,
    number TEXT NOT NULL,
    placed TEXT NOT NULL,            -- ISO date
    item TEXT NOT NULL,
    total_cents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,             -- random, 256 bits; the cookie carries it signed
    email_key TEXT,                  -- NULL for an anonymous session (it still carries a CSRF token)
    csrf TEXT NOT NULL,              -- synchroniser token for the session's forms
    created REAL NOT NULL            -- clock seconds
);
CREATE INDEX IF NOT EXISTS sessions_by_created ON sessions (created);
"""


def normalize_email(email: str) -> str:
    """The key of an email: NFKC, every whitespace character removed, case folded. Never raises.

    Case folding can undo NFKC's composition (``E`` + diaeresis folds to ``e`` + diaeresis), so the
    steps repeat until the key is stable (a fixed point; two rounds suffice in practice, four at most).
    """
    key = email
    for _ in range(4):
        step = unicodedata.normalize("NFKC", "".join(unicodedata.normalize("NFKC", key).split()).casefold())
        if step == key:
            break
        key = step
    return key


def validate_email(email: str) -> str:
    """Return the normalised email of a new account, or raise InvalidEmailError naming the problem."""
    key = normalize_email(email)
    if not key:
        raise InvalidEmailError("the email is empty")
    if len(key) > MAX_EMAIL_LENGTH:
        raise InvalidEmailError(f"the email has {len(key)} characters; at most {MAX_EMAIL_LENGTH} are allowed")
    local, at, domain = key.rpartition("@")
    if not at or not local or not domain:
        raise InvalidEmailError(f"the email {email!r} has no local part, '@' and domain")
    return key


@dataclass(frozen=True)
class Account:
    """A customer's account."""

    email_key: str
    email: str
    name: str
    password_hash: str


@dataclass(frozen=True)
class FailureState:
    """Consecutive failed logins of one email key, and the end of its lock (None: not locked)."""

    consecutive: int = 0
    locked_until: float | None = None
    last_failed: float | None = None  # clock seconds of the latest failure


@dataclass(frozen=True)
class Order:
    """One past order, shown on the order-history page."""

    number: str
    placed: str
    item: str
    total_cents: int

    @property
    def total(self) -> str:
        """The total as dollars, e.g. ``$42.50``."""
        return f"${self.total_cents // 100}.{self.total_cents % 100:02d}"


@dataclass(frozen=True)
class SessionRecord:
    """A session row: anonymous when ``email_key`` is None."""

    id: str
    email_key: str | None
    csrf: str
    created: float


class LoginStore:
    """The SQLite database of the login application; every method is atomic under one lock."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(failures)")}
        if columns and "last_failed" not in columns:  # a database from before failures were forgotten
            self._db.execute("ALTER TABLE failures ADD COLUMN last_failed REAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # accounts ---------------------------------------------------------------------------------
    def add_account(self, name: str, email: str, password_hash: str) -> Account:
        """Store a new account; DuplicateAccountError when its normalised email exists."""
        key = validate_email(email)
        with self._lock:
            try:
                self._db.execute("INSERT INTO accounts VALUES (?, ?, ?, ?)", (key, email.strip(), name, password_hash))
            except sqlite3.IntegrityError:
                raise DuplicateAccountError(f"an account for {email!r} already exists") from None
        return Account(key, email.strip(), name, password_hash)

    def account(self, email_key: str) -> Account | None:
        """The account with this key, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM accounts WHERE email_key = ?", (email_key,)).fetchone()
        return Account(*row) if row else None

    def set_password_hash(self, email_key: str, password_hash: str) -> None:
        """Replace an account's hash (rehash after a parameter change)."""
        with self._lock:
            self._db.execute("UPDATE accounts SET password_hash = ? WHERE email_key = ?", (password_hash, email_key))

    # failures ---------------------------------------------------------------------------------
    def failures(self, email_key: str) -> FailureState:
        """The failure state of an email key (zero for one never seen)."""
        with self._lock:
            row = self._db.execute(
                "SELECT consecutive, locked_until, last_failed FROM failures WHERE email_key = ?", (email_key,)
            ).fetchone()
        return FailureState(row[0], row[1], row[2]) if row else FailureState()

    def set_failures(self, email_key: str, state: FailureState) -> None:
        """Store the failure state of an email key (a zero state deletes the row)."""
        with self._lock:
            if state == FailureState():
                self._db.execute("DELETE FROM failures WHERE email_key = ?", (email_key,))
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO failures (email_key, consecutive, locked_until, last_failed) "
                    "VALUES (?, ?, ?, ?)",
                    (email_key, state.consecutive, state.locked_until, state.last_failed),
                )

    def purge_failures(self, now: float, forgotten_before: float) -> int:
        """Delete rows whose lock ended by ``now`` or whose last failure is before ``forgotten_before``."""
        with self._lock:
            ended = self._db.execute("DELETE FROM failures WHERE locked_until <= ?", (now,)).rowcount
            old = self._db.execute(
                "DELETE FROM failures WHERE locked_until IS NULL AND (last_failed IS NULL OR last_failed <= ?)",
                (forgotten_before,),
            ).rowcount
        return int(ended + old)

    # orders -----------------------------------------------------------------------------------
    def add_order(self, email_key: str, order: Order) -> None:
        """Add an order to an account's history."""
        with self._lock:
            self._db.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
                (email_key, order.number, order.placed, order.item, order.total_cents),
            )

    def orders(self, email_key: str) -> list[Order]:
        """An account's orders, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT number, placed, item, total_cents FROM orders WHERE email_key = ? ORDER BY placed DESC, number",
                (email_key,),
            ).fetchall()
        return [Order(*row) for row in rows]

    # sessions ---------------------------------------------------------------------------------
    def put_session(self, record: SessionRecord) -> None:
        """Store a session."""
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)", (record.id, record.email_key, record.csrf, record.created)
            )

    def session(self, session_id: str) -> SessionRecord | None:
        """The session with this id, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return SessionRecord(*row) if row else None

    def delete_session(self, session_id: str) -> None:
        """Forget a session (logout, rotation, expiry)."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def purge_sessions(self, created_before: float) -> int:
        """Delete sessions created before ``created_before`` (expired); return how many went."""
        with self._lock:
            return int(self._db.execute("DELETE FROM sessions WHERE created < ?", (created_before,)).rowcount)

    # size ---------------------------------------------------------------------------------------
    def session_count(self) -> int:
        """How many session rows are stored (what an attacker could make grow)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    def failure_count(self) -> int:
        """How many failure rows are stored (one per email with failures not yet forgotten)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM failures").fetchone()[0])
