import datetime

import jwt
from jose import jwt as jose_jwt

KEY = "read-from-env"


def issue(user):
    # ruleid: jwt-without-expiry
    return jwt.encode({"sub": user.id, "role": user.role}, KEY, algorithm="HS256")


def issue_variable(user):
    claims = {"sub": user.id}
    claims["role"] = user.role
    # ruleid: jwt-without-expiry
    return jwt.encode(claims, KEY, algorithm="HS256")


def issue_dict(user):
    # ruleid: jwt-without-expiry
    return jose_jwt.encode(dict(sub=user.id), KEY, algorithm="HS256")


def issue_ok(user):
    now = datetime.datetime.now(datetime.timezone.utc)
    # ok: jwt-without-expiry
    return jwt.encode({"sub": user.id, "exp": now + datetime.timedelta(minutes=15)}, KEY, algorithm="HS256")


def issue_ok_later(user):
    claims = {"sub": user.id}
    claims["exp"] = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=15)
    # ok: jwt-without-expiry
    return jwt.encode(claims, KEY, algorithm="HS256")


def issue_ok_update(user, lifetime):
    claims = {"sub": user.id}
    claims.update(exp=lifetime)
    # ok: jwt-without-expiry
    return jwt.encode(claims, KEY, algorithm="HS256")


def issue_ok_kw(user, lifetime):
    # ok: jwt-without-expiry
    return jwt.encode(dict(sub=user.id, exp=lifetime), KEY, algorithm="HS256")


def issue_unknown(payload, base):
    # ok: jwt-without-expiry
    jwt.encode(payload, KEY, algorithm="HS256")
    # ok: jwt-without-expiry
    return jwt.encode({**base, "sub": 1}, KEY, algorithm="HS256")
