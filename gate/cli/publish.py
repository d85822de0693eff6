"""``readiness-gate publish --report FILE``: the privileged half of the fork pattern.

Runs in a ``workflow_run`` job (triggered when the unprivileged ``pull_request`` workflow that
produced the report finishes). It validates the downloaded report (size, schema, consistency),
takes the PR number and head SHA from the ``workflow_run`` event — never from the report — and
posts the sticky comment and the status. See docs/github-action.md, "Pull requests from forks".

Environment: ``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH`` (the workflow_run payload),
``GITHUB_API_URL``, ``GITHUB_SERVER_URL``, and a token in ``INPUT_TOKEN`` or ``GITHUB_TOKEN``.
"""

from __future__ import annotations

import argparse
import os

HELP = "Publish a JSON report produced by an unprivileged pull_request run (in a workflow_run job)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--report FILE`` plus the publishing options of the action."""
    p.add_argument("--report", required=True, metavar="FILE", help="the JSON report artifact to publish")
    p.add_argument("--status", choices=["commit-status", "check-run", "none"], default=None,
                   help="how to report the verdict (default: the `status` input, else commit-status)")
    p.add_argument("--status-context", default=None, help="status/check name (default: readiness-gate)")
    p.add_argument("--comment", action=argparse.BooleanOptionalAction, default=None,
                   help="post/update the sticky PR comment (default: yes)")


def run(args: argparse.Namespace) -> int:
    """Publish; exit 0/1 with the published verdict, 2 unusable event or report, 3 publishing failed."""
    from gate.github.publish_mode import publish_report

    env = dict(os.environ)
    if not env.get("INPUT_TOKEN"):
        env["INPUT_TOKEN"] = env.get("GITHUB_TOKEN", "")
    if args.status is not None:
        env["INPUT_STATUS"] = args.status
    if args.status_context is not None:
        env["INPUT_STATUS-CONTEXT"] = args.status_context
    if args.comment is not None:
        env["INPUT_COMMENT"] = "true" if args.comment else "false"
    return publish_report(args.report, env)
