"""Promises 2 and 5 on a hostile repository (``docs/threats.md`` rows 2, 4, 7 and 9).

One hostile repository (:mod:`hostile`: symlinks to ``/etc/passwd``, ``/dev/urandom`` and out
of the tree under the very names the evidence checks look for, a sparse 200 MB file, NUL-byte
``.py`` files, a FIFO, a CRLF workflow, 120 nested directories, file names carrying ``$(touch …)``,
newlines, ``::error::``, ``@org/team``, the comment marker, markdown and HTML) is scanned by
the real CLI with every check and every renderer, and by the GitHub entry point. Each run must:

* finish within :data:`BOUND_S` seconds;
* name every skipped path with its reason (promise 5) and never count a skipped path as evidence;
* leak no content of a file it must not read (``root:x:0:0``, the out-of-tree canary);
* execute nothing (no marker file appears; promise 2);
* keep every output well-formed: JSON valid against ``policies/report.schema.json``, SARIF valid
  against SARIF 2.1.0, markdown with no live mention, no second marker and no HTML but our own,
  no printed line starting with ``::`` unless it is our own escaped workflow command.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import jsonschema
import pytest
from gh_helpers import Runner
from hostile import (DEPTH, HOSTILE_NAMES, PASSWD_LINE, assert_no_leak,
                     assert_no_workflow_command_injection, assert_nothing_executed, build_hostile_repo,
                     load_json, skipped_reasons)
from helpers import write_tree
from markdown_it import MarkdownIt
from servers.github import FakeGitHub

from gate.checks.interface import load_meta
from gate.checks.registry import check_ids
from gate.cli import main
from gate.render.escape import ZWJ
from gate.render.json_report import report_schema

BOUND_S = 120.0
"""Upper bound on a full run over the hostile repository, seconds (a normal run takes ~20 s on
the shared 2-core CI machine; a hang on /dev/urandom or a FIFO would never end)."""

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
MARKER = "<!-- readiness-gate:comment -->"
OUR_HTML = re.compile(r"^</?(details|summary|sub)>$")
"""The only HTML tags our markdown renderer writes (plus the marker comment, once)."""

EXPECTED_SKIPS = {
    "docs/runbooks/passwd.md": "symlink leaves the repository",
    "docs/runbooks/outside.md": "symlink leaves the repository",
    "docs/runbooks/up.md": "symlink leaves the repository",
    "docs/runbooks/broken.md": "symlink to a missing target",
    "docs/runbooks/fifo.md": "not a regular file",
    "docs/linked-dir": "symlink leaves the repository",
    "rollback.sh": "symlink leaves the repository",
    "scripts/rollback.sh": "symlink leaves the repository",
    ".secrets.baseline": "symlink leaves the repository",
    "CODEOWNERS": "symlink leaves the repository",
    "SECURITY.md": "symlink leaves the repository",
    "requirements.txt": "symlink leaves the repository",
    "src/huge.py": "larger than the size cap",
    "zeros.py": "binary",
    ".py": "binary",
}
"""Every hostile path -> a phrase its skip reason must contain."""

RENDERED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "code", "h1", "h2", "h3", "h4", "table", "thead",
                 "tbody", "tr", "th", "td", "details", "summary", "sub", "br", "hr", "blockquote", "pre"}
_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _finding_bait() -> dict[str, str]:
    """Python that makes the error-handling check report a finding in each hostile-named file,
    so the hostile names reach every renderer."""
    return {name: "import requests\n\nrequests.get('http://example.com')\n"
            for name in HOSTILE_NAMES if name.endswith(".py")}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):
    """Build the hostile repository once and run the CLI on it with every output format."""
    base = tmp_path_factory.mktemp("hostile")
    hostile = build_hostile_repo(base)
    write_tree(hostile.root, _finding_bait(), dedent=False)
    cwd = base / "cwd"
    cwd.mkdir()
    outs = base / "out"
    previous = os.getcwd()
    os.chdir(cwd)  # a `$(touch x)` executed by a shell would create x here
    try:
        captured = {}
        started = time.monotonic()
        import contextlib
        import io
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["check", str(hostile.root), "--today", "2026-11-21", "--progress",
                         "--json-output", str(outs / "r.json"), "--sarif-output", str(outs / "r.sarif"),
                         "--markdown-output", str(outs / "r.md")])
        elapsed = time.monotonic() - started
    finally:
        os.chdir(previous)
    captured = {"stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
                **{p.name: p.read_text(encoding="utf-8") for p in outs.iterdir()}}
    return hostile, code, elapsed, captured, base


def test_finishes_within_the_bound_and_is_not_ready(scanned) -> None:
    hostile, code, elapsed, captured, _ = scanned
    assert code == 1, captured["stderr"][-2000:]
    assert elapsed < BOUND_S, f"{elapsed:.1f} s"
    assert "internal error" not in captured["stderr"]
    data = json.loads(captured["r.json"])
    statuses = {c["id"]: c["status"] for g in data["gates"] for c in g["checks"]}
    assert "error" not in statuses.values(), f"a hostile file crashed a check: {statuses}"


def test_every_skip_is_named_with_its_reason(scanned) -> None:
    _, _, _, captured, _ = scanned
    reasons = skipped_reasons(json.loads(captured["r.json"]))
    for path, phrase in EXPECTED_SKIPS.items():
        assert path in reasons, f"{path} not listed as skipped"
        assert phrase in reasons[path], (path, reasons[path])
    # The text report lists the skips too (first ones inline, then a pointer to the JSON).
    assert "Skipped paths:" in captured["stdout"]
    assert "docs/runbooks/fifo.md: not a regular file" in captured["stdout"] or "more (all are listed" in captured["stdout"]


def test_nested_and_hostile_names_are_examined_not_skipped(scanned) -> None:
    _, _, _, captured, _ = scanned
    data = json.loads(captured["r.json"])
    paths = {f["path"] for g in data["gates"] for c in g["checks"] for f in c["findings"]}
    for name in HOSTILE_NAMES:
        if name.endswith(".py"):
            assert name in paths, f"{name!r} was not scanned (or its finding lost its path)"
    deep = "/".join(["d"] * DEPTH) + "/deep.py"
    assert deep not in skipped_reasons(data), "deep nesting must not stop the walk"


def test_a_skipped_path_never_counts_as_evidence(scanned) -> None:
    _, _, _, captured, _ = scanned
    data = json.loads(captured["r.json"])
    checks = {c["id"]: c for g in data["gates"] for c in g["checks"]}
    # runbooks linked to /etc/passwd or out of the tree, a rollback.sh linked to /dev/urandom,
    # CODEOWNERS and SECURITY.md linked out: none of them satisfies its check.
    for cid in ("runbooks", "rollback", "ownership", "security-policy"):
        assert checks[cid]["status"] == "fail", (cid, checks[cid]["summary"])
    evidence = " ".join(e for c in checks.values() for e in c["evidence"])
    for link in EXPECTED_SKIPS:
        assert link not in evidence, f"skipped {link} counted as evidence"


def test_no_content_leaks_and_nothing_is_executed(scanned) -> None:
    hostile, _, _, captured, base = scanned
    assert_no_leak(captured.values())
    assert_nothing_executed(base)


def test_json_and_sarif_are_schema_valid(scanned) -> None:
    _, _, _, captured, _ = scanned
    jsonschema.validate(json.loads(captured["r.json"]), report_schema())
    sarif = json.loads(captured["r.sarif"])
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for run in sarif["runs"] for r in run["results"] if r.get("locations")}
    assert all("\n" not in u for u in uris), "a SARIF uri carries a raw newline"


def test_markdown_has_no_live_mention_marker_or_foreign_html(scanned) -> None:
    _, _, _, captured, _ = scanned
    text = captured["r.md"]
    assert text.count("<!--") == 1 and text.startswith(MARKER), "a fake marker got through"
    assert re.search(r"@(?!\u200d)", text) is None, "a live @mention"
    for token in _md.parse(text):
        for t in [token, *(token.children or [])]:
            if t.type in ("html_block", "html_inline"):
                for tag in re.findall(r"<[^>]*>", t.content):
                    assert tag == MARKER or OUR_HTML.match(tag), f"foreign HTML {tag!r}"
    # Rendered as GitHub would (raw HTML allowed): only the elements markdown itself produces;
    # no <img>, no <script>, and no <a> but each check's documentation link (the CLI has no file
    # URL, so no repository file is a link).
    html = _md.render(text)
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= RENDERED_TAGS | {"a"}, tags - RENDERED_TAGS
    docs = {load_meta(cid).help_uri for cid in check_ids()}
    assert set(re.findall(r"<a [^>]*>", html)) <= {f'<a href="{u}">' for u in docs}


def test_text_output_starts_no_workflow_command(scanned) -> None:
    _, _, _, captured, _ = scanned
    for name in ("stdout", "stderr", "r.md"):
        assert_no_workflow_command_injection(captured[name])
    assert "\x1b" not in captured["stdout"]


def test_github_entry_point_on_the_hostile_repository(tmp_path: Path, gh: FakeGitHub,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The action: exact GITHUB_OUTPUT keys, only our own escaped commands, no leak, no execution,
    and only the requested report file written into the workspace (THREATS rows 2 and 4)."""
    runner = Runner(tmp_path, gh)
    hostile = build_hostile_repo(tmp_path, runner.workspace)  # the workspace is the hostile checkout
    write_tree(hostile.root, _finding_bait(), dedent=False)
    before = _tree(hostile.root)
    monkeypatch.chdir(tmp_path)
    event = runner.pr_event(title="$(touch pwned-dollar) @org/all " + MARKER, branch="a\n::error::injected")
    started = time.monotonic()
    run = runner.run(runner.env(event, only="runbooks,rollback,ownership,security-policy,error-handling",
                                report_file="report.json"))
    assert time.monotonic() - started < BOUND_S
    assert run.code == 1, run.stdout[-3000:]
    assert set(run.outputs()) == {"ready", "failing-checks", "report-file", "sarif-file", "comment-url"}
    assert run.outputs()["ready"] == "false"
    assert_no_workflow_command_injection(run.stdout, own_commands=True)
    assert not [ln for ln in run.stdout.splitlines() if ln.startswith("::error::injected")]
    bodies = [json.dumps(r.body) for r in gh.requests if r.body is not None]
    assert_no_leak([run.stdout, run.summary, run.outputs_text, *bodies,
                    (hostile.root / "report.json").read_text(encoding="utf-8")])
    assert_nothing_executed(tmp_path)
    assert _tree(hostile.root) - before == {"report.json"}
    comment = [c for c in gh.comments(7) if c["user"]["type"] == "Bot"][0]["body"]
    assert comment.count("<!--") == 1 and re.search(r"@(?!\u200d)", comment) is None
    jsonschema.validate(json.loads((hostile.root / "report.json").read_text(encoding="utf-8")), report_schema())


def _tree(root: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        out.update(os.path.relpath(os.path.join(dirpath, n), root) for n in filenames + dirnames)
    return out


@pytest.mark.parametrize("name", ["readiness.yml", ".github/readiness.yml"])
@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/urandom", "outside"])
def test_readiness_yml_symlinked_out_is_a_config_error_never_a_read(tmp_path: Path, name: str, target: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    hostile_target = tmp_path / "outside.yml"
    hostile_target.write_text(f"version: 1\n# {PASSWD_LINE}\n", encoding="utf-8")
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    link = repo / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(str(hostile_target) if target == "outside" else target, link)
    started = time.monotonic()
    code = main(["check", str(repo), "--only", "security-policy"])
    assert time.monotonic() - started < 10, "reading /dev/urandom would never end"
    out = capsys.readouterr()
    assert code == 2
    assert "configuration error" in out.err and "symlink that leaves the repository" in out.err
    assert_no_leak([out.out, out.err])


def test_unreadable_file_is_skipped_with_the_os_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: file permissions do not stop root's reads (CAP_DAC_OVERRIDE), "
                    "so an unreadable file cannot be made; the inventory's unreadable path is covered "
                    "on non-root CI runners by this same test")
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n", "locked.py": "SECRET = 1\n"})
    (repo / "locked.py").chmod(0)
    out = tmp_path / "r.json"
    try:
        code = main(["check", str(repo), "--only", "security-policy", "--format", "json", "--output", str(out)])
    finally:
        (repo / "locked.py").chmod(0o644)
    assert code == 1
    reasons = skipped_reasons(load_json(out))
    assert reasons.get("locked.py", "").startswith("unreadable: "), reasons


def test_configuration_error_quoting_command_keys_prints_no_command(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """readiness.yml keys and values are repository text too; the runner parses stderr as well."""
    repo = write_tree(tmp_path / "repo", {"readiness.yml": (
        'version: 1\n"::error::from-key": 1\nowners: "##[error]from-value"\n'
        'approvers: [["a\\n::warning::newline"]]\nchecks:\n  "::error file=x::c": {}\n')}, dedent=False)
    assert main(["check", str(repo)]) == 2
    out = capsys.readouterr()
    assert "configuration error" in out.err and "from-key" in out.err and "from-value" in out.err
    assert_no_workflow_command_injection(out.err)
    assert_no_workflow_command_injection(out.out)


def test_readiness_yml_symlinked_out_through_the_github_entry_point(tmp_path: Path, gh: FakeGitHub) -> None:
    runner = Runner(tmp_path, gh)
    runner.repo({"app.py": "x = 1\n"})
    os.symlink("/etc/passwd", runner.workspace / "readiness.yml")
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 2
    assert "symlink that leaves the repository" in run.stdout
    assert_no_leak([run.stdout, run.summary, run.outputs_text, *(json.dumps(r.body) for r in gh.requests)])
    with gh.lock:
        assert [s["state"] for s in gh.state.statuses] == ["error"]
