"""Loopback networking: the one loopback address, free ports and bounded waits for a listener."""

from __future__ import annotations

import socket
import subprocess
import time

LOOPBACK = "127.0.0.1"


def bound_socket(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port), not yet listening, TCP_NODELAY set.

    Holding the bound socket until the server takes it leaves no window in which another process
    could take the port. ``proto=IPPROTO_TCP``: asyncio sets TCP_NODELAY on accepted sockets only when
    the listener says TCP; without it Nagle plus delayed ACKs add 40 ms to responses on loopback.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Linux: accepted sockets inherit it
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that was free a moment ago (for servers that must bind it themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, host: str = LOOPBACK, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts TCP connections on host:port, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s")
