"""The GitHub Action side of readiness-gate (``docs/github-action.md``).

Modules, in the order data flows:

* :mod:`gate.github.context` — read the runner's environment and event payload into one value;
* :mod:`gate.github.approvals` — verify deferral approvals against the base branch and reviews;
* :mod:`gate.github.trust` — what comes from the base branch: the policy and the trusted files;
* :mod:`gate.github.outputs` — step outputs, job summary, log lines and workflow-command annotations;
* :mod:`gate.github.comment` — the sticky PR comment;
* :mod:`gate.github.publishing` — publish one report: comment, then commit status or check run;
* :mod:`gate.github.action` — orchestration of ``readiness-gate github``;
* :mod:`gate.github.publish_mode` — ``readiness-gate publish``, the privileged half of the fork pattern;
* :mod:`gate.github.api` — all REST I/O (the only module that imports PyGithub).
"""
