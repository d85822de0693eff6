"""The explicit list of checks: a literal mapping from check id to the class that implements it.

Importing a check module registers nothing (``docs/architecture.md``: checks are registered
explicitly, like pre-commit's ``all_languages.py``). Classes are named by dotted path and
imported on first use, so ``readiness-gate list-checks`` and ``validate`` do not pay for
importing every scanner adapter.

Order matters: it is the order checks appear in within each gate. A check's other facts live
with the check (``docs/architecture.md``, "Where each fact lives"); a test keeps the ids here,
the schema's, the default profile's and ``policies/checks/*.yml`` the same set.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Mapping, Optional

from gate.checks.interface import Check
from gate.exitcodes import UsageError

CHECKS: Mapping[str, str] = {
    # security
    "secrets": "gate.checks.secrets:SecretsCheck",
    "dependencies": "gate.checks.dependencies:DependenciesCheck",
    "insecure-patterns": "gate.checks.patterns:InsecurePatternsCheck",
    "dependency-updates": "gate.checks.repo_policy:DependencyUpdatesCheck",
    "security-policy": "gate.checks.repo_policy:SecurityPolicyCheck",
    # error-handling
    "error-handling": "gate.checks.patterns:ErrorHandlingCheck",
    # observability
    "observability": "gate.checks.observability:ObservabilityCheck",
    # deploy-and-rollback
    "deploy-pipeline": "gate.checks.deploy_pipeline:DeployPipelineCheck",
    "rollback": "gate.checks.rollback:RollbackCheck",
    # data-safety
    "backups": "gate.checks.backups:BackupsCheck",
    # performance
    "load-test": "gate.checks.load_test:LoadTestCheck",
    # on-call
    "runbooks": "gate.checks.runbooks:RunbooksCheck",
    "ownership": "gate.checks.ownership:OwnershipCheck",
    "operations-docs": "gate.checks.operations_docs:OperationsDocsCheck",
}
"""Check id -> ``"module:Class"``. Ids are stable kebab-case and documented in README.md."""


def check_ids() -> tuple[str, ...]:
    """All known check ids, in registry order."""
    return tuple(CHECKS)


def parse_ids(value: Optional[str], option: str) -> Optional[list[str]]:
    """Split a comma-separated list of check ids (``--only``, the action's ``only`` input) and
    validate each; None when ``value`` is None.

    Raises:
        gate.exitcodes.UsageError: an unknown id (the message names ``option`` and offers a
            did-you-mean).
    """
    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    known = check_ids()
    for cid in ids:
        if cid not in known:
            close = difflib.get_close_matches(cid, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known ids: {', '.join(known)}"
            raise UsageError(f"{option}: unknown check id {cid!r}{hint}")
    return ids


def load_check(check_id: str) -> Check[Any]:
    """Instantiate the check ``check_id``.

    Raises:
        KeyError: unknown id.
        ImportError, AttributeError: the implementing module or class is missing (a broken
            install); the runner reports this as the check's ``error``.
    """
    module_name, _, class_name = CHECKS[check_id].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    check = cls()
    if not isinstance(check, Check) or check.id != check_id:
        raise TypeError(f"{CHECKS[check_id]} is not the Check for {check_id!r}")
    return check


def scanner_check_ids() -> frozenset[str]:
    """Ids of the checks that wait on an external scanner (:attr:`Check.waits_on_scanner`:
    secrets, dependencies and the two semgrep checks). Loads every check class.

    Raises:
        ImportError, AttributeError, TypeError: see :func:`load_check`.
    """
    return frozenset(cid for cid in CHECKS if load_check(cid).waits_on_scanner)
