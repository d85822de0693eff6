"""Client of the fraud-scoring API. Every call has a timeout; a failure never blocks a payment,
it sends it to manual review (docs/runbooks/fraud-api-timeout.md)."""

from __future__ import annotations

import logging
from typing import Optional

import requests

from app.metrics import FRAUD_CHECK_FAILURES

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 1.0
"""Seconds to open the connection; the API is in the same region."""


def fraud_score(base_url: str, timeout: float, *, merchant_id: int, amount_cents: int,
                currency: str) -> Optional[float]:
    """The fraud score in [0, 1] for a payment, or None when the API failed or timed out.

    ``timeout`` is the read timeout in seconds.
    """
    try:
        response = requests.post(
            f"{base_url}/v1/score",
            json={"merchant_id": merchant_id, "amount_cents": amount_cents, "currency": currency},
            timeout=(CONNECT_TIMEOUT, timeout),
        )
        response.raise_for_status()
        return float(response.json()["score"])
    except requests.Timeout:
        FRAUD_CHECK_FAILURES.labels("timeout").inc()
        log.warning("fraud API timed out", extra={"merchant_id": merchant_id})
    except (requests.RequestException, KeyError, TypeError, ValueError) as exc:
        FRAUD_CHECK_FAILURES.labels("error").inc()
        log.warning("fraud API failed", extra={"merchant_id": merchant_id, "error": type(exc).__name__})
    return None
