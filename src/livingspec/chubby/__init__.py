"""The Chubby lock service: a cell of replicas that elects a master by Paxos and serves locks and small files.

Seed, day 2. Source: Burrows, "The Chubby lock service for loosely-coupled distributed systems",
OSDI 2006. A deterministic simulation (virtual clock, seeded randomness, a faulty network, crashes
with durable state) of a cell running Multi-Paxos with master leases; client sessions with
KeepAlives, jeopardy and a grace period; files and directories with metadata; advisory locks with
sequencers and lock-delay; events and cache invalidation. ``livingspec.chubby.etcd`` drives the same
ideas on a real etcd cluster.
"""

from livingspec.chubby.cell import ChubbyCell, FencedStorage
from livingspec.chubby.client import Call, ChubbyClient, ClientEvent
from livingspec.chubby.config import MAX_LOCK_DELAY, ChubbyConfig
from livingspec.chubby.errors import (
    ChubbyError,
    ConfigError,
    FileTooLargeError,
    InvalidPathError,
    LockDelayError,
    LockHeldError,
    NodeExistsError,
    NoMasterError,
    NoSuchNodeError,
    NoSuchReplicaError,
    NotEmptyError,
    NotLockHolderError,
    PermissionDeniedError,
    SafetyViolationError,
    SessionExpiredError,
    StaleSequencerError,
)
from livingspec.chubby.monitor import MasterTerm, Monitor
from livingspec.chubby.sim import Network, NetworkConfig, Simulation
from livingspec.chubby.store import MAX_FILE_SIZE, Command, LockMode, Node, Sequencer, Store, check_path

__all__ = [
    "MAX_FILE_SIZE",
    "MAX_LOCK_DELAY",
    "Call",
    "ChubbyCell",
    "ChubbyClient",
    "ChubbyConfig",
    "ChubbyError",
    "ClientEvent",
    "Command",
    "ConfigError",
    "FencedStorage",
    "FileTooLargeError",
    "InvalidPathError",
    "LockDelayError",
    "LockHeldError",
    "LockMode",
    "MasterTerm",
    "Monitor",
    "Network",
    "NetworkConfig",
    "NoMasterError",
    "NoSuchNodeError",
    "NoSuchReplicaError",
    "Node",
    "NodeExistsError",
    "NotEmptyError",
    "NotLockHolderError",
    "PermissionDeniedError",
    "SafetyViolationError",
    "Sequencer",
    "SessionExpiredError",
    "Simulation",
    "StaleSequencerError",
    "Store",
    "check_path",
]
