"""readiness-gate: a production-readiness release gate for pull requests."""

__version__ = "0.1.0"
