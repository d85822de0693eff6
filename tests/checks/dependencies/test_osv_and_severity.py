"""The loopback OSV server (``tests/servers/osv.py``) and advisory rating (``gate.deps.advisories``).

The server is tested directly because later suites (benchmark, adversarial) reuse it: its answers
must match what api.osv.dev would say for the same records.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from gate.deps.advisories import (
    AdvisoryLookupError,
    cvss2_score,
    cvss3_score,
    fetch_record,
    rate_advisories,
    rate_advisory,
    rate_record,
)
from gate.model import Severity
from gate.scanners.pip_audit import batches, osv_base_url, osv_query_url
from servers.osv import DATA_DIR, OsvServer


def post(url, payload, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def ids(answer):
    return sorted(v["id"] for v in answer.get("vulns", []))


def query(name, version):
    return {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}


def test_query_matches_pypi_ranges(osv):
    assert ids(post(osv.query_url, query("requests", "2.19.1"))) == ["PYSEC-2018-28", "PYSEC-2023-74"]
    assert ids(post(osv.query_url, query("requests", "2.20.0"))) == ["PYSEC-2023-74"]  # fixed boundary excluded
    assert post(osv.query_url, query("requests", "2.31.0")) == {}  # api.osv.dev answers {} when clean
    assert ids(post(osv.query_url, query("PyYAML", "5.3"))) == ["PYSEC-2020-96", "PYSEC-2021-142"]  # PEP 503 names
    assert ids(post(osv.query_url, query("urllib3", "2.0.6"))) == ["PYSEC-2023-212"]
    assert post(osv.query_url, {"package": {"name": "requests", "ecosystem": "npm"}, "version": "2.19.1"}) == {}
    assert osv.queried_packages()[0] == ("requests", "2.19.1")


def test_querybatch_and_vulns(osv):
    answer = post(osv.base_url + "/v1/querybatch",
                  {"queries": [query("requests", "2.19.1"), query("flask", "3.0.0")]})
    assert [sorted(v["id"] for v in r.get("vulns", [])) for r in answer["results"]] == [
        ["PYSEC-2018-28", "PYSEC-2023-74"], []]
    assert set(answer["results"][0]["vulns"][0]) == {"id", "modified"}
    with urllib.request.urlopen(osv.base_url + "/v1/vulns/PYSEC-2018-28", timeout=5) as resp:
        assert json.loads(resp.read())["aliases"] == ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(osv.base_url + "/v1/vulns/PYSEC-0000-0", timeout=5)
    assert err.value.code == 404


def test_faults(osv):
    osv.inject("500")
    with pytest.raises(urllib.error.HTTPError):
        post(osv.query_url, query("requests", "2.19.1"))
    osv.inject("garbage")
    with pytest.raises(ValueError):
        post(osv.query_url, query("requests", "2.19.1"))
    osv.inject("hang")
    start = time.monotonic()
    with pytest.raises(OSError):  # socket timeout
        post(osv.query_url, query("requests", "2.19.1"), timeout=0.5)
    assert time.monotonic() - start < 3
    osv.clear_faults()
    assert ids(post(osv.query_url, query("requests", "2.19.1")))
    with pytest.raises(ValueError):
        osv.inject("teapot")


@pytest.mark.parametrize(("vector", "score"), [
    # Scores as published by NVD for these CVEs.
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", 8.1),   # CVE-2023-43804
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),   # CVE-2018-25091
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", 4.2),   # CVE-2023-45803
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),   # CVE-2023-46136
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
])
def test_cvss3_base_scores(vector, score):
    assert cvss3_score(vector) == score


def test_cvss2_and_bad_vectors():
    assert cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5
    assert cvss2_score("AV:N/AC:M/Au:N/C:N/I:P/A:N") == 4.3
    for bad in ("CVSS:3.1/AV:N", "garbage", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"):
        with pytest.raises(ValueError):
            cvss3_score(bad)


def test_rate_record_sources():
    assert rate_record({"id": "X", "severity": [{"type": "CVSS_V3",
                        "score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"}]}).severity is Severity.HIGH
    assert rate_record({"id": "G", "database_specific": {"severity": "MODERATE"}}).severity is Severity.MEDIUM
    assert rate_record({"id": "G", "affected": [{"ecosystem_specific": {"severity": "critical"}}]}).severity \
        is Severity.CRITICAL
    # Only a v4 vector: not scored here, falls through to None (unknown).
    assert rate_record({"id": "Y", "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}]}) is None
    assert rate_record({"id": "Z"}) is None


def test_rate_advisory_uses_aliases_and_fails_closed(osv):
    ghsa = {"id": "GHSA-x84v-xcm2-53pg", "aliases": ["CVE-2018-18074"],
            "database_specific": {"severity": "MODERATE"}, "affected": []}
    pysec = json.loads((DATA_DIR / "PYSEC-2018-28.json").read_text())
    with OsvServer([pysec, ghsa]) as server:
        rating = rate_advisory(server.base_url, "PYSEC-2018-28", pysec["aliases"])
        assert rating.severity is Severity.MEDIUM and "GHSA-x84v-xcm2-53pg" in rating.source
        # Without the GHSA record the severity is unknown, which ranks as critical.
    rating = rate_advisory(osv.base_url, "PYSEC-2018-28", pysec["aliases"])
    assert rating.severity is Severity.UNKNOWN and rating.severity.at_least(Severity.CRITICAL)
    osv.inject("garbage", "/v1/vulns/")
    assert "not JSON" in rate_advisory(osv.base_url, "PYSEC-2018-28").source
    osv.inject("hang", "/v1/vulns/")
    start = time.monotonic()
    ratings = rate_advisories(osv.base_url, {"PYSEC-2018-28": ()}, deadline=time.monotonic() + 1)
    assert ratings["PYSEC-2018-28"].severity is Severity.UNKNOWN and time.monotonic() - start < 5
    with pytest.raises(AdvisoryLookupError):
        fetch_record("http://127.0.0.1:9", "PYSEC-2018-28", timeout=2)


def test_osv_url_forms_and_batches():
    for url in ("https://osv.internal", "https://osv.internal/", "https://osv.internal/v1",
                "https://osv.internal/v1/query"):
        assert osv_query_url(osv_base_url(url)) == "https://osv.internal/v1/query"
    assert osv_base_url(None) == "https://api.osv.dev"
    assert batches([("a", "1"), ("b", "1"), ("a", "2"), ("a", "1"), ("a", "3")]) == [
        [("a", "1"), ("b", "1")], [("a", "2")], [("a", "3")]]
