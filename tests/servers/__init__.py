"""Loopback servers that stand in for external services in tests (OSV API, ...)."""
