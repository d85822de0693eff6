"""``deploy-pipeline``: a workflow deploys, on push/tag/dispatch, only after tests pass, into a
named environment.

Source: ``docs/checks.md`` gate 4. The check reads GitHub Actions workflow
files (never runs them) through :mod:`gate.checks.workflows`.

**A deploy job** is a job that has a step whose ``run``/``uses`` matches a ``deploy-patterns``
entry, or calls (``jobs.<id>.uses``) a local reusable workflow that holds a deploy job. A job
that only names an ``environment:`` is a deploy job when no job of the repository has a
recognisable deploy step (real repositories also give read-only jobs such as ``terraform plan``
an environment, for its secrets; see :func:`_deploy_jobs`). Matching is whole-word and case-insensitive
(:func:`gate.checks.workflows.compile_patterns`). Two exceptions keep the signal honest:

* a step that matches a ``test-patterns`` entry is a *test* step even if it also says deploy
  (``pytest tests/test_deploy.py`` does not deploy);
* a step or environment matching ``ignore-patterns`` (default: GitHub Pages publishing, i.e. a
  documentation site) is not a deploy;
* a rollback workflow or job (its file name, ``name:`` or job id says rollback) is not a deploy
  to gate on tests: it redeploys a known-good release in an emergency.

A step's ``run``, ``uses`` and ``with:`` input values are matched (``uses: some/action`` with
``args: deploy`` or ``command: cf push`` deploys).

``docker push`` / ``docker/build-push-action`` and package publishing are deliberately not deploy
patterns: pushing an image or a package publishes an artifact, it does not change what runs
(add them to ``deploy-patterns`` if that push *is* your deploy, e.g. with auto-updating hosts).

**Each deploy job** is then judged on four properties, each missing one its own finding:

* ``deploy-not-triggered``: the workflow runs on none of :data:`DEPLOY_TRIGGERS` (a deploy that
  runs only on ``pull_request`` or ``schedule`` is not a release pipeline);
* ``deploy-not-gated-on-tests``: neither the job's ``needs:`` closure holds a job that runs
  tests, nor does the job run tests itself in an earlier step, nor (for ``workflow_run``
  deploys) does the triggering workflow run tests with the deploy guarded on its conclusion;
* ``tests-continue-on-error``: a test job (or test step) that gates the deploy has
  ``continue-on-error: true``, so failing tests still let the deploy run; an *expression*
  (``${{ matrix.experimental }}``) is reported as non-blocking information;
* ``deploy-without-environment`` (when ``require-environment``): no named ``environment``, so
  GitHub's protection rules (reviewers, wait timers, branch limits) cannot apply.

Plus ``deploy-ignores-test-result`` when the deploy job's ``if:`` uses ``always()``,
``!cancelled()`` or ``failure()`` without requiring success (the job then runs even when the
jobs it needs failed), ``invalid-workflow`` for a workflow file that does not parse, and
``no-deploy-job`` when no workflow deploys at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Optional

from gate.checks.evidence import ROLLBACK_NAME
from gate.checks.interface import Check, CheckContext, option, strings
from gate.checks.workflows import Job, Step, Workflow, WorkflowSet, compile_patterns, step_matches
from gate.model import CheckResult, Finding, Severity

@dataclass(frozen=True)
class DeployPipelineSettings:
    """``checks.deploy-pipeline`` options (defaults: ``policies/profiles/default.yml``)."""

    require_environment: bool = option("require-environment", bool)
    """A deploy job must name an ``environment:``."""
    workflow_paths: tuple[str, ...] = option("workflow-paths", strings)
    """Globs of workflow files examined (the profile: where GitHub looks)."""
    deploy_patterns: tuple[str, ...] = option("deploy-patterns", strings)
    """Deploy commands and actions of the common platforms (Kubernetes, Helm, Argo CD, AWS
    ECS/Lambda/Elastic Beanstalk/CodeDeploy, Google Cloud Run/App Engine/Functions, Fly.io, Heroku,
    Serverless, Terraform/OpenTofu, Pulumi, CDK, Ansible, Capistrano, Vercel, Netlify, Cloudflare,
    Azure, Cloud Foundry) plus the word ``deploy`` itself, which covers ``./deploy.sh``,
    ``make deploy`` and most ``*-deploy`` actions."""
    test_patterns: tuple[str, ...] = option("test-patterns", strings)
    """The usual test runners of Python, JavaScript, Go, Rust, JVM, .NET, Ruby, PHP and Elixir,
    and the usual ``make``/``just``/``task`` targets."""
    ignore_patterns: tuple[str, ...] = option("ignore-patterns", strings)
    """Publishing a GitHub Pages documentation site is not deploying the service
    (``actions/deploy-pages``, ``mkdocs gh-deploy``, the ``github-pages`` environment)."""


DEPLOY_TRIGGERS = ("push", "workflow_dispatch", "release", "workflow_run", "repository_dispatch")
"""Events that make a deploy part of a release pipeline: a push (branch or tag), a manual
dispatch, a published release, completion of another workflow (deploy after CI) or an external
dispatch. ``workflow_call`` deploys are judged through the job that calls them."""

_IGNORES_RESULT = re.compile(r"always\(\)|!\s*cancelled\(\)|failure\(\)")
_REQUIRES_SUCCESS = re.compile(r"success\(\)|\.result\s*==\s*['\"]success['\"]|conclusion\s*==\s*['\"]success['\"]")
_WORKFLOW_RUN_SUCCESS = re.compile(r"workflow_run\.conclusion\s*==\s*['\"]success['\"]")


@dataclass(frozen=True)
class _Patterns:
    deploy: Optional["re.Pattern[str]"]
    test: Optional["re.Pattern[str]"]
    ignore: Optional["re.Pattern[str]"]


class DeployPipelineCheck(Check[DeployPipelineSettings]):
    """``deploy-pipeline``: see the module docstring for what counts and each finding."""

    id = "deploy-pipeline"
    settings_type = DeployPipelineSettings

    def run(self, context: CheckContext[DeployPipelineSettings]) -> CheckResult:
        s = context.settings
        pats = _Patterns(deploy=compile_patterns(s.deploy_patterns), test=compile_patterns(s.test_patterns),
                         ignore=compile_patterns(s.ignore_patterns))
        require_env = s.require_environment
        wset = context.workflows(s.workflow_paths)
        findings: list[Finding] = [
            Finding("invalid-workflow", f"{p.path} is not a valid workflow: {p.message}.", path=p.path,
                    line=p.line, severity=Severity.MEDIUM,
                    remediation=self.remediation("invalid-workflow"))
            for p in wset.problems]
        evidence: list[str] = []
        deploy_jobs = _deploy_jobs(wset, pats)
        if not deploy_jobs:
            where = f" among {len(wset.workflows)} workflow(s)" if wset.workflows else " (no workflow files found)"
            findings.append(Finding(
                "no-deploy-job", f"No workflow job deploys{where}.", severity=Severity.HIGH,
                remediation=self.remediation("no-deploy-job")))
            return CheckResult.from_findings(findings, pass_summary="", fail_summary="no deploy job in any workflow")
        for wf, job in deploy_jobs:
            job_findings = _judge(wset, wf, job, pats, require_env, self.remediation)
            findings.extend(job_findings)
            if not [f for f in job_findings if f.blocking]:
                evidence.append(f"deploy job {job.id} in {wf.path}:{job.line} (gated on tests, "
                                f"environment {_environment(wset, job) or 'none'})")
        names = ", ".join(f"{wf.path}:{job.id}" for wf, job in deploy_jobs)
        return CheckResult.from_findings(
            findings, pass_summary=f"{len(deploy_jobs)} deploy job(s) gated on tests: {names}",
            evidence=tuple(evidence))


def _only_called(wf: Workflow) -> bool:
    """True for a reusable workflow that only runs when another workflow calls it."""
    return bool(wf.triggers) and set(wf.triggers) == {"workflow_call"}


def _called(wset: WorkflowSet, job: Job) -> Optional[Workflow]:
    """The local reusable workflow ``job`` calls (``uses: ./.github/workflows/x.yml``), if any."""
    if job.uses.startswith("./"):
        return wset.by_path(job.uses.split("@", 1)[0])
    return None


def _is_deploy_step(step: Step, pats: _Patterns) -> bool:
    return (step_matches(step, pats.deploy) and not step_matches(step, pats.test)
            and not step_matches(step, pats.ignore))


def _has_environment(job: Job, pats: _Patterns) -> bool:
    env = job.environment
    return bool(env) and not (pats.ignore and pats.ignore.search(env or ""))


def _is_deploy_job(wset: WorkflowSet, wf: Workflow, job: Job, pats: _Patterns, *, by_environment: bool,
                   depth: int = 0) -> bool:
    """True when ``job`` deploys: a deploy step, a deploy-named or deploying reusable workflow,
    or (when ``by_environment``) a non-ignored ``environment:``."""
    if by_environment and _has_environment(job, pats):
        return True
    if any(_is_deploy_step(s, pats) for s in job.steps):
        return True
    if job.uses and pats.deploy and pats.deploy.search(job.uses) and not (pats.ignore and pats.ignore.search(job.uses)):
        return True
    called = _called(wset, job)
    if called is not None and called is not wf and depth < 5:
        return any(_is_deploy_job(wset, called, j, pats, by_environment=by_environment, depth=depth + 1)
                   for j in called.jobs.values())
    return False


def _is_rollback(wf: Workflow, job: Job) -> bool:
    """True for a rollback workflow or job: it redeploys a known-good release in an emergency and
    must not wait for tests (the ``rollback`` check judges it)."""
    return any(ROLLBACK_NAME.search(t) for t in (PurePosixPath(wf.path).name, wf.name, job.id, job.name))


def _deploy_jobs(wset: WorkflowSet, pats: _Patterns) -> list[tuple[Workflow, Job]]:
    """The deploy jobs of the repository (reusable workflows only through their callers).

    Jobs with a deploy step come first: when any exists, a job that merely names an
    ``environment:`` is not taken for a deploy, because real repositories use environments
    for their secrets in read-only jobs too (``terraform plan`` on pull requests, drift checks,
    config validation: seen in GSA/notifications-api). Only when no job has a recognisable
    deploy step do environment-only jobs count (a deploy command we do not know, e.g. an
    in-house CLI, behind an environment). Rollback workflows and jobs are never deploy jobs here.
    """
    candidates = [(w, j) for w in wset.workflows if not _only_called(w) for j in w.jobs.values()
                  if not _is_rollback(w, j)]
    by_step = [(w, j) for w, j in candidates if _is_deploy_job(wset, w, j, pats, by_environment=False)]
    if by_step:
        return by_step
    return [(w, j) for w, j in candidates if _is_deploy_job(wset, w, j, pats, by_environment=True)]


def _runs_tests(wset: WorkflowSet, wf: Workflow, job: Job, pats: _Patterns, depth: int = 0) -> list[tuple[str, Job]]:
    """``(workflow path, job)`` pairs that run tests for ``job``: itself, or jobs of the local
    reusable workflow it calls. Empty when it runs none."""
    if any(step_matches(s, pats.test) for s in job.steps):
        return [(wf.path, job)]
    called = _called(wset, job)
    if called is not None and called is not wf and depth < 5:
        return [pair for j in called.jobs.values() for pair in _runs_tests(wset, called, j, pats, depth + 1)]
    return []


def _environment(wset: WorkflowSet, job: Job) -> Optional[str]:
    if job.environment:
        return job.environment
    called = _called(wset, job)
    if called is not None:
        return next((j.environment for j in called.jobs.values() if j.environment), None)
    return None


def _continue_findings(path: str, job: Job, pats: _Patterns, deploy_id: str, remediation: str) -> list[Finding]:
    """``tests-continue-on-error`` findings for a test job and its test steps."""
    out = []
    targets = [(job.continue_on_error, job.continue_on_error_line or job.line, f"test job {job.display}")]
    targets += [(s.continue_on_error, s.continue_on_error_line or s.line, f"test step of job {job.id}")
                for s in job.steps if step_matches(s, pats.test)]
    for value, line, what in targets:
        if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
            out.append(Finding("tests-continue-on-error",
                               f"The {what} has `continue-on-error: true`: failing tests do not stop "
                               f"deploy job {deploy_id}.", path=path, line=line, severity=Severity.HIGH,
                               remediation=remediation))
        elif isinstance(value, str) and "${{" in value:
            out.append(Finding("tests-continue-on-error",
                               f"The {what} has `continue-on-error: {value.strip()}`: for some runs failing "
                               f"tests may not stop deploy job {deploy_id}.", path=path, line=line,
                               severity=Severity.LOW, remediation=remediation, blocking=False))
    return out


def _judge(wset: WorkflowSet, wf: Workflow, job: Job, pats: _Patterns, require_env: bool,
           remedy: Callable[..., str]) -> list[Finding]:
    """The findings for one deploy job; ``remedy(rule, **values)`` gives each rule's remediation
    (:meth:`gate.checks.interface.Check.remediation`)."""
    findings: list[Finding] = []
    label = f"Deploy job {job.display} in {wf.path}"
    # 1. trigger
    events = [e for e in wf.triggers if e in DEPLOY_TRIGGERS]
    if not events:
        got = ", ".join(wf.triggers) or "no `on:` triggers"
        findings.append(Finding(
            "deploy-not-triggered", f"{label} does not run on push, tag, release or workflow_dispatch "
                                    f"(it runs on: {got}).",
            path=wf.path, line=wf.triggers_line or job.line, severity=Severity.MEDIUM,
            remediation=remedy("deploy-not-triggered")))
    # 2. gated on tests, 3. no continue-on-error on those tests
    gates: list[tuple[str, Job]] = []
    for upstream in wf.closure(job.id):
        gates.extend(_runs_tests(wset, wf, upstream, pats))
    deploy_step = next((i for i, s in enumerate(job.steps) if _is_deploy_step(s, pats)), len(job.steps))
    same_job = [s for s in job.steps[:deploy_step] if step_matches(s, pats.test)]
    if same_job:
        gates.append((wf.path, Job(job.id, job.line, job.name, steps=tuple(same_job),
                                   continue_on_error=False)))
    if not gates and "workflow_run" in wf.triggers:
        gates.extend(_workflow_run_gates(wset, wf, job, pats))
    if not gates:
        findings.append(Finding(
            "deploy-not-gated-on-tests",
            f"{label} does not `needs:` (directly or transitively) any job that runs tests.",
            path=wf.path, line=job.line, severity=Severity.HIGH,
            remediation=remedy("deploy-not-gated-on-tests", job=job.id)))
    for path, gate_job in gates:
        findings.extend(_continue_findings(path, gate_job, pats, job.id, remedy("tests-continue-on-error")))
    cond = job.condition
    if gates and cond and _IGNORES_RESULT.search(cond) and not _REQUIRES_SUCCESS.search(cond):
        findings.append(Finding(
            "deploy-ignores-test-result",
            f"{label} has `if: {job.condition.strip()}`, so it runs even when the tests it needs fail.",
            path=wf.path, line=job.condition_line or job.line, severity=Severity.HIGH,
            remediation=remedy("deploy-ignores-test-result")))
    # 4. environment
    if require_env and not _environment(wset, job):
        findings.append(Finding(
            "deploy-without-environment",
            f"{label} names no `environment:`, so no protection rules (required reviewers, branch limits) "
            "can apply to it.", path=wf.path, line=job.line, severity=Severity.MEDIUM,
            remediation=remedy("deploy-without-environment", job=job.id)))
    return findings


def _workflow_run_gates(wset: WorkflowSet, wf: Workflow, job: Job, pats: _Patterns) -> list[tuple[str, Job]]:
    """Test jobs of the workflows that trigger ``wf`` via ``workflow_run``, when the deploy is
    guarded on their success (``github.event.workflow_run.conclusion == 'success'`` on the job or
    a job it needs). Without that guard a failed CI run still triggers the deploy."""
    guarded = [j for j in [job, *wf.closure(job.id)] if _WORKFLOW_RUN_SUCCESS.search(j.condition)]
    if not guarded:
        return []
    cfg = wf.triggers.get("workflow_run")
    names = cfg.get("workflows") if isinstance(cfg, dict) else None
    out: list[tuple[str, Job]] = []
    for name in names if isinstance(names, list) else []:
        for src in wset.by_name(str(name)):
            for j in src.jobs.values():
                out.extend(_runs_tests(wset, src, j, pats))
    return out
