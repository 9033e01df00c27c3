"""The replicated state machine of a Chubby cell: sessions, files, directories and advisory locks.

Every replica applies the same commands in the same (Paxos-chosen) order, so every replica's store
is the same; the master answers reads from its own copy. Commands carry the master's clock reading
(``at``) so that time-dependent effects (lock-delay) are identical everywhere. Burrows, OSDI 2006,
sections 2.3 (files, directories, handles), 2.4 (locks and sequencers), 2.5 (events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from livingspec.chubby.errors import (
    ChubbyError,
    FileTooLargeError,
    InvalidPathError,
    LockDelayError,
    LockHeldError,
    NodeExistsError,
    NoSuchNodeError,
    NotDirectoryError,
    NotEmptyError,
    NotLockHolderError,
    PermissionDeniedError,
    SessionExpiredError,
    StaleSequencerError,
)

#: Chubby keeps files small; the paper's implementation limit is 256 KiB per file.
MAX_FILE_SIZE = 256 * 1024
#: The root every Chubby name starts with (``/ls/<cell>/...``).
ROOT = "/ls"

EVENT_KINDS = (
    "contents modified",
    "child added",
    "child removed",
    "lock acquired",
    "conflicting lock request",
    "handle invalid",
    "master failed over",
)


class LockMode(StrEnum):
    """Advisory lock modes: one exclusive (writer) holder, or any number of shared (reader) holders."""

    EXCLUSIVE = "exclusive"
    SHARED = "shared"


@dataclass(frozen=True)
class Sequencer:
    """An opaque token naming a lock holding: lock name, mode and lock generation (paper 2.4).

    A server that receives a request with a sequencer checks it is still current, so a holder that
    lost its lock (a stale sequencer) cannot act on the resource any more.
    """

    path: str
    mode: LockMode
    generation: int

    def __str__(self) -> str:
        return f"{self.path}:{self.mode}:{self.generation}"


@dataclass
class Node:
    """A file or directory. Metadata as in the paper: instance number (new for each node of the same
    name), content generation (bumped by each write), lock generation (bumped each time the lock goes
    from free to held), ACL generation and the names of the read/write/change ACLs."""

    path: str
    directory: bool
    contents: bytes = b""
    ephemeral_owner: str | None = None  # session whose end deletes the node; None = permanent
    instance_number: int = 0
    content_generation: int = 0
    lock_generation: int = 0
    acl_generation: int = 0
    acl: dict[str, str] = field(default_factory=dict)  # role (read/write/change) -> ACL file name
    children: set[str] = field(default_factory=set)
    # lock state; invariant: one EXCLUSIVE holder, or only SHARED holders
    holders: dict[str, LockMode] = field(default_factory=dict)  # session id -> mode
    lock_delays: dict[str, float] = field(default_factory=dict)  # session id -> lock-delay it chose (s)
    unavailable_until: float = 0.0  # lock-delay end after a holder's session failed

    def metadata(self) -> dict[str, Any]:
        """The node's metadata as a plain dict (what a stat call returns)."""
        return {
            "path": self.path,
            "kind": "directory" if self.directory else "file",
            "ephemeral": self.ephemeral_owner is not None,
            "instance_number": self.instance_number,
            "content_generation": self.content_generation,
            "lock_generation": self.lock_generation,
            "acl_generation": self.acl_generation,
            "acl": dict(self.acl),
            "size": len(self.contents),
        }


@dataclass
class Command:
    """One client request as a log entry. ``client``/``rid`` identify it so retries apply once."""

    op: str
    client: str = ""
    rid: int = 0
    session: str = ""
    at: float = 0.0
    args: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, int]:
        return (self.client, self.rid)


#: An event for one session: (session id, kind, path).
Event = tuple[str, str, str]


def check_path(path: str) -> str:
    """Validate a Chubby name: /ls/<cell>/..., no empty, '.' or '..' components."""
    if not isinstance(path, str) or not path.startswith(ROOT + "/"):
        raise InvalidPathError(f"name {path!r} must start with {ROOT}/<cell>/")
    parts = path.split("/")[1:]
    if any(part in ("", ".", "..") for part in parts) or len(parts) < 2:
        raise InvalidPathError(f"name {path!r} has an empty, '.' or '..' component")
    return path


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0]


class Store:
    """The Chubby database one replica holds. ``apply`` is deterministic: same commands, same store."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {ROOT: Node(ROOT, directory=True)}
        self.instances: dict[str, int] = {}  # highest instance number per name ever used
        self.sessions: dict[str, str] = {}  # session id -> client name
        self.subscriptions: dict[tuple[str, str], frozenset[str]] = {}  # (session, path) -> event kinds
        self.results: dict[tuple[str, int], tuple[bool, Any]] = {}  # (client, rid) -> outcome
        self.session_counter = 0
        self.applied = 0

    # ----------------------------------------------------------------- writes (through the log)
    def apply(self, command: Command) -> tuple[tuple[bool, Any], list[Event]]:
        """Apply one chosen command; return its outcome (ok, value or error) and the events it raised.

        A command whose (client, rid) was applied before returns the first outcome again and
        changes nothing: a retried or duplicated request takes effect once.
        """
        self.applied += 1
        if command.op == "noop":
            return (True, None), []
        key = command.key()
        if command.client and key in self.results:
            return self.results[key], []
        events: list[Event] = []
        try:
            outcome: tuple[bool, Any] = (True, self._apply(command, events))
        except ChubbyError as error:
            outcome = (False, error)
        if command.client:
            self.results[key] = outcome
        return outcome, events

    def _apply(self, c: Command, events: list[Event]) -> Any:
        if c.op == "open_session":
            self.session_counter += 1
            sid = f"{c.client}/{self.session_counter}"
            self.sessions[sid] = c.client
            return sid
        if c.op in ("close_session", "expire_session"):
            return self._end_session(c.args["session"], c.at, failed=c.op == "expire_session", events=events)
        self._require_session(c.session)
        operation = _OPERATIONS.get(c.op)
        if operation is None:
            raise InvalidPathError(f"unknown operation {c.op!r}")
        return operation(self, c, events)

    def _set_contents(self, c: Command, events: list[Event]) -> int:
        node = self._node(c.args["path"])
        self._check_acl(node, "write", self.sessions[c.session])
        contents = bytes(c.args["contents"])
        if len(contents) > MAX_FILE_SIZE:
            raise FileTooLargeError(f"{node.path}: {len(contents)} bytes exceed the {MAX_FILE_SIZE}-byte limit")
        if node.directory:
            raise NotDirectoryError(f"{node.path} is a directory; it has no contents")
        node.contents = contents
        node.content_generation += 1
        self._notify(node.path, "contents modified", events)
        return node.content_generation

    def _delete_command(self, c: Command, events: list[Event]) -> None:
        node = self._node(c.args["path"])
        self._check_acl(node, "write", self.sessions[c.session])
        self._delete(node, events)

    def _set_acl(self, c: Command, events: list[Event]) -> int:
        node = self._node(c.args["path"])
        self._check_acl(node, "change", self.sessions[c.session])
        node.acl = dict(c.args["acl"])
        node.acl_generation += 1
        return node.acl_generation

    def _subscribe(self, c: Command, events: list[Event]) -> None:
        self._node(c.args["path"])
        kinds = frozenset(c.args["events"])
        unknown = kinds - set(EVENT_KINDS)
        if unknown:
            raise InvalidPathError(f"unknown event kind(s): {', '.join(sorted(unknown))}")
        self.subscriptions[(c.session, c.args["path"])] = kinds

    def _release(self, c: Command, events: list[Event]) -> None:
        node = self._node(c.args["path"])
        if c.session not in node.holders:
            raise NotLockHolderError(f"session {c.session} does not hold the lock {node.path}")
        del node.holders[c.session]
        node.lock_delays.pop(c.session, None)

    def _require_session(self, session: str) -> None:
        if session not in self.sessions:
            raise SessionExpiredError(f"session {session or '(none)'} has expired or was never opened")

    def _create(self, c: Command, events: list[Event]) -> dict[str, Any]:
        path = check_path(c.args["path"])
        if path in self.nodes:
            raise NodeExistsError(f"{path} already exists")
        # create missing parent directories (permanent), then the node itself
        parts = path.split("/")
        for depth in range(2, len(parts)):
            prefix = "/".join(parts[:depth])
            existing = self.nodes.get(prefix)
            if existing is None:
                self._add(Node(prefix, directory=True), events)
            elif not existing.directory:
                raise NotDirectoryError(f"{prefix} is a file; {path} cannot be created under it")
        contents = bytes(c.args.get("contents", b""))
        if len(contents) > MAX_FILE_SIZE:
            raise FileTooLargeError(f"{path}: {len(contents)} bytes exceed the {MAX_FILE_SIZE}-byte limit")
        parent = self.nodes[parent_of(path)]
        node = Node(
            path,
            directory=bool(c.args.get("directory", False)),
            contents=contents,
            ephemeral_owner=c.session if c.args.get("ephemeral") else None,
            acl=dict(c.args.get("acl") or parent.acl),  # new nodes inherit the parent's ACL names
            content_generation=1 if contents else 0,  # the first contents count as the first write
        )
        self._check_acl(parent, "write", self.sessions[c.session])
        self._add(node, events)
        return node.metadata()

    def _add(self, node: Node, events: list[Event]) -> None:
        node.instance_number = self.instances.get(node.path, 0) + 1
        self.instances[node.path] = node.instance_number
        self.nodes[node.path] = node
        self.nodes[parent_of(node.path)].children.add(node.path)
        self._notify(parent_of(node.path), "child added", events)

    def _delete(self, node: Node, events: list[Event]) -> None:
        if node.children:
            raise NotEmptyError(f"{node.path} has {len(node.children)} child node(s)")
        if node.path == ROOT:
            raise InvalidPathError("the root cannot be deleted")
        del self.nodes[node.path]
        self.nodes[parent_of(node.path)].children.discard(node.path)
        for key in [k for k in self.subscriptions if k[1] == node.path]:
            del self.subscriptions[key]
        self._notify(parent_of(node.path), "child removed", events)

    def _acquire(self, c: Command, events: list[Event]) -> Sequencer:
        node = self._node(c.args["path"])
        self._check_acl(node, "write", self.sessions[c.session])
        mode = LockMode(c.args["mode"])
        held = node.holders.get(c.session)
        if held is not None:
            if held == mode:
                return Sequencer(node.path, mode, node.lock_generation)
            raise LockHeldError(f"session {c.session} already holds {node.path} in {held} mode")
        if c.at < node.unavailable_until:
            raise LockDelayError(node.path, node.unavailable_until)
        conflict = node.holders and (mode is LockMode.EXCLUSIVE or LockMode.EXCLUSIVE in node.holders.values())
        if conflict:
            for holder in node.holders:
                self._notify_session(holder, node.path, "conflicting lock request", events)
            raise LockHeldError(f"{node.path} is held {next(iter(node.holders.values()))} by another session")
        if not node.holders:
            node.lock_generation += 1
        node.holders[c.session] = mode
        node.lock_delays[c.session] = float(c.args.get("lock_delay", 0.0))
        self._notify(node.path, "lock acquired", events)
        return Sequencer(node.path, mode, node.lock_generation)

    def _end_session(self, session: str, at: float, *, failed: bool, events: list[Event]) -> list[str]:
        """End a session: release its locks (with lock-delay if it failed), delete its ephemeral nodes."""
        if session not in self.sessions:
            return []
        del self.sessions[session]
        released = []
        for node in list(self.nodes.values()):
            if session in node.holders:
                mode = node.holders.pop(session)
                delay = node.lock_delays.pop(session, 0.0)
                if failed and mode is LockMode.EXCLUSIVE and delay > 0:
                    node.unavailable_until = max(node.unavailable_until, at + delay)
                released.append(node.path)
        for node in sorted(
            (n for n in self.nodes.values() if n.ephemeral_owner == session), key=lambda n: -len(n.path)
        ):
            if not node.children:
                self._delete(node, events)
        for key in [k for k in self.subscriptions if k[0] == session]:
            del self.subscriptions[key]
        events.append((session, "handle invalid", ""))
        return released

    # ----------------------------------------------------------------- reads (served by the master)
    def _node(self, path: str) -> Node:
        node = self.nodes.get(check_path(path))
        if node is None:
            raise NoSuchNodeError(f"{path} does not exist")
        return node

    def read(self, op: str, session: str, args: dict[str, Any]) -> Any:
        """Answer a read-only request from this store (raises the concept's error on failure)."""
        if op == "check_sequencer":
            return self.check_sequencer(args["sequencer"])
        self._require_session(session)
        node = self._node(args["path"])
        if op == "get_contents":
            self._check_acl(node, "read", self.sessions[session])
            return node.contents, node.content_generation
        if op == "stat":
            return node.metadata()
        if op == "list":
            return sorted(node.children)
        if op == "holders":
            return dict(node.holders)
        raise InvalidPathError(f"unknown read operation {op!r}")

    def check_sequencer(self, sequencer: Sequencer) -> bool:
        """Whether the sequencer names the lock's current holding (same generation, still held in that mode)."""
        node = self.nodes.get(sequencer.path)
        current = (
            node is not None
            and node.lock_generation == sequencer.generation
            and sequencer.mode in node.holders.values()
        )
        if not current:
            raise StaleSequencerError(f"sequencer {sequencer} is stale")
        return True

    def exclusive_holder(self, path: str) -> str | None:
        node = self.nodes.get(path)
        if node is None:
            return None
        return next((s for s, m in node.holders.items() if m is LockMode.EXCLUSIVE), None)

    # ----------------------------------------------------------------- helpers
    def _check_acl(self, node: Node, role: str, client: str) -> None:
        name = node.acl.get(role)
        if not name:
            return
        acl_file = self.nodes.get(f"{ROOT}/local/acl/{name}")
        allowed = set(acl_file.contents.decode(errors="replace").split()) if acl_file else set()
        if client not in allowed:
            raise PermissionDeniedError(f"{client} is not in ACL {name!r} ({role}) of {node.path}")

    def _notify(self, path: str, kind: str, events: list[Event]) -> None:
        for (session, subscribed_path), kinds in self.subscriptions.items():
            if subscribed_path == path and kind in kinds:
                events.append((session, kind, path))

    def _notify_session(self, session: str, path: str, kind: str, events: list[Event]) -> None:
        kinds = self.subscriptions.get((session, path), frozenset())
        if kind in kinds:
            events.append((session, kind, path))


# one method per logged operation that needs an open session (see Store._apply)
_OPERATIONS: dict[str, Callable[[Store, Command, list[Event]], Any]] = {
    "create": Store._create,
    "set_contents": Store._set_contents,
    "delete": Store._delete_command,
    "set_acl": Store._set_acl,
    "subscribe": Store._subscribe,
    "acquire": Store._acquire,
    "release": Store._release,
}
