"""Errors of the e-commerce application and its deployments."""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class ScalingError(LivingSpecError):
    """Root of every progressive-scaling error."""


class OrderRefusedError(ScalingError):
    """An order the shop refuses; nothing of it is kept."""


class InsufficientInventoryError(OrderRefusedError):
    """An order asks for more units than the stock holds."""

    def __init__(self, product: str, wanted: int, available: int) -> None:
        self.product, self.wanted, self.available = product, wanted, available
        super().__init__(f"insufficient inventory for {product}: wanted {wanted}, {available} in stock")


class PaymentDeclinedError(OrderRefusedError):
    """The card processor declined the payment."""


class UnknownProductError(OrderRefusedError):
    """An order names a product the catalog does not have."""


class UnknownUserError(OrderRefusedError):
    """A request names a user who is not registered."""


class InvalidOrderError(OrderRefusedError):
    """An order is malformed: no items, or a quantity that is not a positive integer."""


class BoundaryViolationError(ScalingError):
    """A module touched a table another module owns (the modular monolith forbids it)."""


class SessionLostError(ScalingError):
    """A request carried a session id that no instance knows."""


class StageUnavailableError(ScalingError):
    """A deployment cannot run here (a server binary is missing)."""


class AutoscalerConfigError(ScalingError):
    """An autoscaler specification is invalid (bounds, targets, windows)."""


class MetricReadingError(AutoscalerConfigError):
    """A metric reading the autoscaler cannot use: NaN, infinite or negative, or missing for every pod."""


class ReplicaCountError(AutoscalerConfigError):
    """A replica count that is not a positive whole number where one is needed."""


class MissingRequestError(MetricReadingError):
    """A pod has no resource request, so its utilization (usage / request) is undefined."""
