"""A behave-like context for steps run by pytest-bdd.

Steps are written for behave: they read ``context.table``, ``context.text``,
``context.config.userdata`` and call ``context.add_cleanup``. Under pytest one SpecContext
per scenario gives them the same surface, so no step is written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


class SpecContext:
    """Per-scenario state for steps, with the parts of behave's Context that steps use."""

    def __init__(self, userdata: dict[str, Any] | None = None, tags: set[str] | None = None) -> None:
        self.config = SimpleNamespace(userdata=dict(userdata or {}))
        self.tags = set(tags or ())
        self.table: Any = None
        self.text: str | None = None
        self._cleanups: list[Callable[[], Any]] = []

    def add_cleanup(self, cleanup: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``cleanup`` when the scenario ends (last registered runs first, as in behave)."""
        self._cleanups.append(lambda: cleanup(*args, **kwargs))

    def run_cleanups(self) -> None:
        """Run every registered cleanup; re-raise the first error after running them all."""
        first_error: BaseException | None = None
        while self._cleanups:
            try:
                self._cleanups.pop()()
            except BaseException as error:
                first_error = first_error or error
        if first_error is not None:
            raise first_error
