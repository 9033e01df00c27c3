"""The BDD cycle made visible: run behave on a feature in a temporary folder, red then green.

The seed's process flow (day 8): discovery, feature files in Gherkin, step definitions, run the
tests (red), implement (green), refactor, repeat. A BddWorkspace holds one small project
(``features/*.feature`` and ``features/steps/*.py``) in a temporary folder and runs behave on it
in a child process, so the run being shown never touches the registry of the run showing it.
BehaveRun reads behave's summary lines and the snippets it prints for undefined steps.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from livingspec.login.errors import WorkspaceError

SNIPPET_HEADER = "You can implement step definitions for undefined steps with these snippets:"
_SUMMARY = re.compile(r"^(\d+) (feature|scenario|step)s? passed(.*)$", re.MULTILINE)
_COUNT = re.compile(r"(\d+) (failed|error|skipped|undefined|untested|hook_error)")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class BehaveRun:
    """What one behave run reported: exit code, output, counts per kind, snippets of undefined steps."""

    returncode: int
    output: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # "steps" -> {"passed": 2, ...}
    snippets: list[str] = field(default_factory=list)

    @property
    def colour(self) -> str:
        """ "green" when behave passed (exit code 0), else "red"."""
        return "green" if self.returncode == 0 else "red"

    def count(self, kind: str, status: str) -> int:
        """How many ``kind`` (features, scenarios, steps) ended with ``status`` (passed, failed, undefined, ...)."""
        return self.counts.get(kind, {}).get(status, 0)


def parse_behave_output(returncode: int, output: str) -> BehaveRun:
    """Read behave's summary and snippets from its output (plain formatter). Never raises."""
    counts: dict[str, dict[str, int]] = {}
    for match in _SUMMARY.finditer(output):
        kind = match.group(2) + "s"
        found = {"passed": int(match.group(1))}
        for number, status in _COUNT.findall(match.group(3)):
            found[status] = int(number)
        counts[kind] = found
    snippets: list[str] = []
    if SNIPPET_HEADER in output:
        tail = output.split(SNIPPET_HEADER, 1)[1]
        for block in re.split(r"\n\s*\n", tail):
            lines = [line for line in block.strip().splitlines() if not line.startswith("from behave")]
            if lines and lines[0].startswith("@"):
                snippets.append("\n".join(lines))
    return BehaveRun(returncode, output, counts, snippets)


class BddWorkspace:
    """A throw-away behave project: write a feature and step modules, run behave, read the verdict."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="livingspec-bdd-"))
        self.features = self.root / "features"
        self.steps = self.features / "steps"
        self.steps.mkdir(parents=True, exist_ok=True)

    def write_feature(self, name: str, text: str) -> Path:
        """Write ``features/<name>.feature``."""
        path = self.features / f"{self._checked(name)}.feature"
        path.write_text(text, encoding="utf-8")
        return path

    def write_steps(self, name: str, code: str) -> Path:
        """Write (replace) ``features/steps/<name>.py``."""
        path = self.steps / f"{self._checked(name)}.py"
        path.write_text(code, encoding="utf-8")
        return path

    def write_module(self, name: str, code: str) -> Path:
        """Write (replace) ``<name>.py`` at the workspace root: application code the steps import."""
        path = self.root / f"{self._checked(name)}.py"
        path.write_text(code, encoding="utf-8")
        return path

    def add_steps(self, name: str, code: str) -> Path:
        """Append step definitions to ``features/steps/<name>.py``."""
        path = self.steps / f"{self._checked(name)}.py"
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(existing.rstrip("\n") + "\n\n\n" + code.strip("\n") + "\n", encoding="utf-8")
        return path

    def run(self, timeout: float = 60.0) -> BehaveRun:
        """Run behave (plain output, no colour) on the workspace; WorkspaceError if it cannot run."""
        argv = [sys.executable, "-m", "behave", "--no-color", "--format", "plain", "features"]
        try:
            done = subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise WorkspaceError(f"behave did not run in {self.root}: {error}") from None
        output = done.stdout + ("\n" + done.stderr if done.stderr else "")
        run = parse_behave_output(done.returncode, output)
        if not run.counts:
            raise WorkspaceError(f"behave printed no summary (exit code {done.returncode}):\n{output[-2000:]}")
        return run

    def close(self) -> None:
        """Remove the workspace folder."""
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _checked(name: str) -> str:
        if not _NAME.match(name):
            raise WorkspaceError(f"file name {name!r} must be letters, digits and underscores")
        return name

    def __enter__(self) -> BddWorkspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
