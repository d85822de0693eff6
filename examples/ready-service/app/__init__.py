"""payments-api: a small Flask service that records card payments and scores them for fraud.

``create_app()`` is the WSGI application factory used by gunicorn
(``gunicorn "app:create_app()"``) and by the tests.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.config import Settings
from app.db import Database
from app.logging_setup import configure_logging
from app.metrics import REQUEST_LATENCY, REQUESTS, metrics_response
from app.routes import api

log = logging.getLogger(__name__)


def create_app(settings: Optional[Settings] = None) -> Flask:
    """Build the Flask application.

    ``settings`` defaults to :meth:`Settings.from_env`; a missing ``DATABASE_URL`` raises
    ``RuntimeError`` at start-up rather than on the first request.
    """
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.extensions["db"] = Database(settings.database_url)
    app.register_blueprint(api)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        REQUEST_LATENCY.labels(request.method, endpoint).observe(elapsed)
        log.info("request", extra={"method": request.method, "path": request.path,
                                   "status": response.status_code,
                                   "duration_ms": round(elapsed * 1000, 1)})
        return response

    @app.teardown_appcontext
    def _close_session(_exc: Optional[BaseException]) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        """Liveness and readiness: 200 when the database answers, 503 otherwise."""
        if app.extensions["db"].ping():
            return jsonify(status="ok"), 200
        return jsonify(status="database unavailable"), 503

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus scrape endpoint (fly.toml [metrics])."""
        return metrics_response()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.name.lower()), exc.code or 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        # Logged with the traceback for us; the client gets a generic message only.
        log.exception("unhandled error", extra={"path": request.path})
        return jsonify(error="internal error"), 500

    return app
