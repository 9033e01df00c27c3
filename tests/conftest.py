"""pytest configuration shared by every test: the specification plugin and hypothesis profiles."""

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["livingspec.runner.pytest_plugin"]

# Hypothesis: a quick profile for local runs, a thorough one for CI (CI=true selects it).
settings.register_profile("quick", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "thorough" if os.environ.get("CI") else "quick"))
