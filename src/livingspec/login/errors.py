"""Errors of the login example: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class LoginError(LivingSpecError):
    """Root of every error the login application, its drivers and the BDD workspace raise."""


class InvalidEmailError(LoginError, ValueError):
    """An address given for a new account is not an email address (names what is wrong with it)."""


class DuplicateAccountError(LoginError, ValueError):
    """An account with the same normalised email already exists."""


class UnknownAccountError(LoginError, KeyError):
    """An operation named an account that does not exist."""


class UnknownCustomerError(LoginError):
    """A scenario named a customer (by first name) for whom no account was registered."""


class WeakHashParametersError(LoginError, ValueError):
    """Argon2id parameters below OWASP's minimum were asked for without opting in to weak hashing."""


class CsrfError(LoginError):
    """A state-changing form arrived without the session's CSRF token (or with another one)."""


class SessionError(LoginError):
    """A session cookie is missing, its signature is wrong, or the session it names has ended."""


class DriverError(LoginError):
    """A driver could not do what a step asked: no such field or button, a disabled control, a bad page."""


class WorkspaceError(LoginError):
    """The BDD workspace could not run behave or could not read what behave printed."""
