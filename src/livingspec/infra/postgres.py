"""PostgreSQL from Debian's package: a throwaway cluster on a free loopback port, trust auth.

PostgreSQL refuses to run as root, so under root ``initdb`` and ``postgres`` run as ``nobody`` in a
temporary folder that user owns. initdb takes seconds: one server per test process hands out fresh
databases instead.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from livingspec.infra.net import LOOPBACK, free_port
from livingspec.infra.process import ManagedProcess, require_binary


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
        self._databases = 0

    def start(self) -> PostgresServer:
        """initdb (bounded to 120 s), then postgres, waiting (bounded) for its port."""
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
        settings = {
            "listen_addresses": LOOPBACK,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        argv = [self.postgres, "-D", str(data), "-p", str(self.port), "-k", str(self.dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self.process = ManagedProcess(argv, name="postgres", ready_port=self.port, cwd=self.dir, user=self.user)
        self.process.start()
        return self

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection URL for ``database``."""
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database (a numbered name, so it is never taken); return its DSN."""
        import psycopg

        self._databases += 1
        unique = f"{name}_{self._databases}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{unique}"')
        return self.dsn(unique)

    def stop(self) -> None:
        """Stop postgres and remove its folder."""
        if self.process:
            self.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_shared: list[PostgresServer] = []


def shared_postgres() -> PostgresServer:
    """One PostgreSQL server per test process (pytest-xdist worker), started on first use, stopped at exit."""
    if not _shared:
        _shared.append(PostgresServer().start())
        atexit.register(_shared[0].stop)
    return _shared[0]
