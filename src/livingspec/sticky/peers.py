"""Real systems beside our balancer: HAProxy as the peer balancer, redis-server as the shared cart store.

Both run from their Debian binaries in a temporary folder, on a free loopback port, with a
configuration written here, and stop when the context ends. A missing binary raises the
frame's TargetUnavailableError, so a scenario skips with the reason.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from livingspec.infra import ManagedProcess, free_port, require_binary
from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME
from livingspec.sticky.errors import UnknownServerError

SBIN = ("/usr/sbin", "/usr/local/sbin")


def haproxy_config(
    port: int,
    backends: Mapping[str, str],
    *,
    cookie: str = DEFAULT_COOKIE_NAME,
    stats_socket: str | None = None,
    check_interval_ms: int = 100,
) -> str:
    """An HAProxy configuration: round robin with ``cookie SRV insert indirect nocache`` and HTTP health checks."""
    lines = [
        "global",
        "    maxconn 512",
        *([f"    stats socket {stats_socket} mode 600 level admin"] if stats_socket else []),
        "defaults",
        "    mode http",
        "    timeout connect 1s",
        "    timeout client 10s",
        "    timeout server 10s",
        "    option redispatch",
        "    retries 3",
        "listen shop",
        f"    bind 127.0.0.1:{port}",
        "    balance roundrobin",
        f'    cookie {cookie} insert indirect nocache httponly attr "SameSite=Lax"',
        "    option httpchk GET /health",
        "    http-check expect status 200",
    ]
    for name, url in backends.items():
        parsed = httpx.URL(url)
        check = f"check inter {check_interval_ms}ms fall 1 rise 1"
        lines.append(f"    server {name} {parsed.host}:{parsed.port} cookie {name} {check}")
    return "\n".join(lines) + "\n"


class HAProxy:
    """HAProxy in front of ``backends`` (name -> URL) on a free loopback port; a context manager."""

    def __init__(self, backends: Mapping[str, str], *, cookie: str = DEFAULT_COOKIE_NAME) -> None:
        binary = require_binary("haproxy", SBIN)
        self.backends = dict(backends)
        self.port = free_port()
        self._process = ManagedProcess([binary, "-db", "-f", "haproxy.cfg"], name="haproxy", ready_port=self.port)
        self.stats_socket = str(self._process.workdir / "admin.sock")
        config = haproxy_config(self.port, self.backends, cookie=cookie, stats_socket=self.stats_socket)
        (Path(self._process.workdir) / "haproxy.cfg").write_text(config)
        self.config = config

    @property
    def url(self) -> str:
        """Base URL of the balancer."""
        return f"http://127.0.0.1:{self.port}"

    def command(self, line: str) -> str:
        """Send one command to HAProxy's runtime API (the admin socket); return its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(self.stats_socket)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def drain(self, name: str) -> None:
        """Put a server in HAProxy's drain state: persistent (cookie) sessions only."""
        if name not in self.backends:
            raise UnknownServerError(name)
        self.command(f"set server shop/{name} state drain")

    def log_tail(self) -> str:
        """The end of HAProxy's log."""
        return self._process.log_tail()

    def start(self) -> HAProxy:
        """Start HAProxy and wait (bounded) for its port."""
        self._process.start()
        return self

    def stop(self) -> None:
        """Stop HAProxy."""
        self._process.stop()

    def __enter__(self) -> HAProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
