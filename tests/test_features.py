"""Every feature file, run by pytest-bdd from the same step modules that behave uses.

``pytest --features-dir path/to/folder`` runs your own folder's feature files instead of features/.
"""

from pathlib import Path

from livingspec.runner.bridge import install_scenarios, install_steps
from livingspec.runner.pytest_plugin import features_dir

ROOT = Path(__file__).resolve().parents[1]

install_steps(ROOT / "steps")
install_scenarios(features_dir(ROOT / "features"))
