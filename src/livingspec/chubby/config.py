"""Settings of a simulated Chubby cell, each with the trade-off it controls. Times in virtual seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from livingspec.chubby.errors import ConfigError
from livingspec.chubby.sim import NetworkConfig

#: The paper's bound on the lock-delay a client may choose: one minute.
MAX_LOCK_DELAY = 60.0


@dataclass
class ChubbyConfig:
    """One cell's settings. Defaults follow the paper where it gives a figure."""

    replicas: int = 5  # cell size; 5 tolerates 2 failures, larger cells cost more messages per write
    master_lease: float = 6.0  # replicas promise not to elect another master this long after hearing from it
    heartbeat_interval: float = 1.0  # how often the master renews its lease (must be well below master_lease)
    election_jitter: float = 1.0  # random backoff before a replica stands for election (avoids duelling)
    round_timeout: float = 0.5  # a candidate gives up a ballot that has no majority after this long
    session_lease: float = 12.0  # session lease the master grants per KeepAlive (paper: 12 s default)
    keepalive_early: float = 1.0  # the master answers a held KeepAlive this long before the lease ends
    grace_period: float = 45.0  # client waits this long in jeopardy for a new master (paper: 45 s)
    rpc_retry: float = 0.5  # a client retries an unanswered call on another replica after this long
    call_timeout: float = 20.0  # a client call fails with NoMasterError after this long without a master
    default_lock_delay: float = MAX_LOCK_DELAY  # lock-delay when the client does not choose one
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ConfigError(f"replicas must be at least 1, got {self.replicas}")
        if not 0 < self.heartbeat_interval < self.master_lease:
            raise ConfigError(
                f"heartbeat_interval ({self.heartbeat_interval}) must be below master_lease ({self.master_lease})"
            )
        if not 0 < self.keepalive_early < self.session_lease:
            raise ConfigError(
                f"keepalive_early ({self.keepalive_early}) must be below session_lease ({self.session_lease})"
            )
        if not 0 <= self.default_lock_delay <= MAX_LOCK_DELAY:
            raise ConfigError(f"default_lock_delay must be within 0..{MAX_LOCK_DELAY} s")

    @classmethod
    def described(cls, settings: dict[str, str]) -> ChubbyConfig:
        """A config from settings a reader states (``{"master lease": "12"}``), the rest left at the defaults.

        The names are SETTINGS' keys (times in seconds); any other name raises ConfigError listing them.
        """
        values: dict[str, float | int] = {}
        for name, raw in settings.items():
            key = name.strip().lower().removesuffix(" (s)").removesuffix(" (seconds)")
            if key not in SETTINGS:
                raise ConfigError(f"unknown Chubby setting {name!r}; known: {', '.join(SETTINGS)}")
            try:
                values[SETTINGS[key]] = int(raw) if key == "replicas" else float(raw)
            except ValueError:
                raise ConfigError(f"Chubby setting {name!r} must be a number, got {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def majority(self) -> int:
        """Replicas that must agree: more than half the cell."""
        return self.replicas // 2 + 1

    def failover_bound(self) -> float:
        """Worst case from a master's crash to a new serving master, as the settings imply.

        The replicas' promise to the old master lasts ``master_lease`` from its last heartbeat; then a
        replica waits up to ``election_jitter`` and runs a round; a few duelling rounds may be lost,
        each costing ``round_timeout`` plus jitter. Three rounds are allowed for here.
        """
        return self.master_lease + 3 * (self.round_timeout + self.election_jitter) + 0.5


#: The settings a scenario may describe, by the words it uses (times in seconds), and their fields.
SETTINGS = {
    "replicas": "replicas",
    "master lease": "master_lease",
    "heartbeat interval": "heartbeat_interval",
    "election jitter": "election_jitter",
    "round timeout": "round_timeout",
    "session lease": "session_lease",
    "keepalive early": "keepalive_early",
    "grace period": "grace_period",
    "rpc retry": "rpc_retry",
    "call timeout": "call_timeout",
    "default lock-delay": "default_lock_delay",
}
