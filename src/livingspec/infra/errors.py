"""Errors of the shared infrastructure."""

from livingspec.errors import LivingSpecError


class InfraError(LivingSpecError):
    """A server or process of the infrastructure did not start, or stopped unexpectedly."""


class TargetUnavailableError(InfraError):
    """A real target cannot run here (its binary is missing); the scenario is skipped with this reason."""
