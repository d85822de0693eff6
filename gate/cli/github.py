"""``readiness-gate github``: the GitHub Action's entry point (the Docker image's ENTRYPOINT).

Everything comes from the runner's environment (``GITHUB_*`` and ``INPUT_*``, see
:mod:`gate.github.context`); there are no command-line options, so nothing from a workflow
file is ever interpolated into a command line. With the ``publish-report`` input set, the same
image publishes a report artifact in a ``workflow_run`` job (see ``readiness-gate publish``).
"""

from __future__ import annotations

import argparse
import os

HELP = "Run as the GitHub Action: read GITHUB_* and INPUT_* from the environment, gate, comment and set the status."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options: the action is configured through ``INPUT_*`` environment variables."""


def run(args: argparse.Namespace) -> int:
    """Run the action (or publish mode when ``INPUT_PUBLISH-REPORT`` is set); return the exit code."""
    from gate.github.action import run_action
    from gate.github.publish_mode import publish_report

    report = (os.environ.get("INPUT_PUBLISH-REPORT") or os.environ.get("INPUT_PUBLISH_REPORT") or "").strip()
    if report:
        return publish_report(report)
    return run_action()
