"""The shop's domain code, shared by every stage: catalog, inventory, users, payments, orders, outbox.

Each module owns its tables. The monolith calls them inside one transaction; the modular
monolith hands each module a transaction scoped to its own tables (a module that reaches into
another's tables raises BoundaryViolationError); the microservices run them in separate
processes with separate databases, joined by events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livingspec.scaling.db import Transaction
from livingspec.scaling.errors import (
    InsufficientInventoryError,
    InvalidOrderError,
    PaymentDeclinedError,
    UnknownProductError,
    UnknownUserError,
)

DECLINED_TEST_CARD = "4000000000000002"  # the card networks' test number for "declined"


def new_id() -> str:
    """A random identifier for orders and events."""
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    price_cents: int


@dataclass(frozen=True)
class Order:
    id: str
    user_id: str
    total_cents: int
    status: str
    items: tuple[tuple[str, int], ...]


def validate_items(items: Mapping[str, int]) -> dict[str, int]:
    """An order's items as product -> quantity; InvalidOrderError if empty or a quantity is not positive."""
    if not items:
        raise InvalidOrderError("an order needs at least one item")
    for product, quantity in items.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise InvalidOrderError(f"quantity of {product!r} must be a positive integer, got {quantity!r}")
    return dict(items)


def luhn_valid(card: str) -> bool:
    """The Luhn checksum every card number carries."""
    digits = [int(c) for c in card if c.isdigit()]
    if len(digits) < 12 or len(digits) != len(card.replace(" ", "")):
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


class CardProcessor:
    """A deterministic card processor: declines invalid numbers and the declined test card."""

    def authorise(self, card: str, amount_cents: int) -> bool:
        number = card.replace(" ", "")
        return luhn_valid(number) and number != DECLINED_TEST_CARD and amount_cents > 0


class Catalog:
    """Products and prices. Owns: products."""

    TABLES = ("products",)

    def add(self, tx: Transaction, product: Product) -> None:
        tx.execute(
            "INSERT INTO products (id, name, price_cents) VALUES (?, ?, ?)",
            (product.id, product.name, product.price_cents),
        )

    def list(self, tx: Transaction) -> list[Product]:
        rows = tx.execute("SELECT id, name, price_cents FROM products ORDER BY id").fetchall()
        return [Product(*row) for row in rows]

    def prices(self, tx: Transaction, product_ids: Sequence[str]) -> dict[str, int]:
        found = {p.id: p.price_cents for p in self.list(tx) if p.id in set(product_ids)}
        missing = sorted(set(product_ids) - set(found))
        if missing:
            raise UnknownProductError(f"unknown product(s): {', '.join(missing)}")
        return found


class Inventory:
    """Stock levels and reservations. Owns: inventory, inventory_reservations."""

    TABLES = ("inventory", "inventory_reservations")

    def stock(self, tx: Transaction, product_id: str, quantity: int) -> None:
        tx.execute("INSERT INTO inventory (product_id, quantity) VALUES (?, ?)", (product_id, quantity))

    def available(self, tx: Transaction, product_id: str) -> int:
        row = tx.execute("SELECT quantity FROM inventory WHERE product_id = ?", (product_id,)).fetchone()
        return int(row[0]) if row else 0

    def reserve(self, tx: Transaction, order_id: str, items: Mapping[str, int]) -> bool:
        """Take the items out of stock for an order; False if this order was already reserved.

        Each decrement is conditional (quantity >= wanted) in the same statement, so two
        concurrent orders can never both take the last unit.
        """
        done = tx.execute("SELECT 1 FROM inventory_reservations WHERE order_id = ?", (order_id,)).fetchone()
        if done:
            return False
        for product, wanted in sorted(items.items()):
            cursor = tx.execute(
                "UPDATE inventory SET quantity = quantity - ? WHERE product_id = ? AND quantity >= ?",
                (wanted, product, wanted),
            )
            if cursor.rowcount != 1:
                raise InsufficientInventoryError(product, wanted, self.available(tx, product))
        tx.execute(
            "INSERT INTO inventory_reservations (order_id, product_ids) VALUES (?, ?)", (order_id, json.dumps(items))
        )
        return True

    def release(self, tx: Transaction, order_id: str) -> bool:
        """Put a reservation's items back (compensation after a declined payment); False if none."""
        row = tx.execute("SELECT product_ids FROM inventory_reservations WHERE order_id = ?", (order_id,)).fetchone()
        if not row:
            return False
        for product, quantity in json.loads(row[0]).items():
            tx.execute("UPDATE inventory SET quantity = quantity + ? WHERE product_id = ?", (quantity, product))
        tx.execute("DELETE FROM inventory_reservations WHERE order_id = ?", (order_id,))
        return True


class Users:
    """Customers. Owns: users."""

    TABLES = ("users",)

    def register(self, tx: Transaction, user_id: str, name: str, email: str) -> None:
        tx.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)", (user_id, name, email))

    def get(self, tx: Transaction, user_id: str) -> dict[str, str]:
        row = tx.execute("SELECT id, name, email FROM users WHERE id = ?", (user_id,)).fetchone()
        if not row:
            raise UnknownUserError(f"unknown user {user_id!r}")
        return {"id": row[0], "name": row[1], "email": row[2]}


class Payments:
    """Card payments. Owns: payments."""

    TABLES = ("payments",)

    def __init__(self, processor: CardProcessor | None = None) -> None:
        self.processor = processor or CardProcessor()

    def charge(self, tx: Transaction, order_id: str, amount_cents: int, card: str) -> None:
        if not self.processor.authorise(card, amount_cents):
            raise PaymentDeclinedError(f"payment of {amount_cents} cents for order {order_id} was declined")
        tx.execute(
            "INSERT INTO payments (order_id, amount_cents, status) VALUES (?, ?, 'captured')", (order_id, amount_cents)
        )

    def count(self, tx: Transaction) -> int:
        return int(tx.execute("SELECT COUNT(*) FROM payments").fetchone()[0])


class Orders:
    """Orders, their items and the outbox of events about them. Owns: orders, order_items, outbox."""

    TABLES = ("orders", "order_items")

    def create(
        self,
        tx: Transaction,
        order_id: str,
        user_id: str,
        items: Mapping[str, int],
        prices: Mapping[str, int],
        status: str,
    ) -> Order:
        total = sum(prices[p] * q for p, q in items.items())
        seq = int(tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM orders").fetchone()[0])
        tx.execute(
            "INSERT INTO orders (id, user_id, total_cents, status, seq) VALUES (?, ?, ?, ?, ?)",
            (order_id, user_id, total, status, seq),
        )
        for product, quantity in sorted(items.items()):
            tx.execute(
                "INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)",
                (order_id, product, quantity, prices[product]),
            )
        return Order(order_id, user_id, total, status, tuple(sorted(items.items())))

    def set_status(self, tx: Transaction, order_id: str, status: str) -> None:
        tx.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))

    def get(self, tx: Transaction, order_id: str) -> Order | None:
        row = tx.execute("SELECT id, user_id, total_cents, status FROM orders WHERE id = ?", (order_id,)).fetchone()
        if not row:
            return None
        items = tx.execute(
            "SELECT product_id, quantity FROM order_items WHERE order_id = ? ORDER BY product_id", (order_id,)
        ).fetchall()
        return Order(row[0], row[1], row[2], row[3], tuple((p, int(q)) for p, q in items))

    def history(self, tx: Transaction, user_id: str) -> list[Order]:
        ids = tx.execute("SELECT id FROM orders WHERE user_id = ? ORDER BY seq", (user_id,)).fetchall()
        return [order for (order_id,) in ids if (order := self.get(tx, order_id)) is not None]

    def count(self, tx: Transaction, status: str | None = None) -> int:
        if status is None:
            return int(tx.execute("SELECT COUNT(*) FROM orders").fetchone()[0])
        return int(tx.execute("SELECT COUNT(*) FROM orders WHERE status = ?", (status,)).fetchone()[0])


class Outbox:
    """Events written in the same transaction as the change they announce, and the record of
    events already handled (idempotent consumers). Owns: outbox, processed_events; every
    service has its own.
    """

    TABLES = ("outbox", "processed_events")

    def emit(self, tx: Transaction, topic: str, payload: Mapping[str, Any], event_id: str | None = None) -> str:
        event_id = event_id or new_id()
        seq = int(tx.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0])
        tx.execute(
            "INSERT INTO outbox (id, topic, payload, published, seq) VALUES (?, ?, ?, 0, ?)",
            (event_id, topic, json.dumps(dict(payload), sort_keys=True), seq),
        )
        return event_id

    def unpublished(self, tx: Transaction, limit: int = 100) -> list[tuple[str, str, dict[str, Any]]]:
        rows = tx.execute(
            "SELECT id, topic, payload FROM outbox WHERE published = 0 ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def mark_published(self, tx: Transaction, event_id: str) -> None:
        tx.execute("UPDATE outbox SET published = 1 WHERE id = ?", (event_id,))

    def outbox_topics(self, tx: Transaction) -> list[str]:
        return [r[0] for r in tx.execute("SELECT topic FROM outbox ORDER BY seq").fetchall()]

    def first_time(self, tx: Transaction, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` handled ``event_id``; False if it already had (idempotence)."""
        seen = tx.execute(
            "SELECT 1 FROM processed_events WHERE consumer = ? AND event_id = ?", (consumer, event_id)
        ).fetchone()
        if seen:
            return False
        tx.execute("INSERT INTO processed_events (consumer, event_id) VALUES (?, ?)", (consumer, event_id))
        return True


@dataclass
class Shop:
    """All modules of the shop; each stage decides how they are deployed and joined."""

    catalog: Catalog
    inventory: Inventory
    users: Users
    payments: Payments
    orders: Orders
    outbox: Outbox
    ids: Callable[[], str] = new_id

    @classmethod
    def create(cls, processor: CardProcessor | None = None, ids: Callable[[], str] = new_id) -> Shop:
        return cls(Catalog(), Inventory(), Users(), Payments(processor), Orders(), Outbox(), ids)
