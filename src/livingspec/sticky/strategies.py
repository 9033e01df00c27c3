"""Affinity strategies: how a balancer picks the server for a request, behind one interface.

Every strategy answers ``route(request, pool) -> Route``. The request carries what a balancer
can see (client address, session id, affinity cookie); the pool says which servers are up,
draining or down. Strategies are the pure core: no HTTP, no clock.

- ``RoundRobin``: the non-sticky baseline; smooth weighted round robin (nginx's), so a user's
  requests wander between servers and an in-memory cart is lost on the next request.
- ``CookieInsert``: the balancer picks a server (weighted round robin) for a new session and
  inserts a cookie naming it; later requests follow the cookie (HAProxy ``cookie SRV insert``).
  The only strategy that survives scale-out with no session moved, and the only one that can
  drain: the client carries the pin, so a draining server is still found by its sessions.
- ``SessionTable``: the seed's "sticky session map": the balancer itself remembers session id ->
  server (HAProxy's ``stick-table`` / ``stick on req.cook(session_id)``), bounded in size and
  age. Drains like cookie insertion, but the memory is the balancer's: a restarted or second
  balancer has forgotten everyone, which is why HAProxy replicates stick tables between peers.
- ``SourceIPHash``: hash of the client address over the servers, each repeated by its weight
  (HAProxy ``balance source``, map-based). Sticky with no state, but adding a server remaps
  about n/(n+1) of all clients, and clients behind one NAT share a server.
- ``ConsistentHashRing``: the session id (or the client address when there is none) hashed onto
  a ring of virtual nodes, ``replicas`` x weight per server (Karger et al., STOC 1997). Adding
  a server moves about 1/(n+1) of the keys, all of them to the new server.
- ``Maglev``: Google's Maglev lookup table (Eisenbud et al., NSDI 2016): each server fills a
  prime-sized table in its own permutation order; lookup is one index. Near-perfect balance,
  and a change of servers moves little more than the ideal 1/(n+1).

Hash strategies are stateless, so they cannot tell a new session from an old one: for them a
draining server leaves the table like a failed one (its keys move). Use cookie insertion when
servers must be retired gracefully.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from livingspec.sticky.cookies import AffinityCookie
from livingspec.sticky.errors import InvalidStrategyError, NoLiveServerError, UnknownStrategyError
from livingspec.sticky.hashing import stable_hash
from livingspec.sticky.pool import Pool, PoolView, Server


@dataclass(frozen=True)
class RequestKey:
    """What the balancer knows about a request when it routes it."""

    client_ip: str = ""
    session_id: str | None = None
    affinity: str | None = None  # the affinity cookie's value as the client sent it

    @property
    def hash_key(self) -> str:
        """The key hash strategies use: the session id, else the client address."""
        return self.session_id if self.session_id else self.client_ip


@dataclass(frozen=True)
class Route:
    """Where a request goes; ``set_cookie`` is the affinity cookie value to insert, if any."""

    server: str
    set_cookie: str | None = None
    followed_affinity: bool = False  # the request's existing pin (cookie) decided the server


@lru_cache(maxsize=1024)
def _followed(server: str) -> Route:
    """The route of a request whose pin decided it (Routes are immutable, so one per server serves all)."""
    return Route(server, followed_affinity=True)


class Strategy(Protocol):
    """The interface every affinity strategy implements."""

    name: str
    sticky: bool

    def route(self, request: RequestKey, pool: PoolView) -> Route:
        """The server for this request; NoLiveServerError when no server can take it."""
        ...


def _no_live(pool: PoolView) -> NoLiveServerError:
    states = ", ".join(f"{s.name}={s.state.value}/w{s.weight}" for s in pool.servers) or "empty pool"
    return NoLiveServerError(f"no server can take a new session ({states})")


class _Weighted:
    """Smooth weighted round robin (nginx): each pick adds weights to credits, takes the richest, charges it the total.

    Over any window of sum(weights) picks each server is chosen exactly weight times, interleaved.
    """

    def __init__(self) -> None:
        self._credit: dict[str, int] = {}

    def pick(self, servers: Sequence[Server], pool: PoolView) -> str:
        if not servers:
            raise _no_live(pool)
        total = sum(server.weight for server in servers)
        best: Server | None = None
        for server in servers:
            self._credit[server.name] = self._credit.get(server.name, 0) + server.weight
            if best is None or self._credit[server.name] > self._credit[best.name]:
                best = server
        assert best is not None
        self._credit[best.name] -= total
        return best.name


class RoundRobin:
    """The non-sticky baseline: every request goes to the next server in weighted turn."""

    name = "round robin"
    sticky = False

    def __init__(self) -> None:
        self._turns = _Weighted()

    def route(self, request: RequestKey, pool: PoolView) -> Route:
        """Next server in weighted turn, whoever asks."""
        return Route(self._turns.pick(pool.for_new_sessions, pool))


class CookieInsert:
    """Cookie insertion: follow a valid affinity cookie, else pick by weighted round robin and insert one."""

    name = "cookie insert"
    sticky = True

    def __init__(self, cookie: AffinityCookie | None = None) -> None:
        self.cookie = cookie or AffinityCookie()
        self._turns = _Weighted()

    def route(self, request: RequestKey, pool: PoolView) -> Route:
        """The cookie's server when it is valid and keeps sessions; otherwise a new pin."""
        pinned = self.cookie.decode(request.affinity)
        server = pool.get(pinned) if pinned is not None else None
        if server is not None and server.keeps_sessions:
            return _followed(server.name)
        # No cookie, a malformed or forged one, or one naming a server gone or down: a new session.
        chosen = self._turns.pick(pool.for_new_sessions, pool)
        return Route(chosen, set_cookie=self.cookie.encode(chosen))


class SessionTable:
    """The balancer remembers each session's server: least recently used entries beyond ``capacity``, and
    entries idle longer than ``ttl`` seconds (by the injected clock ``now``), are forgotten."""

    name = "session table"
    sticky = True

    def __init__(
        self, capacity: int = 100_000, ttl: float | None = 1800.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        if capacity < 1 or (ttl is not None and ttl <= 0):
            raise InvalidStrategyError(f"session table capacity {capacity} and ttl {ttl} must be positive")
        self.capacity, self.ttl, self.now = capacity, ttl, now
        self._turns = _Weighted()
        # Invariant: ordered from least to most recently used; values are (server, last use).
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def lookup(self, key: str) -> str | None:
        """The server remembered for a session id (or client address), if the entry is still fresh."""
        entry = self._entries.get(key)
        if entry is None or (self.ttl is not None and self.now() - entry[1] > self.ttl):
            return None
        return entry[0]

    def route(self, request: RequestKey, pool: PoolView) -> Route:
        """The remembered server while it keeps sessions; otherwise a new pick, remembered."""
        key = request.hash_key
        remembered = self.lookup(key)
        server = pool.get(remembered) if remembered is not None else None
        if server is not None and server.keeps_sessions:
            chosen, followed = server.name, True
        else:
            chosen, followed = self._turns.pick(pool.for_new_sessions, pool), False
        self._entries[key] = (chosen, self.now())
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return Route(chosen, followed_affinity=followed)

    def entries(self) -> dict[str, str]:
        """Session id (or client address) -> server, least recently used first."""
        return {key: server for key, (server, _) in self._entries.items()}

    def __len__(self) -> int:
        return len(self._entries)


class _TableStrategy:
    """A hash strategy whose lookup structure is rebuilt when the pool's version changes."""

    def __init__(self) -> None:
        self._version = -1

    def _rebuild(self, servers: Sequence[Server]) -> None:
        raise NotImplementedError

    def _lookup(self, key: str) -> str:
        raise NotImplementedError

    def route(self, request: RequestKey, pool: PoolView) -> Route:
        """Hash the request's key into the table of servers that take new sessions."""
        servers = pool.for_new_sessions
        if not servers:
            raise _no_live(pool)
        if pool.version != self._version:
            self._rebuild(servers)
            self._version = pool.version
        return Route(self._lookup(self._key(request)))

    def _key(self, request: RequestKey) -> str:
        return request.hash_key


class SourceIPHash(_TableStrategy):
    """HAProxy ``balance source`` (map-based): hash(client address) mod total weight over a weight-expanded list."""

    name = "source-IP hash"
    sticky = True

    def __init__(self) -> None:
        super().__init__()
        self._slots: list[str] = []

    def _rebuild(self, servers: Sequence[Server]) -> None:
        self._slots = [server.name for server in servers for _ in range(server.weight)]

    def _lookup(self, key: str) -> str:
        return self._slots[stable_hash(key, "source") % len(self._slots)]

    def _key(self, request: RequestKey) -> str:
        return request.client_ip


class ConsistentHashRing(_TableStrategy):
    """A hash ring with ``replicas`` virtual nodes per unit of weight; a key belongs to the next node clockwise."""

    name = "consistent hash ring"
    sticky = True

    def __init__(self, replicas: int = 160) -> None:
        super().__init__()
        if not 1 <= replicas <= 10_000:
            raise InvalidStrategyError(f"virtual nodes per server {replicas} must be 1..10000")
        self.replicas = replicas
        self._points: list[int] = []
        self._owners: list[str] = []

    def _rebuild(self, servers: Sequence[Server]) -> None:
        # Invariant: _points sorted ascending, _owners[i] owns the arc ending at _points[i].
        nodes = sorted(
            (stable_hash(f"{server.name}#{i}", "ring"), server.name)
            for server in servers
            for i in range(self.replicas * server.weight)
        )
        self._points = [point for point, _ in nodes]
        self._owners = [owner for _, owner in nodes]

    def _lookup(self, key: str) -> str:
        index = bisect.bisect_left(self._points, stable_hash(key, "ring"))
        return self._owners[index % len(self._owners)]


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, int(n**0.5) + 1))


class Maglev(_TableStrategy):
    """Maglev hashing: a prime-sized lookup table filled by each server in its own permutation order.

    Server i's permutation is ``(offset_i + j * skip_i) mod M`` with offset and skip from two
    independent hashes of its name; M prime makes every skip a generator, so each permutation
    visits every slot. Servers take turns claiming their next free slot; with weights, a server
    stops claiming once it holds its share of M (largest-remainder quota), so slot counts follow
    weights and differ by at most one between equal servers. The default M = 5003 keeps a rebuild
    fast in pure Python and suits up to ~50 servers (the paper asks M > 100 N; it uses 65537).
    """

    name = "Maglev"
    sticky = True

    def __init__(self, table_size: int = 5003) -> None:
        super().__init__()
        if not _is_prime(table_size) or table_size < 7:
            raise InvalidStrategyError(f"Maglev table size {table_size} must be a prime >= 7")
        self.table_size = table_size
        self._table: list[str] = []

    def _rebuild(self, servers: Sequence[Server]) -> None:
        self._table = maglev_table([(s.name, s.weight) for s in servers], self.table_size)

    def _lookup(self, key: str) -> str:
        return self._table[stable_hash(key, "maglev-key") % self.table_size]


def maglev_table(servers: Sequence[tuple[str, int]], size: int) -> list[str]:
    """Maglev's populate step (NSDI 2016, Pseudocode 1) with weight quotas; returns slot -> server name."""
    total = sum(weight for _, weight in servers)
    if total <= 0:
        raise InvalidStrategyError("a Maglev table needs at least one server with positive weight")
    exact = [size * weight / total for _, weight in servers]
    quota = [int(x) for x in exact]
    for i in sorted(range(len(servers)), key=lambda i: exact[i] - quota[i], reverse=True)[: size - sum(quota)]:
        quota[i] += 1
    offset = [stable_hash(name, "maglev-offset") % size for name, _ in servers]
    skip = [stable_hash(name, "maglev-skip") % (size - 1) + 1 for name, _ in servers]
    following = [0] * len(servers)
    owner = [-1] * size
    held = [0] * len(servers)
    filled = 0
    while filled < size:
        for i in range(len(servers)):
            if held[i] >= quota[i]:
                continue
            slot = (offset[i] + following[i] * skip[i]) % size
            while owner[slot] >= 0:
                following[i] += 1
                slot = (offset[i] + following[i] * skip[i]) % size
            owner[slot] = i
            following[i] += 1
            held[i] += 1
            filled += 1
            if filled == size:
                break
    return [servers[i][0] for i in owner]


@dataclass(frozen=True)
class StrategySpec:
    """A strategy described by its settings; each named strategy is this with its defaults (a preset).

    ``kind`` is a name from STRATEGIES; the other fields apply to one kind each and are ignored by the rest.
    """

    kind: str
    virtual_nodes: int = 160  # consistent hash ring: points per unit of weight; fewer is faster, less even
    table_size: int = 5003  # Maglev: a prime; larger spreads more evenly and rebuilds more slowly
    capacity: int = 100_000  # session table: sessions remembered before the least recently used is forgotten
    idle_timeout: float | None = 1800.0  # session table: seconds unused before an entry is forgotten; None: never

    def build(self, cookie: AffinityCookie | None = None, now: Callable[[], float] = time.monotonic) -> Strategy:
        """A fresh strategy of this description (``cookie`` for cookie insertion; ``now`` for the session table)."""
        if self.kind == "cookie insert":
            return CookieInsert(cookie)
        if self.kind == "session table":
            return SessionTable(self.capacity, self.idle_timeout, now)
        if self.kind == "consistent hash ring":
            return ConsistentHashRing(self.virtual_nodes)
        if self.kind == "Maglev":
            return Maglev(self.table_size)
        if self.kind == "source-IP hash":
            return SourceIPHash()
        if self.kind == "round robin":
            return RoundRobin()
        raise UnknownStrategyError(f"unknown strategy {self.kind!r}; known: {', '.join(STRATEGIES)}")


#: Strategy name (as used in features and benchmarks) -> its preset description.
PRESETS: dict[str, StrategySpec] = {
    name: StrategySpec(name)
    for name in ("round robin", "cookie insert", "session table", "source-IP hash", "consistent hash ring", "Maglev")
}
#: Strategy name -> factory of a fresh strategy with the preset's settings.
STRATEGIES: dict[str, Callable[[], Strategy]] = {name: spec.build for name, spec in PRESETS.items()}


def make_strategy(name: str | Strategy | StrategySpec, cookie: AffinityCookie | None = None) -> Strategy:
    """A fresh strategy by name (see STRATEGIES) or description, or the given strategy object unchanged."""
    if isinstance(name, StrategySpec):
        return name.build(cookie)
    if not isinstance(name, str):
        return name
    if name not in PRESETS:
        raise UnknownStrategyError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    return PRESETS[name].build(cookie)


def route_in(strategy: Strategy, pool: Pool | PoolView, request: RequestKey) -> Route:
    """Route one request against a pool or a snapshot of one."""
    return strategy.route(request, pool.view() if isinstance(pool, Pool) else pool)
