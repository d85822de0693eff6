"""Prometheus metrics, exposed on ``GET /metrics``. ops/alerts.yml alerts on them.

Under gunicorn each worker is a process with its own counters, so production sets
``PROMETHEUS_MULTIPROC_DIR`` (Dockerfile) and ``/metrics`` aggregates every worker's files
(prometheus_client "multiprocess mode"); gunicorn.conf.py cleans up after dead workers.
"""

from __future__ import annotations

import os

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

REQUESTS = Counter("payments_http_requests_total", "HTTP requests handled.",
                   ["method", "endpoint", "status"])
REQUEST_LATENCY = Histogram("payments_http_request_duration_seconds", "HTTP request latency.",
                            ["method", "endpoint"])
FRAUD_CHECK_FAILURES = Counter("payments_fraud_check_failures_total",
                               "Fraud API calls that failed or timed out.", ["reason"])


def metrics_response() -> Response:
    """The metrics in Prometheus text format (all workers' when in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
