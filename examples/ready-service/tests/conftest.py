"""Fixtures: a migrated SQLite database per test and a stub fraud API on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig

from app import create_app
from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]


class _FraudAPI(BaseHTTPRequestHandler):
    score = 0.1

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = json.dumps({"score": type(self).score}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: the test output is enough."""


@pytest.fixture()
def fraud_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FraudAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _FraudAPI
    server.shutdown()
    server.server_close()
    _FraudAPI.score = 0.1


def migrate(url: str, monkeypatch: pytest.MonkeyPatch, target: str = "head", down: bool = False) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    (command.downgrade if down else command.upgrade)(cfg, target)


@pytest.fixture()
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    migrate(url, monkeypatch)
    return url


@pytest.fixture()
def client(database_url: str, fraud_api):
    url, _handler = fraud_api
    app = create_app(Settings(database_url=database_url, fraud_api_url=url, fraud_api_timeout=2.0))
    return app.test_client()
