"""Managed server processes: a binary from PATH, a temporary folder, a log, bounded start and stop."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from livingspec.infra.errors import InfraError, TargetUnavailableError
from livingspec.infra.lifecycle import Started
from livingspec.infra.net import wait_for_port


def require_binary(name: str, extra_dirs: Sequence[str] = ()) -> str:
    """Absolute path of ``name`` on PATH (or in ``extra_dirs``), else TargetUnavailableError naming it."""
    found = shutil.which(name) or next((str(Path(d) / name) for d in extra_dirs if (Path(d) / name).is_file()), None)
    if not found:
        raise TargetUnavailableError(f"{name} is not installed (make test installs it when run as root)")
    return found


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _own_cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of ``pid`` (fields 14 and 15 of /proc/<pid>/task/<tid>/stat)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a running process and all its descendants (Linux /proc; 0 if it is gone).

    Benchmarks read it before and after a load to say where the CPU of each request went.
    """
    seen: set[int] = set()
    pending, total = [pid], 0.0
    while pending and len(seen) < 10_000:  # bounded: a process tree is small
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            total += _own_cpu_seconds(current)
            pending += _children(current)
        except (OSError, ValueError, IndexError):  # it exited meanwhile
            continue
    return total


class ManagedProcess(Started):
    """A server process with its own temporary folder and log; stops (TERM, then KILL) on exit."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        ready_port: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        ready_timeout: float = 20.0,
        user: str | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.argv = list(argv)
        self.name = name
        self.ready_port = ready_port
        self.env = {**os.environ, **(env or {})}
        self.workdir = Path(cwd) if cwd else Path(tempfile.mkdtemp(prefix=f"livingspec-{name}-"))
        self.ready_timeout = ready_timeout
        self.user = user
        self.pass_fds = tuple(pass_fds)  # descriptors the child inherits (a bound socket held for it)
        self.log_path = self.workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        """Start the process and wait (bounded) for its port; InfraError with the log tail if it fails."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.user,
            pass_fds=self.pass_fds,
        )
        if self.ready_port is not None:
            try:
                wait_for_port(self.ready_port, timeout=self.ready_timeout, process=self.process)
            except (RuntimeError, TimeoutError) as error:
                self.stop()
                raise InfraError(f"{self.name} did not start: {error}\n{self.log_tail()}") from None
        return self

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self.process.pid if self.process is not None else None

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the process and its children have used so far; 0 once stopped."""
        return tree_cpu_seconds(self.pid) if self.pid is not None else 0.0

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the process's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if getattr(self, "_log", None):
            self._log.close()

    def kill(self) -> None:
        """Crash the process at once (SIGKILL), as a failure test would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (SIGSTOP and SIGCONT pause and resume it)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signum)
