"""Hashes that are stable across processes and restarts.

Python's built-in ``hash()`` of a string is salted per process (PYTHONHASHSEED), so a balancer
restarted, or a second balancer beside it, would send the same session elsewhere. Every
affinity decision here uses BLAKE2b (RFC 7693) truncated to 64 bits instead; a ``salt`` (its
personalisation string) gives independent hash functions, which Maglev needs two of.
"""

from __future__ import annotations

import hashlib

HASH_BITS = 64


def stable_hash(data: str | bytes, salt: str = "") -> int:
    """A 64-bit unsigned hash of ``data``, identical in every process; ``salt`` (<= 16 bytes) selects the function."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    person = salt.encode("utf-8")
    if len(person) > 16:
        raise ValueError(f"hash salt {salt!r} is longer than 16 bytes")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8, person=person).digest(), "big")
