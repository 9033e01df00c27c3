"""Run a cart app server or the balancer as its own process on loopback (uvicorn).

    python -m livingspec.sticky app --name A --port 9001
    python -m livingspec.sticky balancer --port 9000 --strategy "cookie insert" A=http://127.0.0.1:9001 ...

Backends are ``NAME=URL`` (or bare URLs, named s1, s2, ...). Stop with SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from livingspec.sticky.app import RedisCartStore, cart_app
from livingspec.sticky.cookies import AffinityCookie
from livingspec.sticky.proxy import Balancer
from livingspec.sticky.strategies import STRATEGIES


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m livingspec.sticky", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    app = sub.add_parser("app", help="a cart app server")
    app.add_argument("--name", required=True)
    app.add_argument("--port", type=int, required=True)
    app.add_argument("--redis", help="redis:// URL of a shared cart store (default: carts in memory)")
    front = sub.add_parser("balancer", help="the sticky-session balancer")
    front.add_argument("--port", type=int, required=True)
    front.add_argument("--strategy", default="cookie insert", choices=list(STRATEGIES))
    front.add_argument("--secret", help="sign affinity cookies with this key (default: a random key per process)")
    front.add_argument("--unsigned", action="store_true", help="bare server names in cookies, as HAProxy writes")
    front.add_argument("--health-interval", type=float, default=0.5)
    front.add_argument("backends", nargs="+", help="NAME=URL or URL")
    args = parser.parse_args(argv)

    if args.role == "app":
        store = RedisCartStore(args.redis) if args.redis else None
        target = cart_app(args.name, store)
        uvicorn.run(
            target,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            proxy_headers=False,
        )
        return 0
    named = [b.split("=", 1) if "=" in b else (f"s{i + 1}", b) for i, b in enumerate(args.backends)]
    cookie = (
        None
        if not (args.secret or args.unsigned)
        else AffinityCookie(secret=None if args.unsigned else args.secret.encode())
    )
    balancer = Balancer(dict(named), args.strategy, cookie=cookie, health_interval=args.health_interval)
    # proxy_headers=False: uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, which would let any
    # loopback client choose its address (and so its server under source-IP hashing).
    uvicorn.run(
        balancer,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
