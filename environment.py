"""behave hooks: a thin shim over livingspec.runner.hooks (behave loads this file from the root)."""

from livingspec.runner.hooks import before_all, before_scenario

__all__ = ["before_all", "before_scenario"]
