import ssl

import aiohttp
import httpx
import requests


def calls(url, ca_bundle):
    # ruleid: tls-verify-disabled
    requests.get(url, verify=False, timeout=5)
    # ruleid: tls-verify-disabled
    requests.post(url, json={}, verify=False, timeout=5)
    # ruleid: tls-verify-disabled
    httpx.get(url, verify=False, timeout=5)
    # ruleid: tls-verify-disabled
    client = httpx.Client(verify=False, timeout=5)
    session = requests.Session()
    # ruleid: tls-verify-disabled
    session.verify = False
    # ruleid: tls-verify-disabled
    session.get(url, verify=False, timeout=5)
    # ok: tls-verify-disabled
    requests.get(url, timeout=5)
    # ok: tls-verify-disabled
    requests.get(url, verify=ca_bundle, timeout=5)
    # ok: tls-verify-disabled
    httpx.Client(verify=True, timeout=5)
    # ok: tls-verify-disabled
    session.verify = ca_bundle
    return client


async def fetch(url):
    # ruleid: tls-verify-disabled
    connector = aiohttp.TCPConnector(ssl=False)
    async with aiohttp.ClientSession(connector=connector) as s:
        # ruleid: tls-verify-disabled
        async with s.get(url, ssl=False) as r:
            return await r.text()


def contexts():
    # ruleid: tls-verify-disabled
    ctx = ssl._create_unverified_context()
    good = ssl.create_default_context()
    # ruleid: tls-verify-disabled
    good.check_hostname = False
    # ruleid: tls-verify-disabled
    good.verify_mode = ssl.CERT_NONE
    # ok: tls-verify-disabled
    strict = ssl.create_default_context(cafile="/etc/ssl/private-ca.pem")
    return ctx, strict


def unrelated(model, data):
    # ok: tls-verify-disabled
    model.save(verify=False)
    # ok: tls-verify-disabled
    return data.validate(verify=False)


class WrappedContext:
    def __init__(self):
        # ok: tls-verify-disabled
        self.check_hostname = False
