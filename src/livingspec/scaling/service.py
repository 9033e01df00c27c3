"""The shop's use cases over one database: the monolith (stage 1) and the modular monolith (stage 3).

The same code serves both. The monolith lets every module touch every table inside one
transaction; the modular monolith hands each module a view of the transaction limited to the
tables it owns, so the boundaries are enforced, not just drawn. An order is one transaction in
both: a declined payment or a missing item rolls back the order and the stock with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livingspec.scaling.db import Database, Transaction
from livingspec.scaling.domain import Order, Product, Shop, validate_items
from livingspec.scaling.errors import OrderRefusedError


@dataclass(frozen=True)
class OrderOutcome:
    """What the shop answered: the order (when accepted), its status, and the reason when refused."""

    status: str
    order_id: str | None = None
    total_cents: int = 0
    reason: str = ""
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == "confirmed"


def refused(error: OrderRefusedError) -> OrderOutcome:
    """The outcome for a refused order, naming the error."""
    return OrderOutcome("refused", reason=str(error), error=type(error).__name__)


@dataclass
class ShopService:
    """The shop on one database; ``modular`` enforces module boundaries (stage 3)."""

    db: Database
    modular: bool = False
    shop: Shop = field(default_factory=Shop.create)

    def _in(self, tx: Transaction, module: Any) -> Transaction:
        return tx.scoped(type(module).__name__.lower(), module.TABLES) if self.modular else tx

    def seed(
        self, products: Iterable[Product], stock: Mapping[str, int], users: Iterable[tuple[str, str, str]]
    ) -> None:
        """Load the catalog, the stock and the customers."""
        s = self.shop
        with self.db.transaction() as tx:
            for product in products:
                s.catalog.add(self._in(tx, s.catalog), product)
            for product_id, quantity in stock.items():
                s.inventory.stock(self._in(tx, s.inventory), product_id, quantity)
            for user_id, name, email in users:
                s.users.register(self._in(tx, s.users), user_id, name, email)

    def products(self) -> list[Product]:
        with self.db.transaction() as tx:
            return self.shop.catalog.list(self._in(tx, self.shop.catalog))

    def user(self, user_id: str) -> dict[str, str]:
        with self.db.transaction() as tx:
            return self.shop.users.get(self._in(tx, self.shop.users), user_id)

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome:
        """One transaction: check the user, price the items, reserve stock, take payment, queue the e-mail."""
        s = self.shop
        try:
            items = validate_items(items)
            with self.db.transaction() as tx:
                user = s.users.get(self._in(tx, s.users), user_id)
                prices = s.catalog.prices(self._in(tx, s.catalog), list(items))
                order = s.orders.create(self._in(tx, s.orders), s.ids(), user_id, items, prices, "confirmed")
                s.inventory.reserve(self._in(tx, s.inventory), order.id, items)
                s.payments.charge(self._in(tx, s.payments), order.id, order.total_cents, card)
                s.outbox.emit(
                    self._in(tx, s.outbox),
                    "order.email",
                    {"order_id": order.id, "to": user["email"], "total_cents": order.total_cents},
                )
        except OrderRefusedError as error:
            return refused(error)
        return OrderOutcome("confirmed", order.id, order.total_cents)

    def history(self, user_id: str) -> list[Order]:
        with self.db.transaction() as tx:
            return self.shop.orders.history(self._in(tx, self.shop.orders), user_id)

    def stock(self, product_id: str) -> int:
        with self.db.transaction() as tx:
            return self.shop.inventory.available(self._in(tx, self.shop.inventory), product_id)

    def counts(self) -> dict[str, int]:
        """Orders and payments stored: what a failed order must leave unchanged."""
        s = self.shop
        with self.db.transaction() as tx:
            return {
                "orders": s.orders.count(self._in(tx, s.orders)),
                "payments": s.payments.count(self._in(tx, s.payments)),
            }

    def outbox_topics(self) -> list[str]:
        with self.db.transaction() as tx:
            return self.shop.outbox.outbox_topics(self._in(tx, self.shop.outbox))

    def read_foreign_table(self, module: str, table: str) -> Any:
        """Let one module query another's table directly (allowed in the monolith, refused when modular)."""
        target = getattr(self.shop, module)
        with self.db.transaction() as tx:
            return self._in(tx, target).execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
