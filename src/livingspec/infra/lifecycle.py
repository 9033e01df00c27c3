"""One context-manager protocol for everything that is started and stopped: servers, processes, launchers."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Started:
    """``with X(...) as x:`` starts ``x`` and stops it on the way out, whatever happened inside.

    Subclasses define ``start`` (returning the started object, so construction and start chain) and
    ``stop`` (bounded, safe to call twice).
    """

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
