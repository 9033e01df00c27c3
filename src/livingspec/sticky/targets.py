"""One factory for the shop, from the selected target: the only place that reads a target's name.

``make_shop("embedded", ["A", "B"])`` builds an ``EmbeddedShop``; ``make_shop("real", ...)`` a
``LoopbackShop``. Both implement ``Shop``; the shop's core and the steps see only that interface.
HAProxy needs the real target: asking for it on the embedded one raises NotOnThisTargetError (the
scenario does not apply there), while a binary missing on the real target raises TargetUnavailableError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from livingspec.sticky.cluster import Shop, ShopSpec
from livingspec.sticky.embedded import EmbeddedShop
from livingspec.sticky.errors import InvalidServerError, NotOnThisTargetError
from livingspec.sticky.loopback import LoopbackShop

SHOPS: dict[str, Callable[[ShopSpec], Shop]] = {"embedded": EmbeddedShop, "real": LoopbackShop}


def make_shop(target: str, servers: Sequence[str] | Mapping[str, int], **options: Any) -> Shop:
    """A started shop on ``target`` (``embedded`` or ``real``); options as ``ShopSpec``: balancer, strategy, store."""
    return open_shop(target, ShopSpec.of(servers, **options))


def open_shop(target: str, spec: ShopSpec) -> Shop:
    """A started shop of ``spec`` (see ``describe_shop`` for one from a table of settings) on ``target``."""
    if target not in SHOPS:
        raise InvalidServerError(f"unknown target {target!r}; known: {', '.join(SHOPS)}")
    if spec.balancer == "haproxy" and target != "real":
        raise NotOnThisTargetError("HAProxy is the peer on the real target only (behave -D target=real)")
    return SHOPS[target](spec).start()
