import enum
import os

import psycopg2


def connect():
    # ruleid: hardcoded-default-credentials
    return psycopg2.connect(host="db", user="postgres", password="postgres")


# ruleid: hardcoded-default-credentials
ADMIN_PASSWORD = "admin"
# ruleid: hardcoded-default-credentials
DB_PASSWORD = os.environ.get("DB_PASSWORD", "changeme")

DATABASES = {
    "default": {
        "USER": "app",
        # ruleid: hardcoded-default-credentials
        "PASSWORD": "password",
    }
}


def login(username, password):
    # ruleid: hardcoded-default-credentials
    return username == "admin" and password == "admin"


class Config:
    def __init__(self):
        # ruleid: hardcoded-default-credentials
        self.password = "123456"


# ok: hardcoded-default-credentials
DB_PASSWORD_FROM_ENV = os.environ["DB_PASSWORD"]
# ok: hardcoded-default-credentials
SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")


class Field(enum.Enum):
    # ok: hardcoded-default-credentials
    PASSWORD = "password"
    # ok: hardcoded-default-credentials
    USERNAME = "admin"


def form(widget):
    # ok: hardcoded-default-credentials
    return widget(type="password", name="password")
