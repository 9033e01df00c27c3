"""Errors of the sticky-session balancer: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class StickyError(LivingSpecError):
    """Root of every sticky-session error."""


class InvalidServerError(StickyError, ValueError):
    """A server's name, address or weight is not one the balancer accepts."""


class UnknownServerError(StickyError, KeyError):
    """An operation named a server that is not in the pool."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no server named {name!r} in the pool")

    def __str__(self) -> str:
        return str(self.args[0])


class NoLiveServerError(StickyError, RuntimeError):
    """Every server in the pool is down, draining or weighted zero: nobody can take the request."""


class UnknownStrategyError(StickyError, ValueError):
    """The strategy name is not one of the affinity strategies this package knows."""


class InvalidStrategyError(StickyError, ValueError):
    """A strategy parameter is out of range (a Maglev table size that is not prime, no virtual nodes)."""


class BadRequestTargetError(StickyError, ValueError):
    """A request target the balancer refuses to forward (not origin-form, or bytes a URL cannot hold): 400."""


class NotOnThisTargetError(StickyError):
    """The shop asked for does not exist on the selected target (HAProxy is a real process: real target only)."""
