"""The ``secrets`` check with the real detect-secrets: detectors, baseline, inline allowlist,
scope (exclude, diff mode, binaries), and working-directory independence."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import TODAY, run_check, write_tree
from secret_samples import pem, samples, sha1

from gate.checks.interface import RunOptions
from gate.model import Severity, Status


def _by_rule(result):
    return {(f.path, f.line, f.rule) for f in result.findings}


def test_clean_repository_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": 'import os\nTOKEN = os.environ["API_TOKEN"]\n', "README.md": "# hi\n"})
    result = run_check("secrets", tmp_path)
    assert result.status is Status.PASS, result.summary
    assert result.findings == ()
    assert [t.name for t in result.tools] == ["detect-secrets"]
    assert result.tools[0].version.startswith("1.5")
    assert "2 files scanned" in result.evidence


def test_every_detector_shape_is_found_with_its_id_and_fingerprint(tmp_path: Path) -> None:
    items = samples()
    files = {f"src/s{i}.py": "x = 1\n" + s.line + "\n" for i, s in enumerate(items)}
    rsa, _ = pem("RSA PRIVATE KEY")
    enc, _ = pem("ENCRYPTED PRIVATE KEY")
    files["keys/id_rsa"] = rsa + "\n"
    files["keys/enc.pem"] = enc + "\n"
    write_tree(tmp_path, files)
    result = run_check("secrets", tmp_path)
    assert result.status is Status.FAIL
    found = _by_rule(result)
    for i, s in enumerate(items):
        assert (f"src/s{i}.py", 2, s.rule) in found, s.rule
        match = [f for f in result.findings if f.path == f"src/s{i}.py" and f.rule == s.rule][0]
        assert match.fingerprint == sha1(s.value)  # detect-secrets' hashed_secret of the match
        assert match.severity in (Severity.HIGH, Severity.MEDIUM)
        assert s.value not in match.message
    assert ("keys/id_rsa", 1, "private-key") in found
    assert ("keys/enc.pem", 1, "encrypted-private-key") in found
    assert all(f.blocking for f in result.findings)


def test_baseline_suppresses_only_audited_false_positives(tmp_path: Path) -> None:
    s = {x.rule: x for x in samples()}
    gh, stripe, google = s["github-token"], s["stripe-access-key"], s["google-api-key"]
    baseline = {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {
        "a.py": [
            {"type": "GitHub Token", "filename": "a.py", "hashed_secret": sha1(gh.value), "is_verified": False,
             "line_number": 99, "is_secret": False},                       # audited false positive
            {"type": "Stripe Access Key", "filename": "a.py", "hashed_secret": sha1(stripe.value),
             "is_verified": False, "line_number": 2},                       # never audited
            {"type": "Google API Key", "filename": "a.py", "hashed_secret": sha1(google.value),
             "is_verified": False, "line_number": 3, "is_secret": True},    # audited: real
        ]}}
    write_tree(tmp_path, {"a.py": f"{gh.line}\n{stripe.line}\n{google.line}\n",
                          ".secrets.baseline": json.dumps(baseline, indent=2)})
    result = run_check("secrets", tmp_path)
    rules = {f.rule for f in result.findings}
    assert "github-token" not in rules
    assert {"stripe-access-key", "google-api-key"} <= rules
    assert result.status is Status.FAIL
    assert not any(f.path == ".secrets.baseline" for f in result.findings)  # hashes are not secrets
    assert any("audited false positive" in e for e in result.evidence)


def test_baseline_elsewhere_via_settings(tmp_path: Path) -> None:
    gh = samples()[0]
    baseline = {"results": {"a.py": [{"type": "GitHub Token", "hashed_secret": sha1(gh.value), "is_secret": False}]}}
    write_tree(tmp_path, {"a.py": gh.line + "\n", "sec/base.json": json.dumps(baseline)})
    cfg = "version: 1\nchecks:\n  secrets:\n    baseline: sec/base.json\n"
    result = run_check("secrets", tmp_path, config=cfg)
    assert "github-token" not in {f.rule for f in result.findings}


def test_malformed_baseline_is_a_finding_and_suppresses_nothing(tmp_path: Path) -> None:
    gh = samples()[0]
    write_tree(tmp_path, {"a.py": gh.line + "\n", ".secrets.baseline": '{"results": {"a.py": "nope"'})
    result = run_check("secrets", tmp_path)
    assert result.status is Status.FAIL
    rules = {f.rule for f in result.findings}
    assert {"invalid-baseline", "github-token"} <= rules
    bad = [f for f in result.findings if f.rule == "invalid-baseline"][0]
    assert "not valid JSON" in bad.message and bad.path == ".secrets.baseline"


def test_baseline_symlink_out_of_tree_is_not_used(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    gh = samples()[0]
    outside.write_text(json.dumps({"results": {"a.py": [
        {"type": "GitHub Token", "hashed_secret": sha1(gh.value), "is_secret": False}]}}))
    repo = write_tree(tmp_path / "repo", {"a.py": gh.line + "\n"})
    os.symlink(outside, repo / ".secrets.baseline")
    result = run_check("secrets", repo)
    assert "github-token" in {f.rule for f in result.findings}  # not suppressed by an outside file
    assert any(s.path == ".secrets.baseline" and "baseline not used" in s.reason for s in result.skipped)


def test_inline_allowlist_is_reported_low_and_blocking_by_default(tmp_path: Path) -> None:
    s = samples()
    write_tree(tmp_path, {
        "a.py": s[0].line + "  # pragma: allowlist secret\n"
                "# pragma: allowlist nextline secret\n" + s[7].line + "\n",
    })
    result = run_check("secrets", tmp_path)
    assert result.status is Status.FAIL
    by = {(f.line, f.rule): f for f in result.findings}
    for key in [(1, "github-token"), (3, "stripe-access-key")]:
        f = by[key]
        assert f.severity is Severity.LOW and f.blocking
        assert "allowlisted inline" in f.message
    opted_in = run_check("secrets", tmp_path, config="version: 1\nchecks:\n  secrets:\n    inline-allowlist: true\n")
    assert opted_in.status is Status.PASS, opted_in.findings
    assert any("allowlisted inline" in e for e in opted_in.evidence)


def test_exclude_globs_binaries_and_non_utf8(tmp_path: Path) -> None:
    gh = samples()[0]
    write_tree(tmp_path, {
        "fixtures/fake.py": gh.line + "\n",
        "blob.bin": b"\0\0" + gh.line.encode() + b"\n",
        "latin1.txt": gh.line.encode() + b"\n\xe9\xe9\n",
        "ok.py": "print('hi')\n",
    })
    cfg = "version: 1\nchecks:\n  secrets:\n    exclude: ['fixtures/**']\n"
    result = run_check("secrets", tmp_path, config=cfg)
    assert result.status is Status.PASS, result.findings
    assert any(s.path == "latin1.txt" and "UTF-8" in s.reason for s in result.skipped)
    assert "1 file scanned" in result.evidence


def test_diff_mode_scans_only_changed_paths(tmp_path: Path) -> None:
    s = samples()
    write_tree(tmp_path, {"old.py": s[0].line + "\n", "new.py": s[7].line + "\n", "gone.py": "x = 1\n"})
    opts = RunOptions(today=TODAY, changed_since="main", changed_paths=frozenset({"new.py", "deleted.py"}))
    result = run_check("secrets", tmp_path, options=opts)
    assert {(f.path, f.rule) for f in result.findings} == {("new.py", "stripe-access-key")}
    assert "1 changed file" in result.summary or result.status is Status.FAIL


def test_independent_of_working_directory(tmp_path: Path, monkeypatch) -> None:
    # THREATS row 11: detect-secrets only scans below its working directory.
    repo = write_tree(tmp_path / "repo", {"deep/dir/a.py": samples()[0].line + "\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run_check("secrets", repo)
    assert ("deep/dir/a.py", 1, "github-token") in _by_rule(result)


def test_hostile_names_and_symlinks(tmp_path: Path) -> None:
    gh = samples()[0]
    (tmp_path / "secret.txt").write_text(gh.line + "\n")
    repo = write_tree(tmp_path / "repo", {"$(touch p).py": gh.line + "\n", "a\n::error::x.py": "x = 1\n"})
    os.symlink(tmp_path / "secret.txt", repo / "link.py")   # leaves the tree: never read
    result = run_check("secrets", repo)
    assert {f.path for f in result.findings} == {"$(touch p).py"}
    assert not (repo / "p").exists()
