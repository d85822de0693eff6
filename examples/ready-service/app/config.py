"""Configuration from environment variables (twelve-factor). No secret has a default here."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Attributes:
        database_url: SQLAlchemy URL, e.g. ``postgresql+psycopg://app@db/payments`` (the password
            comes from the environment or ``PGPASSWORD``, never from the repository).
        fraud_api_url: base URL of the fraud-scoring API.
        fraud_api_timeout: seconds to wait for the fraud API before marking a payment for review.
        log_level: ``DEBUG``, ``INFO``, ``WARNING``...
    """

    database_url: str
    fraud_api_url: str = "http://fraud-api.internal:8080"
    fraud_api_timeout: float = 2.0
    log_level: str = "INFO"

    @classmethod
    def from_env(cls) -> "Settings":
        """Read the settings from the environment.

        Raises:
            RuntimeError: ``DATABASE_URL`` is not set.
        """
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError("DATABASE_URL is not set; see README.md, section Configuration")
        return cls(
            database_url=url,
            fraud_api_url=os.environ.get("FRAUD_API_URL", cls.fraud_api_url),
            fraud_api_timeout=float(os.environ.get("FRAUD_API_TIMEOUT_SECONDS", cls.fraud_api_timeout)),
            log_level=os.environ.get("LOG_LEVEL", cls.log_level),
        )
