"""Server-side sessions behind a signed cookie, with a CSRF token per session.

The cookie carries only a random session id (256 bits), signed with HMAC (itsdangerous) so a
forged or altered cookie is refused before the database is asked. A signed-in session is a row
holding the CSRF token of its forms (the synchroniser-token pattern, OWASP CSRF Prevention Cheat
Sheet). A visitor who has not signed in gets no row: the cookie itself carries a random CSRF token
and its issue time, signed (the signed double-submit cookie of the same cheat sheet), so a
crawler or an attacker sending cookieless requests cannot make the table grow. Signing in stores
a session with a new id and a new token (no session fixation, OWASP Session Management Cheat
Sheet); logging out deletes it, and expired rows are purged as new sessions are stored.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer

from livingspec.login.clock import Clock, wall_clock
from livingspec.login.errors import CsrfError, SessionError
from livingspec.login.store import LoginStore, SessionRecord

COOKIE_NAME = "livingspec_session"
MAX_COOKIE_LENGTH = 512
ANONYMOUS = "anonymous"  # first field of an anonymous cookie's signed payload
PURGE_INTERVAL_SECONDS = 60.0  # clock seconds between two purges of expired sessions


@dataclass(frozen=True)
class CookiePolicy:
    """Attributes of the session cookie. Secure by default; opt out only for plain-HTTP loopback tests."""

    secure: bool = True  # sent over HTTPS only
    same_site: str = "lax"  # not sent on cross-site subrequests or cross-site POSTs
    max_age_seconds: int = 8 * 3600  # a session lives at most a working day
    path: str = "/"


class SessionManager:
    """Creates, reads, rotates and ends sessions; checks CSRF tokens."""

    def __init__(
        self, store: LoginStore, secret: bytes, *, clock: Clock = wall_clock, policy: CookiePolicy | None = None
    ):
        if len(secret) < 32:
            raise ValueError(f"the session secret has {len(secret)} bytes; use at least 32 random bytes")
        self.store = store
        self.clock = clock
        self.policy = policy or CookiePolicy()
        self._signer = Signer(secret, salt="livingspec.login.session")
        self._next_purge = -math.inf

    def anonymous(self) -> SessionRecord:
        """A session for a visitor who has not signed in: a fresh CSRF token, stored nowhere but the cookie."""
        return SessionRecord("", None, secrets.token_urlsafe(32), self.clock())

    def new_session(self, email_key: str | None = None) -> SessionRecord:
        """A stored session with a new id and its own CSRF token; purges expired ones first."""
        now = self.clock()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL_SECONDS
            self.store.purge_sessions(now - self.policy.max_age_seconds)
        record = SessionRecord(secrets.token_urlsafe(32), email_key, secrets.token_urlsafe(32), now)
        self.store.put_session(record)
        return record

    def cookie_value(self, record: SessionRecord) -> str:
        """The signed cookie value: the id of a stored session, or an anonymous one's token and issue time."""
        payload = record.id if record.id else f"{ANONYMOUS}:{record.created!r}:{record.csrf}"
        return self._signer.sign(payload).decode("ascii")

    def load(self, cookie: str | None) -> SessionRecord:
        """The live session a cookie names; SessionError saying why when there is none."""
        if not cookie:
            raise SessionError("no session cookie")
        if len(cookie) > MAX_COOKIE_LENGTH:
            raise SessionError(f"the session cookie has {len(cookie)} characters; at most {MAX_COOKIE_LENGTH}")
        try:
            session_id = self._signer.unsign(cookie.encode("utf-8", "replace")).decode("utf-8", "replace")
        except BadSignature:
            raise SessionError("the session cookie's signature is wrong") from None
        if session_id.startswith(ANONYMOUS + ":"):
            return self._anonymous_from(session_id)
        record = self.store.session(session_id)
        if record is None:
            raise SessionError("the session has ended")
        if self.clock() - record.created > self.policy.max_age_seconds:
            self.store.delete_session(record.id)
            raise SessionError("the session has expired")
        return record

    def _anonymous_from(self, payload: str) -> SessionRecord:
        """The anonymous session a validly signed payload describes, unless it is older than a session may live."""
        _, created, csrf = [*payload.split(":", 2), "", ""][:3]
        try:
            issued = float(created)
        except ValueError:
            raise SessionError("the anonymous session cookie is damaged") from None
        if not csrf or not self.clock() - self.policy.max_age_seconds <= issued <= self.clock():
            raise SessionError("the anonymous session has expired")
        return SessionRecord("", None, csrf, issued)

    def load_or_new(self, cookie: str | None) -> tuple[SessionRecord, bool]:
        """The cookie's session, or a new anonymous one (not stored); the flag says whether it is new."""
        try:
            return self.load(cookie), False
        except SessionError:
            return self.anonymous(), True

    def rotate(self, old: SessionRecord, email_key: str | None) -> SessionRecord:
        """End ``old`` and start a new stored session (new id, new CSRF token) for ``email_key``."""
        self.end(old)
        return self.new_session(email_key)

    def end(self, record: SessionRecord) -> None:
        """End a session (logout); an anonymous one has nothing stored to end."""
        if record.id:
            self.store.delete_session(record.id)

    @staticmethod
    def check_csrf(record: SessionRecord, token: str | None) -> None:
        """Raise CsrfError unless ``token`` is the session's CSRF token (constant-time compare)."""
        if not token:
            raise CsrfError("the form has no CSRF token")
        if not hmac.compare_digest(record.csrf.encode(), token.encode("utf-8", "replace")):
            raise CsrfError("the form's CSRF token is not this session's")
