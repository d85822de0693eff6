"""End-to-end tests of the HTTP API against a migrated SQLite database."""

from __future__ import annotations

import base64
import secrets

import pytest
from sqlalchemy import create_engine, inspect

from app import create_app
from app.config import Settings
from conftest import migrate


def _auth(merchant_id: int, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{merchant_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _merchant(client) -> tuple[int, str]:
    password = secrets.token_urlsafe(16)
    response = client.post("/merchants", json={"name": "acme", "password": password})
    assert response.status_code == 201
    return response.get_json()["id"], password


def test_healthz_reports_database_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_database_is_gone(tmp_path, fraud_api) -> None:
    url, _ = fraud_api
    missing = tmp_path / "no-such-dir" / "payments.db"
    app = create_app(Settings(database_url=f"sqlite:///{missing}", fraud_api_url=url))
    assert app.test_client().get("/healthz").status_code == 503


def test_payment_accepted_when_score_is_low(client) -> None:
    merchant_id, password = _merchant(client)
    response = client.post("/payments", json={"amount_cents": 1250, "currency": "EUR"},
                           headers=_auth(merchant_id, password))
    assert response.status_code == 201
    payment = response.get_json()
    assert payment["status"] == "accepted"
    again = client.get(f"/payments/{payment['id']}", headers=_auth(merchant_id, password))
    assert again.get_json() == payment


def test_payment_rejected_when_score_is_high(client, fraud_api) -> None:
    _, handler = fraud_api
    handler.score = 0.95
    merchant_id, password = _merchant(client)
    response = client.post("/payments", json={"amount_cents": 990000, "currency": "USD"},
                           headers=_auth(merchant_id, password))
    assert response.get_json()["status"] == "rejected"


def test_payment_pending_review_when_fraud_api_is_down(database_url) -> None:
    # Port 9 (discard) on loopback refuses connections: the fraud API is unreachable.
    app = create_app(Settings(database_url=database_url, fraud_api_url="http://127.0.0.1:9",
                              fraud_api_timeout=0.5))
    client = app.test_client()
    merchant_id, password = _merchant(client)
    response = client.post("/payments", json={"amount_cents": 500, "currency": "GBP"},
                           headers=_auth(merchant_id, password))
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending_review"
    assert b'payments_fraud_check_failures_total{reason="error"}' in client.get("/metrics").data


def test_wrong_password_is_401(client) -> None:
    merchant_id, _ = _merchant(client)
    response = client.post("/payments", json={"amount_cents": 1, "currency": "EUR"},
                           headers=_auth(merchant_id, "not-the-password"))
    assert response.status_code == 401


def test_other_merchants_payment_is_404(client) -> None:
    merchant_id, password = _merchant(client)
    created = client.post("/payments", json={"amount_cents": 100, "currency": "EUR"},
                          headers=_auth(merchant_id, password)).get_json()
    other_password = secrets.token_urlsafe(16)
    other = client.post("/merchants", json={"name": "globex", "password": other_password}).get_json()["id"]
    response = client.get(f"/payments/{created['id']}", headers=_auth(other, other_password))
    assert response.status_code == 404


@pytest.mark.parametrize("body", [{"amount_cents": -1, "currency": "EUR"},
                                  {"amount_cents": 10, "currency": "XXX"}, {}])
def test_invalid_payment_is_400(client, body) -> None:
    merchant_id, password = _merchant(client)
    assert client.post("/payments", json=body, headers=_auth(merchant_id, password)).status_code == 400


def test_migrations_downgrade_to_base_and_back(database_url, monkeypatch) -> None:
    migrate(database_url, monkeypatch, "base", down=True)
    assert set(inspect(create_engine(database_url)).get_table_names()) == {"alembic_version"}
    migrate(database_url, monkeypatch)
    columns = {c["name"] for c in inspect(create_engine(database_url)).get_columns("payments")}
    assert "status" in columns
