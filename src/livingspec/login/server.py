"""The login app served by uvicorn on a free loopback port, in a thread of this process (infra.LoopbackServer).

A thread (not a child process) so the scenario and the server share the injected clock and the
database: "When 15 minutes pass" moves the same ManualClock the server reads. Requests still
travel over real TCP on 127.0.0.1 to real uvicorn.
"""

from __future__ import annotations

from typing import Any

from livingspec.infra import LoopbackServer

__all__ = ["LoopbackServer", "demo_app", "demo_app_insecure_fast_hashing"]


def _demo_site(parameters: Any, allow_weak: bool) -> Any:
    from livingspec.login.store import Order
    from livingspec.login.web import LoginSite

    site = LoginSite.create(parameters=parameters, allow_weak_hashing=allow_weak)
    site.register("John", "john@example.com", "mypassword123")
    site.add_order("john@example.com", Order("A-1001", "2026-03-02", "Espresso machine", 8950))
    site.add_order("john@example.com", Order("A-1002", "2026-05-17", "Coffee beans", 1200))
    return site


def demo_app() -> Any:
    """A demo shop with John (john@example.com / mypassword123), for ``uvicorn --factory`` by hand."""
    from livingspec.login.passwords import OWASP

    return _demo_site(OWASP, False).app


def demo_app_insecure_fast_hashing() -> Any:
    """The demo shop with near-free hashing: measures the web stack alone. Never for real use."""
    from livingspec.login.passwords import INSECURE_FOR_TESTS

    return _demo_site(INSECURE_FOR_TESTS, True).app
