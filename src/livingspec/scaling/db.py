"""One SQL dialect for SQLite and PostgreSQL: the same domain code runs on both.

Statements are written with ``?`` placeholders; the PostgreSQL connection rewrites them to
psycopg's ``%s``. A transaction is a context manager that commits or rolls back as a whole.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from livingspec.scaling.errors import BoundaryViolationError

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS inventory (product_id TEXT PRIMARY KEY,"
    " quantity INTEGER NOT NULL CHECK (quantity >= 0))",
    "CREATE TABLE IF NOT EXISTS inventory_reservations (order_id TEXT PRIMARY KEY, product_ids TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, total_cents INTEGER NOT NULL,"
    " status TEXT NOT NULL, seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS order_items (order_id TEXT NOT NULL, product_id TEXT NOT NULL,"
    " quantity INTEGER NOT NULL, price_cents INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS payments (order_id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL,"
    " status TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL,"
    " published INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS processed_events (consumer TEXT NOT NULL, event_id TEXT NOT NULL,"
    " PRIMARY KEY (consumer, event_id))",
]

TABLES = (
    "products",
    "inventory",
    "inventory_reservations",
    "users",
    "orders",
    "order_items",
    "payments",
    "outbox",
    "processed_events",
)


class Cursor(Protocol):
    rowcount: int

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


class Transaction:
    """Statements inside one database transaction; optionally limited to the tables a module owns."""

    def __init__(self, raw: Any, paramstyle: str, owned: frozenset[str] | None = None, owner: str = "") -> None:
        self._raw = raw
        self._paramstyle = paramstyle
        self._owned = owned
        self._owner = owner

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement (``?`` placeholders) and return its cursor."""
        if self._owned is not None:
            touched = {t for t in TABLES if re.search(rf"\b{t}\b", sql)} - self._owned
            if touched:
                raise BoundaryViolationError(
                    f"module {self._owner!r} touched table(s) {', '.join(sorted(touched))} it does not own"
                )
        if self._paramstyle == "format":
            sql = sql.replace("?", "%s")
        cursor: Cursor = self._raw.execute(sql, tuple(params))
        return cursor

    def scoped(self, owner: str, tables: Sequence[str]) -> Transaction:
        """The same transaction, limited to the tables one module owns."""
        return Transaction(self._raw, self._paramstyle, frozenset(tables), owner)


class Database(Protocol):
    """What the domain code needs of a database."""

    name: str

    def transaction(self) -> Any: ...

    def close(self) -> None: ...


class SQLiteDatabase:
    """SQLite in a file (or shared memory): each transaction takes the write lock up front."""

    name = "SQLite"

    def __init__(self, path: str = ":memory:") -> None:
        uri = (
            path if path.startswith("file:") else f"file:{path}" if path != ":memory:" else "file::memory:?cache=shared"
        )
        self._uri = uri
        self._lock = threading.Lock()
        # One connection serialised by a lock: SQLite allows one writer at a time anyway.
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA foreign_keys = ON")
        with self.transaction() as tx:
            for statement in SCHEMA:
                tx.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn, "qmark")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase:
    """PostgreSQL through a psycopg connection pool; transactions are SERIALIZABLE-safe by row locks."""

    name = "PostgreSQL"

    def __init__(self, dsn: str, min_size: int = 1, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self._pool = ConnectionPool(dsn, min_size=min_size, max_size=max_size, open=True, timeout=30)
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(4242)")  # one schema creator at a time
            for statement in SCHEMA:
                tx.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._pool.connection() as conn, conn.transaction():
            yield Transaction(conn, "format")

    def close(self) -> None:
        self._pool.close()
