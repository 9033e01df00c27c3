"""What happened in a simulated cell, as a timeline, and the safety invariants checked as it happens.

The monitor sees every master change, crash, restart, partition and lock grant. It keeps:

- the timeline (who was master when, in which epoch, with which lease) for the failover pictures;
- at most one master per epoch, and never two masters serving at once;
- agreement: every replica that decides a log slot decides the same command there;
- at most one client at a time believes, with a valid session, that it holds an exclusive lock.

A violation raises SafetyViolationError at once, with the virtual time, so a seed replays it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livingspec.chubby.errors import SafetyViolationError


@dataclass
class MasterTerm:
    """One replica's time as master: from election (ready to serve) to the end of its service."""

    replica: str
    epoch: int
    start: float
    end: float | None = None
    reason: str = ""
    lease_ends: list[float] = field(default_factory=list)  # lease end after each renewal


@dataclass
class Incident:
    """A fault or notable moment on the timeline (crash, restart, partition, heal, expiry)."""

    time: float
    kind: str
    subject: str


@dataclass
class Monitor:
    """Records the timeline and checks the invariants while the simulation runs."""

    terms: list[MasterTerm] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    master_of_epoch: dict[int, str] = field(default_factory=dict)
    decided: dict[int, Any] = field(default_factory=dict)  # slot -> command (first decision seen)
    lock_beliefs: dict[str, dict[str, float]] = field(default_factory=dict)  # path -> client -> since
    elections_started: int = 0
    # the replicas actually serving now, asked of the cell: the check must not trust self-reported leases
    serving_replicas: Callable[[], list[str]] | None = None

    def serving(self) -> list[MasterTerm]:
        return [term for term in self.terms if term.end is None]

    def master_started(self, replica: str, epoch: int, now: float, lease_end: float) -> None:
        owner = self.master_of_epoch.setdefault(epoch, replica)
        if owner != replica:
            raise SafetyViolationError(f"t={now:.3f}: epoch {epoch} has two masters, {owner} and {replica}")
        others = [name for name in (self.serving_replicas() if self.serving_replicas else []) if name != replica]
        if others:
            raise SafetyViolationError(
                f"t={now:.3f}: {replica} became master (epoch {epoch}) while {', '.join(others)} still serves"
            )
        for term in self.serving():
            if term.lease_ends and term.lease_ends[-1] > now:
                raise SafetyViolationError(
                    f"t={now:.3f}: {replica} became master (epoch {epoch}) while {term.replica}'s lease "
                    f"(epoch {term.epoch}) runs until t={term.lease_ends[-1]:.3f}"
                )
            self.master_stopped(term.replica, term.epoch, now, "superseded")
        self.terms.append(MasterTerm(replica, epoch, now, lease_ends=[lease_end]))

    def lease_renewed(self, replica: str, epoch: int, lease_end: float) -> None:
        for term in self.serving():
            if term.replica == replica and term.epoch == epoch:
                term.lease_ends.append(lease_end)

    def master_stopped(self, replica: str, epoch: int, now: float, reason: str) -> None:
        for term in self.serving():
            if term.replica == replica and term.epoch == epoch:
                term.end, term.reason = now, reason

    def slot_decided(self, replica: str, slot: int, command: Any, now: float) -> None:
        first = self.decided.setdefault(slot, command)
        if first is not command and first != command:
            raise SafetyViolationError(f"t={now:.3f}: {replica} decided {command} in slot {slot}, others {first}")

    def incident(self, now: float, kind: str, subject: str) -> None:
        self.incidents.append(Incident(now, kind, subject))

    def lock_believed(self, path: str, client: str, now: float, exclusive: bool, valid_clients: set[str]) -> None:
        """A client now believes it holds ``path``; no other client with a valid session may believe so too."""
        beliefs = self.lock_beliefs.setdefault(path, {})
        if exclusive:
            others = [c for c in beliefs if c != client and c in valid_clients]
            if others:
                raise SafetyViolationError(
                    f"t={now:.3f}: {client} holds the exclusive lock {path} while {', '.join(others)} still does"
                )
        beliefs[client] = now

    def lock_forgotten(self, path: str, client: str) -> None:
        self.lock_beliefs.get(path, {}).pop(client, None)

    def timeline_records(self) -> list[dict[str, Any]]:
        """The master terms as rows (for a table beside the picture)."""
        return [
            {
                "master": term.replica,
                "epoch": term.epoch,
                "from (s)": round(term.start, 3),
                "until (s)": "now" if term.end is None else round(term.end, 3),
                "why it ended": term.reason or "-",
            }
            for term in self.terms
        ]
