"""``deploy-pipeline``: fixture repositories, one per finding kind, plus the passing forms."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_check, write_tree

from gate.model import Status

GOOD = """
name: release
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pytest -q
  deploy:
    needs: test
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/deploy.sh
"""


def rules(result) -> list[str]:
    return sorted(f.rule for f in result.findings if f.blocking)


def by_rule(result, rule: str):
    return [f for f in result.findings if f.rule == rule]


def test_gated_deploy_with_environment_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD})
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert result.findings == ()
    assert any("deploy job deploy in .github/workflows/release.yml:11" in e for e in result.evidence)


def test_no_workflows_at_all_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# x\n"})
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.FAIL
    assert rules(result) == ["no-deploy-job"]
    assert "no workflow files found" in result.findings[0].message
    assert result.findings[0].remediation


def test_workflows_without_deploy_job_fail(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/ci.yml": """
        on: [push, pull_request]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
              - run: docker push ghcr.io/acme/app:latest
    """})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["no-deploy-job"]  # docker push publishes, it does not deploy


def test_deploy_on_pull_request_only_is_not_triggered(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD.replace(
        "on:\n  push:\n    branches: [main]", "on:\n  pull_request:\n    branches: [main]")})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-not-triggered"]
    f = by_rule(result, "deploy-not-triggered")[0]
    assert (f.path, f.line) == (".github/workflows/release.yml", 2)
    assert "pull_request" in f.message and f.remediation


def test_deploy_without_needs_is_not_gated(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD.replace("    needs: test\n", "")})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-not-gated-on-tests"]
    f = result.findings[0]
    assert (f.path, f.line) == (".github/workflows/release.yml", 11)


def test_needs_on_a_job_that_runs_no_tests_is_not_gated(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on: push
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: ruff check .
          deploy:
            needs: [lint]
            environment: production
            runs-on: ubuntu-latest
            steps:
              - run: kubectl apply -f k8s/
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["deploy-not-gated-on-tests"]


def test_transitive_needs_counts(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on:
          push:
            tags: ["v*"]
        jobs:
          unit:
            runs-on: ubuntu-latest
            steps:
              - run: go test ./...
          build:
            needs: unit
            runs-on: ubuntu-latest
            steps:
              - run: docker build .
          deploy:
            needs: build
            environment:
              name: production
              url: https://example.com
            runs-on: ubuntu-latest
            steps:
              - run: helm upgrade --install app ./chart
    """})
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert "environment production" in result.evidence[0]


def test_continue_on_error_on_test_job_fails(tmp_path: Path) -> None:
    text = GOOD.replace("  test:\n    runs-on: ubuntu-latest\n",
                        "  test:\n    runs-on: ubuntu-latest\n    continue-on-error: true\n")
    write_tree(tmp_path, {".github/workflows/release.yml": text})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["tests-continue-on-error"]
    assert result.findings[0].line == 8


def test_continue_on_error_on_test_step_fails(tmp_path: Path) -> None:
    text = GOOD.replace("      - run: python -m pytest -q\n",
                        "      - run: python -m pytest -q\n        continue-on-error: true\n")
    write_tree(tmp_path, {".github/workflows/release.yml": text})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["tests-continue-on-error"]
    assert result.findings[0].line == 11


def test_continue_on_error_expression_is_information_only(tmp_path: Path) -> None:
    text = GOOD.replace("  test:\n    runs-on: ubuntu-latest\n",
                        "  test:\n    runs-on: ubuntu-latest\n    continue-on-error: ${{ matrix.experimental }}\n")
    write_tree(tmp_path, {".github/workflows/release.yml": text})
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS
    [f] = result.findings
    assert f.rule == "tests-continue-on-error" and not f.blocking


def test_deploy_without_environment_fails_and_can_be_relaxed(tmp_path: Path) -> None:
    text = GOOD.replace("    environment: production\n", "")
    write_tree(tmp_path, {".github/workflows/release.yml": text})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-without-environment"]
    assert result.findings[0].line == 11
    relaxed = run_check("deploy-pipeline", tmp_path, config="""
        version: 1
        checks:
          deploy-pipeline:
            require-environment: false
    """)
    assert relaxed.status is Status.PASS


def test_always_condition_ignores_test_result(tmp_path: Path) -> None:
    text = GOOD.replace("    needs: test\n", "    needs: test\n    if: always()\n")
    write_tree(tmp_path, {".github/workflows/release.yml": text})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-ignores-test-result"]
    assert result.findings[0].line == 13
    ok = GOOD.replace("    needs: test\n", "    needs: test\n    if: always() && needs.test.result == 'success'\n")
    write_tree(tmp_path, {".github/workflows/release.yml": ok})
    assert run_check("deploy-pipeline", tmp_path).status is Status.PASS


def test_every_missing_property_is_its_own_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/deploy.yaml": """
        on: pull_request
        jobs:
          ship:
            runs-on: ubuntu-latest
            steps:
              - run: flyctl deploy --remote-only
    """})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-not-gated-on-tests", "deploy-not-triggered", "deploy-without-environment"]
    assert all(f.path == ".github/workflows/deploy.yaml" and f.line and f.remediation for f in result.findings)


@pytest.mark.parametrize("on", ["on: push", "on: [pull_request, workflow_dispatch]",
                                "on:\n  workflow_dispatch:\n    inputs: {}", "'on': release"])
def test_trigger_forms(tmp_path: Path, on: str) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD.replace(
        "on:\n  push:\n    branches: [main]", on)})
    assert run_check("deploy-pipeline", tmp_path).status is Status.PASS


@pytest.mark.parametrize("on", ["on: pull_request", "on: [pull_request, schedule]", "on:\n  schedule:\n    - cron: '0 0 * * *'"])
def test_non_release_trigger_forms_fail(tmp_path: Path, on: str) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD.replace(
        "on:\n  push:\n    branches: [main]", on)})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["deploy-not-triggered"]


def test_crlf_workflow_parses_with_the_same_lines(tmp_path: Path) -> None:
    text = GOOD.lstrip("\n").replace("    environment: production\n", "")
    write_tree(tmp_path, {".github/workflows/release.yml": text.replace("\n", "\r\n").encode()})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-without-environment"]
    assert result.findings[0].line == 11


def test_malformed_workflow_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".github/workflows/release.yml": GOOD,
        ".github/workflows/broken.yml": "on: push\njobs:\n  x: [\n    y: z\n",
        ".github/workflows/notaworkflow.yml": "- just\n- a list\n",
    })
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.FAIL
    invalid = by_rule(result, "invalid-workflow")
    assert sorted(f.path for f in invalid) == [".github/workflows/broken.yml", ".github/workflows/notaworkflow.yml"]
    broken = next(f for f in invalid if f.path.endswith("broken.yml"))
    assert broken.line == 5 and "invalid YAML" in broken.message
    assert any("release.yml" in e for e in result.evidence)  # the valid workflow is still judged


def test_test_step_mentioning_deploy_is_not_a_deploy(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/ci.yml": """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: pytest tests/test_deploy.py
              - run: echo "deployment notes"
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["no-deploy-job"]


def test_github_pages_is_not_a_service_deploy(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/docs.yml": """
        on: push
        jobs:
          pages:
            runs-on: ubuntu-latest
            environment:
              name: github-pages
            steps:
              - run: mkdocs gh-deploy --force
              - uses: actions/deploy-pages@v4
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["no-deploy-job"]


def test_same_job_tests_before_deploy_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on: workflow_dispatch
        jobs:
          release:
            runs-on: ubuntu-latest
            environment: prod
            steps:
              - run: npm test
              - run: npx serverless deploy --stage prod
    """})
    assert run_check("deploy-pipeline", tmp_path).status is Status.PASS


def test_reusable_workflows_are_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".github/workflows/main.yml": """
            on: push
            jobs:
              tests:
                uses: ./.github/workflows/tests.yml
              ship:
                needs: tests
                uses: ./.github/workflows/deploy.yml
                secrets: inherit
        """,
        ".github/workflows/tests.yml": """
            on: workflow_call
            jobs:
              unit:
                runs-on: ubuntu-latest
                steps:
                  - run: tox -e py312
        """,
        ".github/workflows/deploy.yml": """
            on: workflow_call
            jobs:
              deploy:
                runs-on: ubuntu-latest
                environment: production
                steps:
                  - run: gcloud run deploy api --image x
        """,
    })
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert any("deploy job ship in .github/workflows/main.yml" in e for e in result.evidence)


def test_workflow_run_deploy_guarded_on_ci_success(tmp_path: Path) -> None:
    ci = """
        name: CI
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: cargo test
    """
    deploy = """
        on:
          workflow_run:
            workflows: [CI]
            types: [completed]
        jobs:
          deploy:
            if: github.event.workflow_run.conclusion == 'success'
            environment: production
            runs-on: ubuntu-latest
            steps:
              - run: terraform apply -auto-approve
    """
    write_tree(tmp_path, {".github/workflows/ci.yml": ci, ".github/workflows/cd.yml": deploy})
    assert run_check("deploy-pipeline", tmp_path).status is Status.PASS
    write_tree(tmp_path, {".github/workflows/cd.yml": deploy.replace(
        "            if: github.event.workflow_run.conclusion == 'success'\n", "")})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["deploy-not-gated-on-tests"]


def test_custom_patterns_and_workflow_paths(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on: push
        jobs:
          check:
            runs-on: ubuntu-latest
            steps:
              - run: ./run-checks
          ship:
            needs: check
            environment: production
            runs-on: ubuntu-latest
            steps:
              - run: ./ship-it
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["deploy-not-gated-on-tests"]
    cfg = """
        version: 1
        checks:
          deploy-pipeline:
            test-patterns: ["./run-checks"]
    """
    assert run_check("deploy-pipeline", tmp_path, config=cfg).status is Status.PASS
    only_other = """
        version: 1
        checks:
          deploy-pipeline:
            workflow-paths: [".github/workflows/other-*.yml"]
    """
    assert rules(run_check("deploy-pipeline", tmp_path, config=only_other)) == ["no-deploy-job"]


def test_symlinked_workflow_leaving_the_tree_is_not_evidence(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_tree(outside, {"release.yml": GOOD})
    repo = tmp_path / "repo"
    write_tree(repo, {"README.md": "x\n"})
    (repo / ".github/workflows").mkdir(parents=True)
    os.symlink(outside / "release.yml", repo / ".github/workflows/release.yml")
    assert rules(run_check("deploy-pipeline", repo)) == ["no-deploy-job"]


def test_the_check_reads_the_profile_defaults() -> None:
    """The default profile is the only source of the patterns: the check's settings are its lists."""
    from helpers import config_from

    from gate.checks.deploy_pipeline import DeployPipelineCheck
    options = config_from(None).settings("deploy-pipeline").options
    settings = DeployPipelineCheck().parse_settings(options)
    assert settings.deploy_patterns == tuple(options["deploy-patterns"]) and "cf push" in settings.deploy_patterns
    assert settings.test_patterns == tuple(options["test-patterns"]) and "pytest" in settings.test_patterns
    assert settings.ignore_patterns == tuple(options["ignore-patterns"]) and "gh-pages" in settings.ignore_patterns


PLAN_ON_PR = """
on: pull_request
jobs:
  plan:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: terraform plan -no-color
"""


def test_environment_only_job_is_not_a_deploy_when_another_job_deploys(tmp_path: Path) -> None:
    # A read-only job that uses an environment for its secrets (seen in GSA/notifications-api).
    write_tree(tmp_path, {".github/workflows/release.yml": GOOD, ".github/workflows/plan.yml": PLAN_ON_PR})
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_environment_only_job_is_a_deploy_when_nothing_else_deploys(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/plan.yml": PLAN_ON_PR})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-not-gated-on-tests", "deploy-not-triggered"]
    write_tree(tmp_path, {".github/workflows/ship.yml": """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: make test
          ship:
            needs: test
            environment: production
            runs-on: ubuntu-latest
            steps:
              - run: ./bin/in-house-release-tool --now
    """})
    # Now the unknown tool behind an environment is the deploy job; both environment jobs count.
    result = run_check("deploy-pipeline", tmp_path)
    assert any("deploy job ship in .github/workflows/ship.yml" in e for e in result.evidence)
    assert rules(result) == ["deploy-not-gated-on-tests", "deploy-not-triggered"]


def test_rollback_workflow_is_not_a_deploy_to_gate_on_tests(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".github/workflows/release.yml": GOOD,
        ".github/workflows/rollback.yml": """
            on: workflow_dispatch
            jobs:
              undo:
                runs-on: ubuntu-latest
                environment: production
                steps:
                  - run: flyctl deploy --image "${{ inputs.image }}"
        """,
    })
    result = run_check("deploy-pipeline", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_action_inputs_say_what_a_step_does(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - run: pytest
          ship:
            needs: test
            runs-on: ubuntu-latest
            steps:
              - uses: superfly/flyctl-actions/setup-flyctl@master
              - uses: cloud-gov/cg-cli-tools@main
                with:
                  command: cf push api --strategy rolling
    """})
    result = run_check("deploy-pipeline", tmp_path)
    assert rules(result) == ["deploy-without-environment"]  # found as a deploy through `with:`
    write_tree(tmp_path, {".github/workflows/release.yml": """
        on: push
        jobs:
          tools:
            runs-on: ubuntu-latest
            steps:
              - uses: superfly/flyctl-actions/setup-flyctl@master
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["no-deploy-job"]  # installing a CLI is not deploying


def test_hostile_workflow_files_are_findings_not_crashes(tmp_path: Path) -> None:
    import time

    bomb = "on: push\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
    ) + "jobs: {}\n"
    write_tree(tmp_path, {
        ".github/workflows/release.yml": GOOD,
        ".github/workflows/bomb.yml": bomb,
        ".github/workflows/binary.yml": b"on: push\x00\x00jobs:\n",
        ".github/workflows/badjob.yml": "on: push\njobs:\n  x: just a string\n",
        ".github/workflows/nojobs.yml": "on: push\nname: nothing\n",
        ".github/workflows/steps-not-list.yml": "on: push\njobs:\n  x:\n    steps: {a: 1}\n    needs: 7\n",
    })
    start = time.monotonic()
    result = run_check("deploy-pipeline", tmp_path)
    assert time.monotonic() - start < 5
    invalid = {f.path.rsplit("/", 1)[1]: f.message for f in by_rule(result, "invalid-workflow")}
    assert set(invalid) == {"bomb.yml", "binary.yml", "badjob.yml", "nojobs.yml"}
    assert "alias" in invalid["bomb.yml"]
    assert "binary" in invalid["binary.yml"]
    assert "not a mapping" in invalid["badjob.yml"]
    assert "no `jobs:`" in invalid["nojobs.yml"]
    assert any("release.yml" in e for e in result.evidence)


def test_ignore_patterns_option(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/docs.yml": """
        on: push
        jobs:
          pages:
            runs-on: ubuntu-latest
            steps:
              - run: mkdocs gh-deploy --force
    """})
    assert rules(run_check("deploy-pipeline", tmp_path)) == ["no-deploy-job"]
    result = run_check("deploy-pipeline", tmp_path, config="""
        version: 1
        checks:
          deploy-pipeline:
            ignore-patterns: []
    """)
    assert rules(result) == ["deploy-not-gated-on-tests", "deploy-without-environment"]
