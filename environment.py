"""behave hooks: a thin shim over livingspec.bdd.hooks (behave loads this file from the root)."""

from livingspec.bdd.hooks import before_all, before_scenario

__all__ = ["before_all", "before_scenario"]
