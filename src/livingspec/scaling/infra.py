"""Real servers for stages 2 and 4: PostgreSQL and Redis from Debian's packages, app processes.

Each starts from its binary in a temporary folder on a free loopback port and stops afterwards.
PostgreSQL refuses to run as root, so under root it runs as ``nobody`` in a folder it owns.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from livingspec.bdd.servers import LOOPBACK, ManagedProcess, free_port, require_binary


def _postgres_bin(name: str) -> str:
    return require_binary(name, extra_dirs=sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))


class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb, postgres on a free port, trust auth on loopback."""

    def __init__(self) -> None:
        self.initdb, self.postgres = _postgres_bin("initdb"), _postgres_bin("postgres")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="livingspec-pg-"))
        self.user = "nobody" if os.geteuid() == 0 else None
        self.process: ManagedProcess | None = None

    def start(self) -> PostgresServer:
        if self.user:
            shutil.chown(self.dir, self.user)
        data = self.dir / "data"
        subprocess.run(
            [self.initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            user=self.user,
            cwd=self.dir,
            timeout=120,
        )
        argv = [
            self.postgres,
            "-D",
            str(data),
            "-p",
            str(self.port),
            "-k",
            str(self.dir),
            "-c",
            f"listen_addresses={LOOPBACK}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
        self.process = ManagedProcess(argv, name="postgres", ready_port=self.port, cwd=self.dir, user=self.user)
        self.process.start()
        return self

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database (a numbered name if ``name`` is taken)."""
        import psycopg

        self._databases = getattr(self, "_databases", 0) + 1
        unique = f"{name}_{self._databases}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{unique}"')
        return self.dsn(unique)

    def stop(self) -> None:
        if self.process:
            self.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server on a free loopback port, no persistence."""

    def __init__(self) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.process: ManagedProcess | None = None

    def start(self) -> RedisServer:
        argv = [self.binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        self.process = ManagedProcess(argv, name="redis", ready_port=self.port)
        self.process.start()
        return self

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def flush(self) -> None:
        """Drop every key (sessions, streams) left by an earlier deployment."""
        import redis

        redis.Redis.from_url(self.url, socket_timeout=5).flushall()

    def stop(self) -> None:
        if self.process:
            self.process.stop()


_shared: dict[str, Any] = {}


def shared_postgres() -> PostgresServer:
    """One PostgreSQL server per test process, started on first use and stopped at exit.

    initdb takes seconds; scenarios take fresh databases on the same server instead.
    """
    if "postgres" not in _shared:
        _shared["postgres"] = PostgresServer().start()
        atexit.register(_shared["postgres"].stop)
    server: PostgresServer = _shared["postgres"]
    return server


def shared_redis() -> RedisServer:
    """One Redis server per test process; each deployment empties it when it starts."""
    if "redis" not in _shared:
        _shared["redis"] = RedisServer().start()
        atexit.register(_shared["redis"].stop)
    server: RedisServer = _shared["redis"]
    server.flush()
    return server


class AppProcess(ManagedProcess):
    """A uvicorn process and the URL it serves."""

    url: str


def app_process(factory: str, name: str, env: dict[str, Any]) -> AppProcess:
    """A uvicorn process serving ``factory`` on a free loopback port (started by the caller)."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = AppProcess(argv, name=name, ready_port=port, env={k: str(v) for k, v in env.items()})
    process.url = f"http://{LOOPBACK}:{port}"
    return process
