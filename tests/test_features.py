"""Every feature file, run by pytest-bdd from the same step modules that behave uses."""

from pathlib import Path

from livingspec.runner.bridge import install_scenarios, install_steps

ROOT = Path(__file__).resolve().parents[1]

install_steps(ROOT / "steps")
install_scenarios(ROOT / "features")
