"""``backups``: a backup mechanism exists, and restoring from it has been tested recently.

Source: ``docs/checks.md`` gate 5: "A backup job that has never been
restored is a theory; a tested restore is evidence". Reads the repository and
``readiness.yml``; never runs anything.

**A backup mechanism** is any of:

* a script or workflow whose file name contains ``backup`` (test code does not count) and that
  does more than nothing (:func:`gate.checks.evidence.script_has_content`);
* a workflow whose ``name:`` or a job whose id or ``name:`` contains ``backup``, with steps;
* a non-comment line of a script, workflow, Makefile, Terraform or Kubernetes file running a
  backup command or declaring managed backups (:data:`BACKUP_COMMANDS`);
* ``evidence.backups.mechanism`` declared in readiness.yml (for backups managed outside the
  repository).

**A restore test** is any of:

* a script or workflow whose file name, or a workflow/job whose name, contains ``restore``
  (with content);
* a line running a restore command (:data:`RESTORE_COMMANDS`, e.g. ``pg_restore``);
* ``evidence.restore-tested.date`` no older than ``max-age-days`` (default 90) before
  ``context.today``.

Findings: ``no-backup-mechanism``; ``no-restore-test``; ``restore-test-stale`` for a declared
date older than the limit (or in the future), pointing at its line in readiness.yml — blocking
when nothing else shows a restore test, informational otherwise. A mention in documentation is
not a mechanism (docs are not scanned for commands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gate.checks.evidence import absence_note, command_notes, dated_evidence, named_scripts
from gate.checks.interface import Check, CheckContext, option
from gate.checks.workflows import GITHUB_WORKFLOW_GLOBS, WorkflowSet, named_jobs
from gate.model import CheckResult, Finding, Severity
from gate.redact import redact

BACKUP_NAME = re.compile(r"back[\s_.-]?up", re.IGNORECASE)
RESTORE_NAME = re.compile(r"restor(?:e|ing)", re.IGNORECASE)

BACKUP_COMMANDS = re.compile(
    r"(?<![\w-])(?:pg_dump(?:all)?|mysqldump|mariadb-dump|mongodump|redis-cli\s[^\n]*--rdb|"
    r"aws\s+rds\s+create-db(?:-cluster)?-snapshot|aws\s+backup\s+start-backup-job|aws\s+dynamodb\s+create-backup|"
    r"aws_backup_plan|backup_retention_period\s*=\s*[1-9]\d*|point_in_time_recovery_enabled\s*=\s*true|"
    r"gcloud\s+sql\s+backups\s+create|gcloud\s+sql\s+export|az\s+backup|velero\s+(?:backup|schedule)\s+create|"
    r"restic\s[^\n]*\bbackup\b|borg\s+create|litestream\s+replicate|wal-g\s+backup-push|pgbackrest\s[^\n]*\bbackup\b|"
    r"barman\s+backup|etcdctl\s[^\n]*snapshot\s+save|xtrabackup\s[^\n]*--backup|mariabackup\s[^\n]*--backup|"
    r"sqlite3\s[^\n]*\.backup)(?![\w-])",
    re.IGNORECASE)
"""Backup commands and managed-backup declarations: PostgreSQL, MySQL/MariaDB, MongoDB, Redis
dumps; AWS RDS/AWS Backup/DynamoDB; Terraform ``aws_backup_plan``, ``backup_retention_period``
> 0, point-in-time recovery; Cloud SQL; Azure Backup; Velero; restic; Borg; Litestream; WAL-G;
pgBackRest; Barman; etcd snapshots; XtraBackup/Mariabackup; SQLite ``.backup``."""

RESTORE_COMMANDS = re.compile(
    r"(?<![\w-])(?:pg_restore|mongorestore|aws\s+rds\s+restore-db-[\w-]+|aws\s+backup\s+start-restore-job|"
    r"aws\s+dynamodb\s+restore-table-[\w-]+|gcloud\s+sql\s+backups\s+restore|gcloud\s+sql\s+import|"
    r"velero\s+restore\s+create|restic\s[^\n]*\brestore\b|borg\s+extract|litestream\s+restore|"
    r"wal-g\s+backup-fetch|pgbackrest\s[^\n]*\brestore\b|barman\s+recover|etcdctl\s[^\n]*snapshot\s+restore|"
    r"xtrabackup\s[^\n]*--(?:prepare|copy-back)|mariabackup\s[^\n]*--copy-back)(?![\w-])",
    re.IGNORECASE)
"""Restore commands for the same tools as :data:`BACKUP_COMMANDS`."""

BACKUP_KEYWORDS = ("pg_dump", "mysqldump", "mariadb-dump", "mongodump", "--rdb", "snapshot", "backup",
                   "point_in_time", "gcloud", "velero", "restic", "borg", "litestream", "wal-g", "pgbackrest",
                   "barman")
"""Every match of :data:`BACKUP_COMMANDS` contains one of these (lower-case): a file without any
is skipped without running the regex (tests/checks/backups checks each alternative). Tool names,
not a bare "dump", which every ``json.dumps`` would satisfy."""

RESTORE_KEYWORDS = ("restore", "gcloud", "borg", "wal-g", "barman", "xtrabackup", "mariabackup")
"""Every match of :data:`RESTORE_COMMANDS` contains one of these (lower-case)."""


@dataclass(frozen=True)
class BackupsSettings:
    """``checks.backups`` options (defaults: ``policies/profiles/default.yml``)."""

    max_age_days: int = option("max-age-days", int)
    """Days after which a declared restore test (``evidence.restore-tested.date``) is stale."""


def _evidence(context: CheckContext[BackupsSettings], wset: WorkflowSet, name: "re.Pattern[str]",
              commands: "re.Pattern[str]", label: str,
              keywords: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(evidence notes, empty candidates) from scripts and workflow jobs named like ``name`` and
    from lines running ``commands``."""
    # Workflow files are judged as workflows (a named job with steps), not as scripts.
    wf_paths = [w.path for w in wset.workflows] + [p.path for p in wset.problems]
    notes, empty = named_scripts(context.inventory, name, label, exclude=wf_paths)
    notes += [f"{label} job {wf.path}:{job.line} (job {job.id})" for wf, job, _ in named_jobs(wset, name)]
    notes += command_notes(context.inventory, commands, label, keywords, context.text_index)
    return notes, empty


class BackupsCheck(Check[BackupsSettings]):
    """``backups``: see the module docstring for what counts and each finding."""

    id = "backups"
    settings_type = BackupsSettings

    def index_words(self, settings: BackupsSettings) -> frozenset[str]:
        """The backup and restore command keywords."""
        return frozenset(BACKUP_KEYWORDS + RESTORE_KEYWORDS)

    def run(self, context: CheckContext[BackupsSettings]) -> CheckResult:
        inv = context.inventory
        max_age = context.settings.max_age_days
        findings: list[Finding] = []

        wset = context.workflows(GITHUB_WORKFLOW_GLOBS)
        backup, empty_backup = _evidence(context, wset, BACKUP_NAME, BACKUP_COMMANDS, "backup", BACKUP_KEYWORDS)
        declared = context.config.evidence.get("backups")
        if hasattr(declared, "get") and declared.get("mechanism"):
            loc = context.config.location_of("evidence.backups")
            # Free text typed into readiness.yml: redacted like any outside text (promise 3).
            backup.append(f"backups declared in readiness.yml{f':{loc.line}' if loc else ''}: "
                          f"{redact(' '.join(str(declared['mechanism']).split()))[:200]}")
        if not backup:
            extra = absence_note(inv, BACKUP_NAME, empty_backup)
            findings.append(Finding(
                "no-backup-mechanism", f"No backup mechanism found: no backup script or workflow, no backup "
                                       f"command, nothing declared under evidence.backups{extra}.",
                severity=Severity.HIGH, remediation=self.remediation("no-backup-mechanism")))

        restore, empty_restore = _evidence(context, wset, RESTORE_NAME, RESTORE_COMMANDS, "restore", RESTORE_KEYWORDS)
        remediation = self.remediation("restore-test-stale", max_age_days=max_age)
        dated = dated_evidence(context, "restore-tested", what="restore test", max_age_days=max_age,
                               stale_rule="restore-test-stale", remediation=remediation)
        if dated.fresh:
            restore.append(dated.note)
        if dated.finding is not None:
            # A stale declaration blocks only when nothing else shows a restore test.
            findings.append(replace(dated.finding, blocking=not restore))
        if not restore and not dated.declared:
            extra = absence_note(inv, RESTORE_NAME, empty_restore)
            findings.append(Finding(
                "no-restore-test", f"No restore test found: no restore script, workflow or command, and no "
                                   f"evidence.restore-tested date{extra}.",
                severity=Severity.HIGH, remediation=self.remediation("no-restore-test")))
        evidence = tuple(backup + restore)
        return CheckResult.from_findings(
            findings, pass_summary="backup mechanism and a restore test found", evidence=evidence,
            fail_summary="; ".join(_SUMMARY[f.rule] for f in findings if f.blocking) or None)


_SUMMARY = {"no-backup-mechanism": "no backup mechanism", "no-restore-test": "no restore test",
            "restore-test-stale": "restore test stale"}
