"""Run a cart app server or the balancer as its own process(es) on loopback.

    python -m livingspec.sticky app --name A --port 9001
    python -m livingspec.sticky balancer --port 9000 --strategy "cookie insert" A=http://127.0.0.1:9001 ...
    python -m livingspec.sticky balancer --port 9000 --workers 2 --secret KEY A=http://127.0.0.1:9001 ...

Backends are ``NAME=URL`` (or bare URLs, named s1, s2, ...). Stop with SIGTERM or Ctrl-C.

The balancer's engines: ``protocol`` (default: the fast path, asyncio protocols and httptools, on
uvloop unless ``--loop asyncio``; ``--workers N`` runs N processes sharing the port through
SO_REUSEPORT) or ``asgi`` (the ASGI app under uvicorn, ``--loop`` and ``--http`` chosen). Workers
share affinity through the cookie: every worker signs with the same key (``--secret``, or one
drawn here for all). The session table lives in one process's memory, so it runs on one worker.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import Callable

import uvicorn

from livingspec.infra.net import bound_socket
from livingspec.sticky.app import RedisCartStore, cart_app
from livingspec.sticky.cookies import AffinityCookie
from livingspec.sticky.proxy import Balancer
from livingspec.sticky.strategies import STRATEGIES

MAX_WORKERS = 16


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m livingspec.sticky", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    app = sub.add_parser("app", help="a cart app server")
    app.add_argument("--name", required=True)
    app.add_argument("--port", type=int, required=True)
    app.add_argument("--redis", help="redis:// URL of a shared cart store (default: carts in memory)")
    app.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto")
    app.add_argument("--http", choices=["auto", "h11", "httptools"], default="auto")
    front = sub.add_parser("balancer", help="the sticky-session balancer")
    front.add_argument("--port", type=int, required=True)
    front.add_argument("--strategy", default="cookie insert", choices=list(STRATEGIES))
    front.add_argument("--secret", help="sign affinity cookies with this key (default: a random key per run)")
    front.add_argument("--unsigned", action="store_true", help="bare server names in cookies, as HAProxy writes")
    front.add_argument("--health-interval", type=float, default=0.5)
    front.add_argument("--engine", choices=["protocol", "asgi"], default="protocol")
    front.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop")
    front.add_argument("--http", choices=["h11", "httptools"], default="httptools", help="asgi engine only")
    front.add_argument("--workers", type=int, default=1, help=f"protocol engine: 1..{MAX_WORKERS} processes")
    front.add_argument("backends", nargs="+", help="NAME=URL or URL")
    return parser


def _uvicorn(app: object, port: int, **options: str) -> None:
    """Serve ``app`` under uvicorn on a socket bound here (TCP_NODELAY, inherited by accepted connections).

    uvicorn's own bind leaves Nagle on for the asyncio loop, and delayed ACKs then stall answers 40 ms.
    proxy_headers=False: uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, which would let any
    loopback client choose its address (and so its server under source-IP hashing).
    """
    config = uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False, **options)  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[bound_socket(port=port)])


def _run_workers(count: int, serve: Callable[[], None]) -> int:
    """Fork ``count`` workers running ``serve``; forward SIGTERM/SIGINT to them; wait for all."""
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                serve()
            finally:
                os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)
    return 0


def _balancer(args: argparse.Namespace) -> int:
    if not 1 <= args.workers <= MAX_WORKERS or (args.workers > 1 and args.engine != "protocol"):
        raise SystemExit(f"--workers must be 1..{MAX_WORKERS}, and above 1 only with --engine protocol")
    if args.workers > 1 and args.strategy == "session table":
        raise SystemExit("the session table lives in one process's memory: run it with --workers 1")
    named = dict(b.split("=", 1) if "=" in b else (f"s{i + 1}", b) for i, b in enumerate(args.backends))
    secret = None if args.unsigned else (args.secret.encode() if args.secret else secrets.token_bytes(32))
    cookie = AffinityCookie(secret=secret)  # one key for every worker: a pin made by one is honoured by all

    def make() -> Balancer:
        return Balancer(named, args.strategy, cookie=cookie, health_interval=args.health_interval)

    if args.engine == "asgi":
        _uvicorn(make(), args.port, lifespan="on", loop=args.loop, http=args.http)
        return 0
    from livingspec.sticky.fastpath import serve_forever

    def serve() -> None:
        serve_forever(make(), args.port, uvloop=args.loop == "uvloop")

    if args.workers == 1:
        serve()
        return 0
    return _run_workers(args.workers, serve)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until stopped."""
    args = _parser().parse_args(argv)
    if args.role == "app":
        store = RedisCartStore(args.redis) if args.redis else None
        _uvicorn(cart_app(args.name, store), args.port, lifespan="off", loop=args.loop, http=args.http)
        return 0
    return _balancer(args)


if __name__ == "__main__":
    sys.exit(main())
