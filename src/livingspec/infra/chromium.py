"""Chromium from Debian's package, driven by Playwright through ``executable_path`` (never a download).

As root Chromium needs ``--no-sandbox``; the other flags keep it off the network, which it would
otherwise try at every start. Playwright gives each launch a fresh profile.
"""

from __future__ import annotations

from livingspec.infra.errors import TargetUnavailableError
from livingspec.infra.process import require_binary

CHROMIUM = "/usr/bin/chromium"
#: Flags Chromium needs on this kind of machine: root needs --no-sandbox; the rest keep it off the network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_executable() -> str:
    """Path of Debian's Chromium, else TargetUnavailableError naming the package."""
    try:
        return require_binary("chromium", ("/usr/bin",))
    except TargetUnavailableError:
        raise TargetUnavailableError("chromium is not installed (make test installs it when run as root)") from None
