"""gunicorn settings for production (the Dockerfile's CMD reads this file)."""

from prometheus_client import multiprocess

bind = "0.0.0.0:8080"
workers = 4          # 2 vCPU machines
timeout = 30         # a request slower than 30 s is killed and logged
graceful_timeout = 20
accesslog = None     # the app logs every request as JSON (app/__init__.py)


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared metrics directory."""
    multiprocess.mark_process_dead(worker.pid)
