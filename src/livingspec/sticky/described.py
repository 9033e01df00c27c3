"""Strategies and shops described by settings, as a scenario's table gives them; the named ones are presets.

A strategy description starts from a preset (``kind``) and changes its settings; a shop description
names its servers and, optionally, their weights, the balancer, the strategy (a preset, changed by
the strategy settings in the same table), where carts live and the affinity cookie's name and flags.
Every value is checked here: an unknown setting, or a value out of range, raises
``InvalidDescriptionError`` naming the setting, the value and what is accepted.

| setting       | applies to            | accepted values                                   | default        |
|---------------|-----------------------|---------------------------------------------------|----------------|
| kind          | strategy              | a strategy name (STRATEGIES)                      | (required)     |
| virtual nodes | consistent hash ring  | 1..10000 points per unit of weight                | 160            |
| table size    | Maglev                | a prime, 7..65537                                 | 5003           |
| capacity      | session table         | 1..10000000 sessions remembered                   | 100000         |
| idle timeout  | session table         | seconds > 0, or ``never``                         | 1800           |
| servers       | shop                  | names separated by commas                         | (required)     |
| weights       | shop                  | one whole number 0..256 per server                | 1 each         |
| balancer      | shop                  | our balancer, HAProxy                             | our balancer   |
| strategy      | shop                  | a strategy name (our balancer only)               | cookie insert  |
| store         | shop                  | server memory, a shared store                     | server memory  |
| cookie name   | shop                  | an RFC 6265 token                                 | SRV            |
| signed        | shop                  | yes, no (HAProxy writes bare names: no)           | yes            |
| same site     | shop                  | Strict, Lax, None, omitted                        | Lax            |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from livingspec.sticky.cluster import DEMO_SECRET, BalancerKind, ShopSpec, StoreKind
from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME, AffinityCookie
from livingspec.sticky.errors import StickyError
from livingspec.sticky.strategies import PRESETS, STRATEGIES, StrategySpec, _is_prime

#: How scenarios name the balancers and the stores.
BALANCERS: dict[str, BalancerKind] = {"our balancer": "ours", "HAProxy": "haproxy"}
STORES: dict[str, StoreKind] = {"server memory": "memory", "a shared store": "shared"}
STRATEGY_SETTINGS = ("kind", "virtual nodes", "table size", "capacity", "idle timeout")
SHOP_SETTINGS = ("servers", "weights", "balancer", "strategy", "store", "cookie name", "signed", "same site")


class InvalidDescriptionError(StickyError, ValueError):
    """A described strategy or shop has an unknown setting or a value outside what the setting accepts."""


def _whole(low: int, high: int, check: Callable[[int], bool] = lambda n: True, what: str = "") -> Any:
    def convert(setting: str, text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high or not check(number):
            raise InvalidDescriptionError(f"{setting} {text!r}: expected {what or 'a whole number'} {low}..{high}")
        return number

    return convert


def _seconds(setting: str, text: str) -> float | None:
    if text == "never":
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e9:
        raise InvalidDescriptionError(f"{setting} {text!r}: expected seconds above 0, or never")
    return seconds


def _one_of(known: Mapping[str, Any] | tuple[str, ...]) -> Any:
    def convert(setting: str, text: str) -> Any:
        if text not in known:
            raise InvalidDescriptionError(f"unknown {setting} {text!r}; known: {', '.join(known)}")
        return known[text] if isinstance(known, Mapping) else text

    return convert


_STRATEGY_FIELDS: dict[str, tuple[str, Any]] = {
    "virtual nodes": ("virtual_nodes", _whole(1, 10_000)),
    "table size": ("table_size", _whole(7, 65_537, _is_prime, "a prime")),
    "capacity": ("capacity", _whole(1, 10_000_000)),
    "idle timeout": ("idle_timeout", _seconds),
}


def _unknown(settings: Mapping[str, str], known: tuple[str, ...]) -> None:
    extra = [name for name in settings if name not in known]
    if extra:
        raise InvalidDescriptionError(f"unknown setting {extra[0]!r}; known: {', '.join(known)}")


def describe_strategy(settings: Mapping[str, str], base: StrategySpec | None = None) -> StrategySpec:
    """The strategy the settings describe: the preset named by ``kind`` (or ``base``) with its settings changed."""
    _unknown(settings, STRATEGY_SETTINGS)
    if "kind" in settings:
        base = PRESETS[_one_of(tuple(STRATEGIES))("kind", settings["kind"])]
    if base is None:
        raise InvalidDescriptionError(f"a described strategy needs its kind: one of {', '.join(STRATEGIES)}")
    changes = {
        field: convert(name, settings[name]) for name, (field, convert) in _STRATEGY_FIELDS.items() if name in settings
    }
    return replace(base, **changes)


def _cookie(settings: Mapping[str, str]) -> AffinityCookie:
    signed = _one_of({"yes": True, "no": False})("signed", settings.get("signed", "yes"))
    same_site = _one_of({"Strict": "Strict", "Lax": "Lax", "None": "None", "omitted": None})(
        "same site", settings.get("same site", "Lax")
    )
    try:
        return AffinityCookie(
            settings.get("cookie name", DEFAULT_COOKIE_NAME), DEMO_SECRET if signed else None, same_site=same_site
        )
    except ValueError as error:
        raise InvalidDescriptionError(str(error)) from None


def describe_shop(settings: Mapping[str, str]) -> ShopSpec:
    """The shop the settings describe (see the table in this module's docstring)."""
    _unknown(settings, SHOP_SETTINGS + STRATEGY_SETTINGS[1:])
    if "servers" not in settings:
        raise InvalidDescriptionError("a described shop needs its servers (names separated by commas)")
    names = [part.strip() for part in settings["servers"].split(",")]
    weights = [part.strip() for part in settings.get("weights", ", ".join("1" * len(names))).split(",")]
    if len(weights) != len(names):
        raise InvalidDescriptionError(f"weights {settings['weights']!r}: expected one per server ({len(names)})")
    servers = {name: _whole(0, 256)("weights", weight) for name, weight in zip(names, weights, strict=True)}
    preset = PRESETS[_one_of(tuple(STRATEGIES))("strategy", settings.get("strategy", "cookie insert"))]
    strategy_settings = {name: value for name, value in settings.items() if name in STRATEGY_SETTINGS}
    return ShopSpec.of(
        servers,
        balancer=_one_of(BALANCERS)("balancer", settings.get("balancer", "our balancer")),
        strategy=describe_strategy(strategy_settings, preset),
        store=_one_of(STORES)("store", settings.get("store", "server memory")),
        cookie=_cookie(settings),
    )
