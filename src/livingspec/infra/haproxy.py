"""HAProxy as a managed process: a configuration you write, a loopback port held for it, bounded start and stop.

The launcher knows nothing of what HAProxy balances: the caller renders the configuration from
the addresses the launcher chose (``HAProxyAddresses``: the ``bind`` argument and the path of the
admin socket), and the launcher writes it to a temporary folder, checks it with ``haproxy -c``
(a bad configuration fails at once, with HAProxy's own message), runs ``haproxy -db`` in the
foreground and waits (bounded) until the port accepts connections. The port is never free in
between: the launcher binds a socket on a free port and HAProxy inherits it (``bind fd@N``), so
no other process can take the port before HAProxy listens on it. ``command()`` speaks the
runtime API over the admin socket (``set server b/s state drain``, ``show stat``).
A missing binary raises TargetUnavailableError, so a scenario can skip with the reason.
"""

from __future__ import annotations

import csv
import io
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from livingspec.infra.errors import InfraError
from livingspec.infra.lifecycle import Started
from livingspec.infra.net import LOOPBACK, bound_socket
from livingspec.infra.process import ManagedProcess, require_binary

SBIN = ("/usr/sbin", "/usr/local/sbin")


@dataclass(frozen=True)
class HAProxyAddresses:
    """Where the HAProxy being configured listens: ``port`` on loopback, and its admin (stats) socket."""

    port: int
    admin_socket: str
    fd: int  # the bound socket HAProxy inherits
    host: str = LOOPBACK

    @property
    def bind(self) -> str:
        """The ``bind`` argument for the frontend: the inherited socket, ``fd@<n>`` (bound to host:port)."""
        return f"fd@{self.fd}"


class HAProxy(Started):
    """One HAProxy process running the configuration ``render(addresses)``; a context manager."""

    def __init__(
        self, render: Callable[[HAProxyAddresses], str], *, name: str = "haproxy", ready_timeout: float = 15.0
    ) -> None:
        self.binary = require_binary("haproxy", SBIN)
        self._socket: socket.socket | None = bound_socket()  # held until HAProxy listens on it
        port, fd = self._socket.getsockname()[1], self._socket.fileno()
        self._process = ManagedProcess(
            [self.binary, "-db", "-f", "haproxy.cfg"],
            name=name,
            ready_port=port,
            ready_timeout=ready_timeout,
            pass_fds=[fd],
        )
        self.addresses = HAProxyAddresses(port, str(self._process.workdir / "admin.sock"), fd)
        self.config = render(self.addresses)
        self.config_path = Path(self._process.workdir) / "haproxy.cfg"
        self.config_path.write_text(self.config)

    @property
    def port(self) -> int:
        """The loopback port HAProxy binds."""
        return self.addresses.port

    @property
    def url(self) -> str:
        """Base URL of the frontend."""
        return f"http://{self.addresses.host}:{self.port}"

    def check(self, timeout: float = 15.0) -> None:
        """``haproxy -c``: InfraError with HAProxy's own message when the configuration is invalid."""
        done = subprocess.run(
            [self.binary, "-c", "-f", str(self.config_path)],
            capture_output=True,
            timeout=timeout,
            check=False,
            pass_fds=self._process.pass_fds,
        )
        if done.returncode != 0:
            raise InfraError(
                f"HAProxy refused its configuration:\n{(done.stdout + done.stderr).decode(errors='replace')}"
            )

    def start(self) -> Self:
        """Check the configuration, start HAProxy and wait (bounded) for its port."""
        try:
            self.check()
            self._process.start()
        finally:
            self._release()  # HAProxy holds the port now (or failed, and nobody needs it)
        return self

    def _release(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds HAProxy (every thread) has used so far."""
        return self._process.cpu_seconds

    def stop(self) -> None:
        """Stop HAProxy (TERM, then KILL after a bound)."""
        self._process.stop()
        self._release()

    def command(self, line: str, timeout: float = 5.0) -> str:
        """Send one command to the runtime API over the admin socket; return its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(self.addresses.admin_socket)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def server_status(self, backend: str) -> dict[str, str]:
        """Server name -> HAProxy's status column (``UP``, ``DOWN``, ``DRAIN``, ``MAINT``) for one backend."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {
            row["svname"]: row["status"].split(" ")[0]
            for row in rows
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND")
        }

    def log_tail(self) -> str:
        """The end of HAProxy's log."""
        return self._process.log_tail()
