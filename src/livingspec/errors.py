"""The project's root exception: every concept's errors derive from it."""


class LivingSpecError(Exception):
    """Base class of every error a livingspec concept raises on bad input or misuse."""
