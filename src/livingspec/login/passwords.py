"""Password hashing with argon2id (RFC 9106) at OWASP's recommended cost, and a dummy verification.

OWASP's Password Storage Cheat Sheet recommends argon2id with one of these equivalent settings:
m=47104 KiB t=1, m=19456 KiB t=2, m=12288 KiB t=3, m=9216 KiB t=4, m=7168 KiB t=5 (p=1). We use
m=19456 KiB (19 MiB), t=2, p=1. Every product m*t on that list is at least 35840 KiB, which is the
floor enforced here unless the caller opts in to weak hashing (tests only).

An unknown email is verified against a dummy hash made with the same parameters, so an unknown
user and a wrong password take the same path and the same time (no user enumeration).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from livingspec.login.errors import WeakHashParametersError

#: OWASP's floor: memory (KiB) times passes, and memory alone.
OWASP_MIN_MEMORY_TIME = 7168 * 5
OWASP_MIN_MEMORY_KIB = 7168


@dataclass(frozen=True)
class Argon2Parameters:
    """Cost of one argon2id hash. Defaults: OWASP's m=19 MiB, t=2, p=1."""

    time_cost: int = 2  # passes over memory; more passes, more time, same memory
    memory_kib: int = 19456  # memory per hash in KiB; the main cost for an attacker's GPU
    parallelism: int = 1  # lanes; OWASP recommends 1
    hash_len: int = 32  # bytes of output
    salt_len: int = 16  # bytes of random salt per hash

    @property
    def meets_owasp(self) -> bool:
        """Whether these parameters are at least OWASP's recommendation."""
        return (
            self.memory_kib >= OWASP_MIN_MEMORY_KIB
            and self.memory_kib * self.time_cost >= OWASP_MIN_MEMORY_TIME
            and self.parallelism >= 1
        )


OWASP = Argon2Parameters()
#: Fast, insecure parameters for property tests that run thousands of logins. Never for production.
INSECURE_FOR_TESTS = Argon2Parameters(time_cost=1, memory_kib=8, parallelism=1)


class PasswordVerifier:
    """Hashes and verifies passwords with argon2id; verifies unknown users against a dummy hash."""

    def __init__(self, parameters: Argon2Parameters = OWASP, *, allow_weak: bool = False) -> None:
        if not parameters.meets_owasp and not allow_weak:
            raise WeakHashParametersError(
                f"argon2id with m={parameters.memory_kib} KiB, t={parameters.time_cost} is below OWASP's minimum "
                f"(m*t >= {OWASP_MIN_MEMORY_TIME} KiB, m >= {OWASP_MIN_MEMORY_KIB} KiB); pass allow_weak=True "
                "only in tests"
            )
        self.parameters = parameters
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            hash_len=parameters.hash_len,
            salt_len=parameters.salt_len,
            type=Type.ID,
        )
        # Same parameters as real hashes, so verifying against it costs the same.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        """The PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches ``stored_hash``; False on a mismatch or a damaged hash."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, password: str) -> bool:
        """Spend the time of one verification for an unknown user; always False."""
        self.verify(self._dummy_hash, password)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether a stored hash was made with other parameters (rehash it at the next login)."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError):
            return True
