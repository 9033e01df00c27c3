"""Progressive scaling: one shop that grows from a SQLite monolith to services and an autoscaler.

Seed, day 15. Every stage deploys the same domain code (``domain``): the monolith and the
modular monolith (``service``), the load-balanced monolith and the microservices (``stages``,
``web``, ``microservices``, ``broker``), and the Kubernetes HorizontalPodAutoscaler (``hpa``).
"""

from livingspec.scaling.broker import InProcessBroker, Message, RedisStreamsBroker
from livingspec.scaling.db import PostgresDatabase, SQLiteDatabase
from livingspec.scaling.domain import CardProcessor, Order, Product, Shop, luhn_valid
from livingspec.scaling.errors import (
    AutoscalerConfigError,
    BoundaryViolationError,
    InsufficientInventoryError,
    InvalidOrderError,
    OrderRefusedError,
    PaymentDeclinedError,
    ScalingError,
    SessionLostError,
    StageUnavailableError,
    UnknownProductError,
    UnknownUserError,
)
from livingspec.scaling.hpa import (
    SEED_SPEC,
    AutoscalerSpec,
    HorizontalPodAutoscaler,
    MetricTarget,
    daily_load,
    desired_replicas,
    proposal,
    simulate_day,
)
from livingspec.scaling.microservices import SimulatedCrashError
from livingspec.scaling.service import OrderOutcome, ShopService
from livingspec.scaling.stages import STAGE_NAMES, LoadBalancedStage, MicroservicesStage, Stage, make_stage

__all__ = [
    "SEED_SPEC",
    "STAGE_NAMES",
    "AutoscalerConfigError",
    "AutoscalerSpec",
    "BoundaryViolationError",
    "CardProcessor",
    "HorizontalPodAutoscaler",
    "InProcessBroker",
    "InsufficientInventoryError",
    "InvalidOrderError",
    "LoadBalancedStage",
    "Message",
    "MetricTarget",
    "MicroservicesStage",
    "Order",
    "OrderOutcome",
    "OrderRefusedError",
    "PaymentDeclinedError",
    "PostgresDatabase",
    "Product",
    "RedisStreamsBroker",
    "SQLiteDatabase",
    "ScalingError",
    "SessionLostError",
    "Shop",
    "ShopService",
    "SimulatedCrashError",
    "Stage",
    "StageUnavailableError",
    "UnknownProductError",
    "UnknownUserError",
    "daily_load",
    "desired_replicas",
    "luhn_valid",
    "make_stage",
    "proposal",
    "simulate_day",
]
