"""livingspec: an executable specification of eleven software concepts.

Each concept lives in its own subpackage (``livingspec.delta``, ...); ``livingspec.runner`` holds
the glue that runs the Gherkin features under behave and pytest-bdd and attaches evidence to
the Allure report.
"""

from livingspec.errors import LivingSpecError

__all__ = ["LivingSpecError", "__version__"]
__version__ = "0.1.0"
