import hashlib
from hashlib import md5, sha1

import bcrypt


def store(user, password):
    # ruleid: weak-password-hash
    user.pw_hash = hashlib.md5(password.encode("utf-8")).hexdigest()


def store2(user, form):
    # ruleid: weak-password-hash
    digest = sha1(form.password.encode()).hexdigest()
    return digest


def store3(user_password, salt):
    h = hashlib.new("sha1")
    h.update(salt)
    # ruleid: weak-password-hash
    h.update(user_password.encode())
    return h.hexdigest()


def hash_password(raw):
    # ruleid: weak-password-hash
    return hashlib.sha256(raw.encode()).hexdigest()


def check_password(raw, stored):
    # ruleid: weak-password-hash
    return md5(raw.encode()).hexdigest() == stored


def cache_key(url):
    # ok: weak-password-hash
    return hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()


def etag(body):
    # ok: weak-password-hash
    return hashlib.sha1(body).hexdigest()


def file_checksum(data):
    # ok: weak-password-hash
    return hashlib.sha256(data).hexdigest()


def good_hash(password):
    # ok: weak-password-hash
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())


def good_kdf(password, salt):
    # ok: weak-password-hash
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)


def reset_token_digest(password_reset_token):
    # ok: weak-password-hash
    return hashlib.sha256(password_reset_token.encode()).hexdigest()


def set_password_scrypt(password, salt):
    # ok: weak-password-hash
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
