"""Prometheus metrics, exposed on ``GET /metrics``. ops/alerts.yml alerts on them."""

from __future__ import annotations

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("payments_http_requests_total", "HTTP requests handled.",
                   ["method", "endpoint", "status"])
REQUEST_LATENCY = Histogram("payments_http_request_duration_seconds", "HTTP request latency.",
                            ["method", "endpoint"])
FRAUD_CHECK_FAILURES = Counter("payments_fraud_check_failures_total",
                               "Fraud API calls that failed or timed out.", ["reason"])


def metrics_response() -> Response:
    """The metrics in Prometheus text format."""
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
