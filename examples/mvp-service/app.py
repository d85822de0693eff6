"""payments-api MVP: merchants sign up, create payments, and we ask the fraud API for a score.

Shipped in a weekend for the pilot merchants. Run with `python app.py`.
"""

import hashlib
import sqlite3

import requests
from flask import Flask, jsonify, request

from settings import DATABASE_PATH, FRAUD_API_URL

app = Flask(__name__)


def get_db():
    conn = sqlite3.connect(DATABASE_PATH)
    conn.row_factory = sqlite3.Row
    return conn


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def fraud_score(merchant_id, amount_cents):
    try:
        r = requests.get(FRAUD_API_URL + "/v1/score",
                         params={"merchant_id": merchant_id, "amount_cents": amount_cents})
        return r.json()["score"]
    except:
        pass


def current_merchant():
    auth = request.authorization
    db = get_db()
    row = db.execute("SELECT * FROM merchants WHERE id = '%s' AND password_hash = '%s'"
                     % (auth.username, hash_password(auth.password))).fetchone()
    return row


@app.route("/merchants", methods=["POST"])
def create_merchant():
    body = request.get_json()
    db = get_db()
    cur = db.execute("INSERT INTO merchants (name, password_hash) VALUES (?, ?)",
                     (body["name"], hash_password(body["password"])))
    db.commit()
    return jsonify(id=cur.lastrowid), 201


@app.route("/payments", methods=["POST"])
def create_payment():
    merchant = current_merchant()
    body = request.get_json()
    score = fraud_score(merchant["id"], body["amount_cents"])
    status = "rejected" if score and score > 0.9 else "accepted"
    db = get_db()
    cur = db.execute("INSERT INTO payments (merchant_id, amount_cents, currency, status) VALUES (?, ?, ?, ?)",
                     (merchant["id"], body["amount_cents"], body["currency"], status))
    db.commit()
    print("payment", cur.lastrowid, status)
    return jsonify(id=cur.lastrowid, status=status), 201


@app.route("/payments/<payment_id>")
def get_payment(payment_id):
    merchant = current_merchant()
    db = get_db()
    row = db.execute(f"SELECT * FROM payments WHERE id = {payment_id}").fetchone()
    return jsonify(dict(row))


@app.route("/health")
def health():
    return "ok"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080, debug=True)
