"""HTTP applications: a monolith instance (stage 2) and the five services (stage 4), on Starlette."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livingspec.scaling.errors import ScalingError, SessionLostError, UnknownUserError
from livingspec.scaling.service import ShopService
from livingspec.scaling.sessions import SESSION_COOKIE, SessionStore


def _order_json(order: Any) -> dict[str, Any]:
    data = asdict(order)
    data["items"] = dict(order.items)
    return data


def monolith_app(service: ShopService, sessions: SessionStore, instance: str) -> Starlette:
    """One instance of the load-balanced monolith: any instance serves any session."""

    def _user(request: Request) -> str:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        return str(sessions.get(session_id)["user_id"])

    async def login(request: Request) -> Response:
        body = await request.json()
        try:
            service.user(str(body.get("user_id", "")))
        except UnknownUserError as error:
            return JSONResponse({"error": str(error)}, status_code=401)
        response = JSONResponse({"user_id": body["user_id"], "instance": instance})
        session_id = sessions.create({"user_id": body["user_id"]})
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax")
        return response

    async def products(request: Request) -> Response:
        return JSONResponse({"products": [asdict(p) for p in service.products()], "instance": instance})

    async def orders(request: Request) -> Response:
        try:
            user_id = _user(request)
        except SessionLostError as error:
            return JSONResponse({"error": str(error)}, status_code=401)
        if request.method == "GET":
            history = [_order_json(o) for o in service.history(user_id)]
            return JSONResponse({"orders": history, "instance": instance})
        body = await request.json()
        outcome = service.place_order(user_id, body.get("items", {}), str(body.get("card", "")))
        return JSONResponse({**asdict(outcome), "instance": instance}, status_code=201 if outcome.accepted else 409)

    async def stock(request: Request) -> Response:
        return JSONResponse({"quantity": service.stock(request.path_params["product_id"])})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "instance": instance})

    async def failure(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc), "type": type(exc).__name__}, status_code=400)

    return Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/products", products),
            Route("/orders", orders, methods=["GET", "POST"]),
            Route("/stock/{product_id}", stock),
            Route("/health", health),
        ],
        exception_handlers={ScalingError: failure},
    )


def create_monolith_instance() -> Starlette:
    """uvicorn --factory entry point: configuration from the environment (PostgreSQL, Redis)."""
    from livingspec.scaling.db import PostgresDatabase
    from livingspec.scaling.sessions import RedisSessions

    service = ShopService(PostgresDatabase(os.environ["SHOP_DATABASE"]))
    return monolith_app(service, RedisSessions(os.environ["SHOP_REDIS"]), os.environ.get("SHOP_INSTANCE", "instance"))


def create_single_instance() -> Starlette:
    """uvicorn --factory entry point for stages 1 and 3 served alone: SQLite, sessions in memory."""
    from livingspec.scaling.db import SQLiteDatabase
    from livingspec.scaling.sessions import MemorySessions

    service = ShopService(SQLiteDatabase(os.environ["SHOP_SQLITE"]), modular=os.environ.get("SHOP_MODULAR") == "1")
    return monolith_app(service, MemorySessions(), os.environ.get("SHOP_INSTANCE", "single"))
