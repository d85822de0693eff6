"""The GitHub Action side of readiness-gate (``docs/github-action.md``).

Modules, in the order data flows:

* :mod:`gate.github.context` — read the runner's environment and event payload into one value;
* :mod:`gate.github.approvals` — verify deferral approvals against the base branch and reviews;
* :mod:`gate.github.outputs` — step outputs, job summary and workflow-command annotations;
* :mod:`gate.github.comment` — the sticky PR comment;
* :mod:`gate.github.action` — orchestration (``readiness-gate github`` / ``publish``);
* :mod:`gate.github.api` — all REST I/O (the only module that imports PyGithub).
"""
