"""The fast path reports exactly what plain ``detect-secrets scan --all-files`` reports.

Same plugins and filters (``engine.SCAN_FLAGS``), same tree: real code (detect-secrets' own
sources from the environment), files detect-secrets rewrites with its INI/YAML
transformers, CRLF and CR line endings, Unicode characters that ``IGNORECASE`` equates with ASCII
letters, and a few thousand seeded random lines built from the fragments the plugins look for,
in every file type the keyword plugin distinguishes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import detect_secrets
import pytest

from helpers import run_check, write_tree
from secret_samples import ALNUM, B64URL, HEX, body, samples

from gate.inventory import build_inventory
from gate.model import Status
from gate.scanners.process import find_tool
from gate.secrets import engine
from gate.secrets.types import secret_type

FRAGMENTS = [
    "password", "passwd", "secret", "api_key", "apikey", "db_pass", "private_key", "contraseña",
    "api_\u212aey", "\u017fecret", "PASSWORD", "token", "aws_secret", "cloudant_key", "sl_token",
    "ibm_cloud_iam_key", "cos_secret_access_key", " = ", "=", ": ", ":=", "==", "!=", "=>", "(",
    ")", ";", " ", "  ", "'", '"', "`", "[", "]", "@", "$", "{", "}", "#", "//", "://", "user:",
    "@example.com", "http://", "10.0.0.1", "8.8.8.8", "1.2.3.4:8080", "192.168.1.1", "eyJ",
    "AKIA", "-us1", "xoxb-1-2-", "sk_live_", "AccountKey=", "T3BlbkFJ", "glpat-", "gh" + "p_",
    "AIza", "sk-ant-", "sk-proj-", "xapp-1-", "SG.", "sq0csp-", "pypi-AgE", "12345678:", "AC", "SK",
    "pragma: allowlist secret", "${VAR}", "{{ value }}", "<password>", "None", "",
]


def _token(rng: random.Random) -> str:
    kind = rng.randrange(6)
    n = rng.choice([4, 8, 9, 16, 20, 22, 23, 24, 32, 35, 36, 40, 44, 48, 64])
    if kind == 0:
        return "".join(rng.choice(HEX) for _ in range(n))
    if kind == 1:
        return "".join(rng.choice(B64URL + "+/=") for _ in range(n))
    if kind == 2:
        return "".join(rng.choice("0123456789") for _ in range(n))
    if kind == 3:
        return "".join(rng.choice(ALNUM) for _ in range(n))
    if kind == 4:
        return rng.choice(samples()).value
    return "".join(rng.choice(ALNUM + "._-/") for _ in range(n))


def _random_lines(seed: int, count: int) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        parts = [rng.choice(FRAGMENTS) if rng.random() < 0.6 else _token(rng) for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.3:
            q = rng.choice("'\"")
            parts.insert(rng.randint(0, len(parts)), q + _token(rng) + q)
        lines.append("".join(parts))
    return "\n".join(lines) + "\n"


def _corpus(root: Path) -> Path:
    for pkg in (detect_secrets,):
        src = Path(pkg.__file__).parent
        shutil.copytree(src, root / "vendor" / src.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    s = {x.rule: x for x in samples()}
    gh, stripe, google = s["github-token"].value, s["stripe-access-key"].value, s["google-api-key"].value
    hexv = body(32, HEX, 40)
    files = {
        "conf/app.ini": f"[db]\npassword = {body(16, ALNUM, 41)}\nkey = {hexv}\nplain = hello\n",
        "conf/settings.cfg": f"[s]\ntoken = '{gh}'\n",
        ".env": f"API_KEY={body(24, ALNUM, 42)}\nDEBUG=1\nHASH={hexv}\n",
        "RECORD": f"pkg/a.py,sha256={body(43, B64URL, 43)},1234\npkg/b.py,,\n",
        "deploy.yaml": f"db:\n  password: {body(12, ALNUM, 44)}\n  key: '{hexv}'\nlist:\n  - {stripe}\n",
        "crlf.py": f'x = 1\r\npassword = "{body(14, ALNUM, 45)}"\r\n\r\ny = "{google}"\r\n',
        "cr.txt": f'a = 1\rsecret = "{body(14, ALNUM, 46)}"\rz\r',
        "unicode.py": f'api_\u212aey = "{body(20, ALNUM, 47)}"\n\u017fecret = "{body(20, ALNUM, 48)}"\n',
        "no-newline.py": f'x = "{gh}"',
        "all-candidates.py": f'password = "{body(10, ALNUM, 49)}"\nsecret = "{body(11, ALNUM, 50)}"\n',
        "mixed.md": "# Notes\n\n" + "\n".join(x.line for x in samples()) + "\nThe end.\n",
    }
    for i, ext in enumerate(["py", "go", "js", "java", "c", "cpp", "cs", "m", "tf", "toml", "properties",
                             "yml", "txt", "php", "swift", "conf", "cls", "example"]):
        files[f"random/r{i}.{ext}"] = _random_lines(i, 200)
    write_tree(root, files, dedent=False)
    return root


def _plain(root: Path) -> set:
    out = subprocess.run([find_tool("detect-secrets"), "scan", "--all-files", *engine.SCAN_FLAGS, "."],
                         cwd=root, capture_output=True, text=True, check=True,
                         env={**os.environ, **engine.TOOL_ENV})
    data = json.loads(out.stdout)
    return {(f, item["line_number"], item["type"], item["hashed_secret"])
            for f, items in data["results"].items() for item in items}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, set]:
    """The corpus and plain detect-secrets' findings on it (computed once: it is the slow part)."""
    root = _corpus(tmp_path_factory.mktemp("identical") / "corpus")
    return root, _plain(root)


def test_fast_scan_equals_plain_detect_secrets(corpus) -> None:
    root, expected = corpus
    assert len(expected) > 100  # the corpus does exercise the plugins
    inventory = build_inventory(root)
    outcome = engine.scan(inventory, inventory.text_files(), timeout=600, jobs=1)
    got = {(s.path, s.line, s.type_name, s.hashed_secret) for s in outcome.secrets}
    assert sorted(got - expected) == [] and sorted(expected - got) == []
    st = outcome.stats
    assert st.reduce and st.reduced > 10 and st.skipped_by_prefilter > 10
    # Most staged lines are the random ones (built to hit the plugins); real code mostly is not.
    assert st.lines_staged < st.lines_total / 2


def test_parallel_planning_and_cache_give_the_same_findings(corpus, tmp_path: Path, monkeypatch) -> None:
    root, _ = corpus
    inventory = build_inventory(root)
    entries = inventory.text_files()
    base = engine.scan(inventory, entries, timeout=600, jobs=1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    cache = str(tmp_path / "cache")
    cold = engine.scan(inventory, entries, timeout=600, jobs=2, cache_dir=cache)
    warm = engine.scan(inventory, entries, timeout=600, jobs=2, cache_dir=cache)
    assert cold.secrets == base.secrets == warm.secrets
    assert cold.stats.cached == 0 and warm.stats.cached == warm.stats.files
    # A corrupt cache entry is a miss, not a crash and not a silent pass.
    victim = next((tmp_path / "cache" / "secrets").rglob("*.json"))
    victim.write_text("{not json")
    again = engine.scan(inventory, entries, timeout=600, jobs=1, cache_dir=cache)
    assert again.secrets == base.secrets and again.stats.cached == warm.stats.files - 1


def test_check_over_the_corpus_reports_ids_and_fingerprints(corpus) -> None:
    root, plain = corpus
    expected = {(f, line, secret_type(t).id, h) for f, line, t, h in plain}
    result = run_check("secrets", root)
    assert result.status is Status.FAIL
    assert {(f.path, f.line, f.rule, f.fingerprint) for f in result.findings} == expected
