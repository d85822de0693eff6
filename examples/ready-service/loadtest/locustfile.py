"""Load test at projected peak: 200 payments/s with p99 under 300 ms.

Run against staging (never production):

    pip install -r loadtest/requirements.txt
    locust -f loadtest/locustfile.py --host https://payments-api-staging.fly.dev \
        --users 400 --spawn-rate 20 --run-time 15m --headless

Each simulated merchant signs up once, then creates payments and reads them back (about
3 writes for each read, the production mix).
"""

from __future__ import annotations

import random
import secrets

from locust import HttpUser, between, task

TIMEOUT = 5.0
"""Seconds before a request counts as failed; well above the 300 ms p99 target."""


class Merchant(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        password = secrets.token_urlsafe(16)
        name = f"loadtest-{secrets.token_hex(8)}"
        response = self.client.post("/merchants", json={"name": name, "password": password},
                                    timeout=TIMEOUT)
        response.raise_for_status()
        self.auth = (str(response.json()["id"]), password)
        self.payment_ids: list[int] = []

    @task(3)
    def create_payment(self) -> None:
        body = {"amount_cents": random.randint(100, 50_000), "currency": random.choice(["EUR", "USD", "GBP"])}
        with self.client.post("/payments", json=body, auth=self.auth, timeout=TIMEOUT,
                              catch_response=True) as response:
            if response.status_code == 201:
                self.payment_ids.append(response.json()["id"])
            else:
                response.failure(f"unexpected status {response.status_code}")

    @task(1)
    def read_payment(self) -> None:
        if self.payment_ids:
            payment_id = random.choice(self.payment_ids)
            self.client.get(f"/payments/{payment_id}", auth=self.auth, timeout=TIMEOUT,
                            name="/payments/[id]")
