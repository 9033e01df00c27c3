"""HAProxy as the peer balancer of the shop: its configuration, and the operations scenarios need.

The process itself is the shared launcher (``livingspec.infra.haproxy.HAProxy``); this module
only says what HAProxy should do: round robin with ``cookie SRV insert indirect nocache``, HTTP
health checks every 100 ms (``fall 1 rise 1``), ``option redispatch``, ``option forwardfor``, and
drain through the runtime API, so that the same scenarios run through HAProxy and through our
balancer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import httpx

from livingspec.infra.haproxy import HAProxy, HAProxyAddresses
from livingspec.infra.lifecycle import Started
from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME
from livingspec.sticky.errors import UnknownServerError

BACKEND = "shop"


def haproxy_config(
    bind: int | str,
    backends: Mapping[str, str],
    *,
    cookie: str = DEFAULT_COOKIE_NAME,
    stats_socket: str | None = None,
    check_interval_ms: int = 100,
    weights: Mapping[str, int] | None = None,
    same_site: str | None = "Lax",
) -> str:
    """An HAProxy configuration: round robin with ``cookie SRV insert indirect nocache`` and HTTP health checks.

    ``option forwardfor`` appends the peer to X-Forwarded-For, as our balancer does, so the two do the
    same work for each request.

    ``bind`` is a port on 127.0.0.1 or HAProxy's own bind argument (``fd@3`` for an inherited socket).
    """
    address = f"127.0.0.1:{bind}" if isinstance(bind, int) else bind
    attribute = f' attr "SameSite={same_site}"' if same_site else ""
    lines = [
        "global",
        "    maxconn 512",
        *([f"    stats socket {stats_socket} mode 600 level admin"] if stats_socket else []),
        "defaults",
        "    mode http",
        "    timeout connect 1s",
        "    timeout client 10s",
        "    timeout server 10s",
        # A check's answer may take up to 1 s, as our balancer's probe may: without this HAProxy waits
        # only ``inter`` (100 ms), and with ``fall 1`` a busy but live server was marked down.
        "    timeout check 1s",
        "    option redispatch",
        "    option forwardfor",
        "    retries 3",
        f"listen {BACKEND}",
        f"    bind {address}",
        "    balance roundrobin",
        f"    cookie {cookie} insert indirect nocache httponly{attribute}",
        "    option httpchk GET /health",
        "    http-check expect status 200",
    ]
    for name, url in backends.items():
        parsed = httpx.URL(url)
        check = f"check inter {check_interval_ms}ms fall 1 rise 1"
        weight = (weights or {}).get(name, 1)
        lines.append(f"    server {name} {parsed.host}:{parsed.port} weight {weight} cookie {name} {check}")
    return "\n".join(lines) + "\n"


class HAProxyBalancer(Started):
    """HAProxy in front of ``backends`` (name -> URL) on a free loopback port; a context manager."""

    def __init__(
        self,
        backends: Mapping[str, str],
        *,
        cookie: str = DEFAULT_COOKIE_NAME,
        weights: Mapping[str, int] | None = None,
        same_site: str | None = "Lax",
    ) -> None:
        self.backends = dict(backends)

        def render(at: HAProxyAddresses) -> str:
            return haproxy_config(
                at.bind,
                self.backends,
                cookie=cookie,
                stats_socket=at.admin_socket,
                weights=weights,
                same_site=same_site,
            )

        self.process = HAProxy(render, name="haproxy-shop")
        self.config = self.process.config

    @property
    def url(self) -> str:
        """Base URL of the balancer."""
        return self.process.url

    def drain(self, name: str) -> None:
        """Put a server in HAProxy's drain state: persistent (cookie) sessions only."""
        if name not in self.backends:
            raise UnknownServerError(name)
        self.process.command(f"set server {BACKEND}/{name} state drain")

    def health(self) -> dict[str, bool]:
        """Server -> whether HAProxy's health checks see it up (a draining server counts as up)."""
        return {name: status in ("UP", "DRAIN") for name, status in self.process.server_status(BACKEND).items()}

    def start(self) -> Self:
        """Start HAProxy and wait (bounded) for its port."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop HAProxy."""
        self.process.stop()
