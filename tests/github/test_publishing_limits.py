"""Publishing limits with large reports built from the report model: comment size, check-run
annotation batches, status description length, outputs escaping (docs/threats.md rows 2, 9, 10)."""

from __future__ import annotations

import io

from gh_helpers import HEAD, FAST
from servers.github import COMMENT_LIMIT, FakeGitHub

from gate.github import outputs
from gate.github.publishing import STATUS_DESCRIPTION_LIMIT, PublishRequest, publish, status_description
from gate.github.api import GitHubApi
from gate.github.comment import fit_comment
from gate.github.context import Inputs, RunContext
from gate.model import CheckReport, Finding, GateResult, Report, Severity, Status
from gate.render import RenderOptions

MARK = "<!-- readiness-gate:comment -->"


def big_report(n: int, *, checks: int = 1, message: str = "hard-coded credential @org/all <!-- x -->") -> Report:
    reports = []
    for k in range(checks):
        findings = tuple(Finding(f"rule-{i % 7}", message, path=f"src/m{i}.py", line=i + 1, severity=Severity.HIGH)
                         for i in range(n))
        reports.append(CheckReport(id=f"check-number-{k}-with-a-long-id", gate="security", title="Secrets",
                                   required=True, status=Status.FAIL, summary=f"{n} findings", findings=findings))
    gate = GateResult("security", "Security", Status.FAIL, tuple(reports))
    return Report(ready=False, gates=(gate,), skipped=(), deferrals=(), root=".", config_source="readiness.yml",
                  profile="default", tool_version="0.1.0", commit=HEAD)


def ctx(gh: FakeGitHub, **inputs) -> RunContext:
    return RunContext(inputs=Inputs(token=gh.installation_token, **inputs), repository=gh.full_name,
                      event_name="pull_request", sha=HEAD, api_url=gh.api_url, run_id="1")


def api(gh: FakeGitHub) -> GitHubApi:
    return GitHubApi(gh.installation_token, gh.full_name, base_url=gh.api_url, policy=FAST)


def test_ten_thousand_findings_give_one_comment_within_the_limit(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    report = big_report(10_000)
    result = publish(api(gh), PublishRequest(report=report, number=7, sha=HEAD, inputs=ctx(gh).inputs,
                                             render_options=RenderOptions(marker=MARK)),
                     outputs.Log(io.StringIO()))
    assert result.failure is None
    [comment] = gh.comments(7)
    assert len(comment["body"]) <= COMMENT_LIMIT
    assert comment["body"].startswith(MARK) and comment["body"].count("<!--") == 1
    assert "@org" not in comment["body"], "a live mention got through"
    assert [s["state"] for s in gh.state.statuses] == ["failure"]


def test_check_run_annotations_are_sent_in_batches_of_fifty(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    result = publish(api(gh), PublishRequest(report=big_report(120), number=None, sha=HEAD,
                                             inputs=ctx(gh, status="check-run").inputs,
                                             render_options=RenderOptions(marker=MARK)),
                     outputs.Log(io.StringIO()))
    assert result.failure is None
    [run] = gh.state.check_runs
    assert len(run["annotations"]) == 120 and run["conclusion"] == "failure"
    sizes = [len((r.body.get("output") or {}).get("annotations") or [])
             for r in gh.requests if r.path.endswith("check-runs") or "/check-runs/" in r.path
             if r.method in ("POST", "PATCH")]
    assert sizes == [50, 50, 20]


def test_status_description_is_at_most_140_characters() -> None:
    text = status_description(big_report(1, checks=12))
    assert len(text) <= STATUS_DESCRIPTION_LIMIT and text.startswith("Not ready: 12 blocking checks")


def test_fit_comment_counts_like_github() -> None:
    body = MARK + "\n" + "😀" * 40_000  # 80,000 UTF-16 units
    cut = fit_comment(body)
    assert len(cut.encode("utf-16-le")) // 2 <= COMMENT_LIMIT and "truncated" in cut


def test_outputs_heredoc_form_and_exact_text() -> None:
    text = outputs.format_outputs({"ready": "false", "failing-checks": "a,b", "report-file": "x\ny"})
    lines = text.split("\n")
    assert lines[0] == "ready=false" and lines[1] == "failing-checks=a,b"
    assert lines[2].startswith("report-file<<ghadelimiter_") and lines[3:5] == ["x", "y"]
    assert lines[5] == lines[2].split("<<", 1)[1] and lines[6] == ""


def test_a_value_cannot_end_the_heredoc_early() -> None:
    # even a value containing a delimiter-looking line gets a different, absent delimiter
    value = "a\nghadelimiter_0\nready=true"
    text = outputs.format_outputs({"report-file": value})
    delim = text.split("\n", 1)[0].split("<<", 1)[1]
    assert delim not in value and text.count(delim) == 2


def test_annotation_escaping_matches_the_runner_rules() -> None:
    line = outputs.annotation("error", "50% done\r\nnext", file="a,b:c.py", line=3, title="t: x")
    assert line == "::error file=a%2Cb%3Ac.py,line=3,title=t%3A x::50%25 done%0D%0Anext"


def test_undeclared_output_keys_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        outputs.format_outputs({"evil": "1"})


def test_job_summary_fits_in_one_mebibyte() -> None:
    calls = []

    def render(max_chars: int) -> str:  # a renderer honouring max_chars, with 2-byte characters
        calls.append(max_chars)
        return "é" * min(max_chars, 900_000)

    text = outputs.fit_summary(render)
    assert len(text.encode("utf-8")) <= outputs.SUMMARY_LIMIT_BYTES
    assert calls == [1_000_000, outputs.SUMMARY_LIMIT_BYTES // 4 - 64]
