"""HTTP API: merchants sign up, then create and read payments (HTTP basic auth)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import session
from app.fraud import fraud_score
from app.models import Merchant, Payment

log = logging.getLogger(__name__)
api = Blueprint("api", __name__)

REJECT_SCORE = 0.9
"""Fraud score at or above which a payment is rejected."""
CURRENCIES = frozenset({"EUR", "USD", "GBP"})


def _authenticated_merchant() -> Merchant:
    """The merchant named by HTTP basic auth (id:password); aborts with 401 otherwise."""
    auth = request.authorization
    if auth is None or not auth.username or not auth.username.isdigit():
        abort(401)
    merchant = session().get(Merchant, int(auth.username))
    if merchant is None or not check_password_hash(merchant.password_hash, auth.password or ""):
        abort(401)
    return merchant


@api.post("/merchants")
def create_merchant() -> tuple[Response, int]:
    """``{"name", "password"}`` (12+ characters) -> 201 ``{"id", "name"}``; 409 if the name is taken."""
    body = request.get_json(silent=True) or {}
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or len(password) < 12:
        abort(400)
    merchant = Merchant(name=name, password_hash=generate_password_hash(password))
    db = session()
    db.add(merchant)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        abort(409)
    log.info("merchant created", extra={"merchant_id": merchant.id})
    return jsonify(id=merchant.id, name=merchant.name), 201


@api.post("/payments")
def create_payment() -> tuple[Response, int]:
    """``{"amount_cents", "currency"}`` -> 201 with the payment, scored by the fraud API."""
    merchant = _authenticated_merchant()
    body = request.get_json(silent=True) or {}
    amount, currency = body.get("amount_cents"), body.get("currency")
    if not isinstance(amount, int) or amount <= 0 or currency not in CURRENCIES:
        abort(400)
    settings = current_app.config["SETTINGS"]
    score = fraud_score(settings.fraud_api_url, settings.fraud_api_timeout,
                        merchant_id=merchant.id, amount_cents=amount, currency=currency)
    if score is None:
        status = "pending_review"
    else:
        status = "rejected" if score >= REJECT_SCORE else "accepted"
    payment = Payment(merchant_id=merchant.id, amount_cents=amount, currency=currency, status=status)
    db = session()
    db.add(payment)
    db.commit()
    log.info("payment created", extra={"payment_id": payment.id, "status": status})
    return jsonify(payment.to_dict()), 201


@api.get("/payments/<int:payment_id>")
def get_payment(payment_id: int) -> Response:
    """One of the authenticated merchant's payments; 404 for anyone else's."""
    merchant = _authenticated_merchant()
    payment = session().scalar(
        select(Payment).where(Payment.id == payment_id, Payment.merchant_id == merchant.id))
    if payment is None:
        abort(404)
    return jsonify(payment.to_dict())
