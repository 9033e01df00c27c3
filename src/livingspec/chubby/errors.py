"""Errors of the Chubby cell: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class ChubbyError(LivingSpecError):
    """Root of every Chubby error (the simulated cell and the etcd driver)."""


class ConfigError(ChubbyError, ValueError):
    """A cell, session or lock setting is outside what the design allows."""


class InvalidPathError(ChubbyError, ValueError):
    """A name is not of the form /ls/<cell>/<name>... with non-empty components."""


class NoSuchNodeError(ChubbyError):
    """The file or directory does not exist."""


class NodeExistsError(ChubbyError):
    """A node of that name already exists."""


class NotEmptyError(ChubbyError):
    """A directory still has children and cannot be deleted."""


class NotDirectoryError(ChubbyError):
    """The parent of a new node is a file, not a directory."""


class FileTooLargeError(ChubbyError, ValueError):
    """The contents exceed the small-file limit (Chubby keeps files small: 256 KiB)."""


class PermissionDeniedError(ChubbyError):
    """The client's name is not in the ACL that guards this operation."""


class LockHeldError(ChubbyError):
    """The lock is held in a conflicting mode by another session."""


class LockDelayError(ChubbyError):
    """The lock's holder failed; the lock stays unavailable until its lock-delay has passed."""

    def __init__(self, path: str, until: float) -> None:
        self.path, self.until = path, until
        super().__init__(f"lock {path} is in lock-delay until t={until:.3f} s")


class NotLockHolderError(ChubbyError):
    """The session releases a lock it does not hold."""


class StaleSequencerError(ChubbyError):
    """A sequencer no longer names the current holding of its lock (the holder lost it)."""


class SessionExpiredError(ChubbyError):
    """The session's lease ran out (grace period included): its handles, locks and ephemeral files are gone."""


class NoSuchReplicaError(ChubbyError):
    """A step or call named a replica the cell does not have (the message lists those it has)."""


class NoMasterError(ChubbyError):
    """No master answered within the call's deadline: too few replicas are up or reachable."""


class SafetyViolationError(ChubbyError):
    """An invariant of the cell failed (two masters in one epoch, two exclusive holders, a lost write)."""
