"""Real servers for stages 2 and 4: PostgreSQL and Redis from Debian's packages, app processes.

Each starts from its binary in a temporary folder on a free loopback port and stops afterwards.
PostgreSQL refuses to run as root, so under root it runs as ``nobody`` in a folder it owns.
"""

from __future__ import annotations

import sys
from typing import Any

from livingspec.infra import LOOPBACK, ManagedProcess, free_port
from livingspec.infra.postgres import PostgresServer, shared_postgres
from livingspec.infra.redis import RedisServer, shared_redis

__all__ = ["AppProcess", "PostgresServer", "RedisServer", "app_process", "shared_postgres", "shared_redis"]


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


def restarted(process: AppProcess) -> AppProcess:
    """A fresh process like ``process`` (same command, port and environment), not started yet."""
    again = AppProcess(process.argv, name=process.name, ready_port=process.ready_port, env=process.env)
    again.url = process.url
    return again
