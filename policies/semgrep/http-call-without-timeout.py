import urllib.request
from urllib.request import urlopen

import httpx
import requests


def calls(url, payload, options):
    # ruleid: http-call-without-timeout
    requests.get(url)
    # ruleid: http-call-without-timeout
    requests.post(url, json=payload)
    # ruleid: http-call-without-timeout
    requests.request("GET", url, headers={})
    # ruleid: http-call-without-timeout
    httpx.get(url)
    # ruleid: http-call-without-timeout
    requests.get(url, timeout=None)
    # ruleid: http-call-without-timeout
    urllib.request.urlopen(url)
    # ruleid: http-call-without-timeout
    urlopen(url, data=b"x")
    # ok: http-call-without-timeout
    requests.get(url, timeout=10)
    # ok: http-call-without-timeout
    requests.post(url, json=payload, timeout=(3.05, 27))
    # ok: http-call-without-timeout
    httpx.post(url, json=payload, timeout=httpx.Timeout(10.0))
    # ok: http-call-without-timeout
    urllib.request.urlopen(url, timeout=5)
    # ok: http-call-without-timeout
    urlopen(url, None, 5)
    # ok: http-call-without-timeout
    requests.get(url, **options)


def sessions(url):
    session = requests.Session()
    # ruleid: http-call-without-timeout
    session.get(url)
    # ok: http-call-without-timeout
    session.post(url, timeout=5)
    with requests.Session() as s:
        # ruleid: http-call-without-timeout
        s.put(url, data="x")
        # ok: http-call-without-timeout
        s.headers.update({"a": "b"})


def clients(url):
    # ruleid: http-call-without-timeout
    client = httpx.Client(base_url=url)
    # ok: http-call-without-timeout
    configured = httpx.Client(base_url=url, timeout=httpx.Timeout(5.0, connect=2.0))
    # ok: http-call-without-timeout
    configured.get("/health")
    return client


async def async_clients(url):
    # ruleid: http-call-without-timeout
    async with httpx.AsyncClient() as client:
        return await client.get(url)


class ApiClient:
    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()
        self.cache = {}

    def fetch(self, path):
        # ruleid: http-call-without-timeout
        return self.session.get(self.base_url + path)

    def fetch_ok(self, path):
        # ok: http-call-without-timeout
        return self.session.get(self.base_url + path, timeout=10)

    def cached(self, path):
        # ok: http-call-without-timeout
        return self.cache.get(path)


def unrelated(cache, url):
    # ok: http-call-without-timeout
    return cache.get(url)
