"""Loopback networking: the one loopback address, free ports and bounded waits for a listener."""

from __future__ import annotations

import random
import socket
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

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


#: Ports for servers that bind them themselves come from below the kernel's ephemeral range, which
#: outgoing connections draw their source ports from: a port chosen there and freed could be taken by
#: any client's connection before the server binds it ("address already in use").
SERVER_PORTS_FLOOR = 10000
_ports = random.Random()
#: Ports this process handed out lately: a port chosen for one server is not chosen again for another
#: before the first has bound it (an etcd cell asks for ten or more at once).
_HANDED_OUT: deque[int] = deque(maxlen=4096)
_handed_lock = threading.Lock()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range of source ports for outgoing connections (Linux; 32768-60999 elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = LOOPBACK, tries: int = 200) -> int:
    """A TCP port on ``host`` that was free a moment ago, for servers that must bind it themselves.

    Chosen at random below the ephemeral range (see SERVER_PORTS_FLOOR), so no client connection
    takes it before the server binds; the kernel's choice only when that range is too small or full.
    Never one of the last 4096 this process handed out, which may not be bound yet.
    """
    low = ephemeral_range()[0]
    with _handed_lock:
        for _ in range(tries if low - SERVER_PORTS_FLOOR >= 1000 else 0):
            port = _ports.randrange(SERVER_PORTS_FLOOR, low)
            if port in _HANDED_OUT:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind((host, port))
                except OSError:
                    continue
            _HANDED_OUT.append(port)
            return port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        _HANDED_OUT.append(port)
        return port


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
