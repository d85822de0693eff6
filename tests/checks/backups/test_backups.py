"""``backups``: a backup mechanism and a (recent) restore test, each missing part its own finding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_check, write_tree

from gate.model import Status

BACKUP_SH = """
#!/bin/sh
set -eu
pg_dump --format=custom "$DATABASE_URL" > "/backups/$(date +%F).dump"
"""
RESTORE_SH = """
#!/bin/sh
set -eu
pg_restore --clean --dbname "$SCRATCH_URL" "$1"
psql "$SCRATCH_URL" -c 'select count(*) from orders'
"""


def blocking(result) -> list[str]:
    return sorted(f.rule for f in result.findings if f.blocking)


def cfg(evidence: str) -> str:
    return "version: 1\nevidence:\n" + "\n".join("  " + line for line in evidence.strip("\n").splitlines()) + "\n"


def test_backup_and_restore_scripts_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/backup-db.sh": BACKUP_SH, "scripts/restore-drill.sh": RESTORE_SH})
    result = run_check("backups", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert "backup script scripts/backup-db.sh" in result.evidence
    assert "restore script scripts/restore-drill.sh" in result.evidence


def test_nothing_gives_two_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "We use pg_dump nightly.\n"})  # docs are not a mechanism
    result = run_check("backups", tmp_path)
    assert result.status is Status.FAIL
    assert blocking(result) == ["no-backup-mechanism", "no-restore-test"]
    assert all(f.remediation for f in result.findings)
    assert result.summary == "no backup mechanism; no restore test"


def test_backup_without_restore_test_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ops/nightly.sh": BACKUP_SH})
    result = run_check("backups", tmp_path)
    assert blocking(result) == ["no-restore-test"]
    assert result.evidence == ("backup command `pg_dump` in ops/nightly.sh:3",)


def test_commented_out_command_and_empty_backup_script_do_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ops/nightly.sh": "#!/bin/sh\n# pg_dump $DB > x\n", "backup.sh": "#!/bin/sh\n# TODO\n"})
    result = run_check("backups", tmp_path)
    assert "no-backup-mechanism" in blocking(result)
    [f] = [f for f in result.findings if f.rule == "no-backup-mechanism"]
    assert "empty or only comments: backup.sh" in f.message


def test_declared_mechanism_and_fresh_restore_date_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    result = run_check("backups", tmp_path, config=cfg("""
        backups:
          mechanism: RDS automated snapshots, 35-day retention
        restore-tested:
          date: 2026-10-01
          link: https://wiki.example.com/restore-2026-10
    """))
    assert result.status is Status.PASS, result.findings
    assert result.evidence[0].startswith("backups declared in readiness.yml:3: RDS automated snapshots")
    assert result.evidence[1] == "restore test declared on 2026-10-01, 51 days ago (readiness.yml:6)"


def test_stale_restore_date_points_at_readiness_yml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/backup.sh": BACKUP_SH})
    result = run_check("backups", tmp_path, config=cfg("""
        restore-tested:
          date: 2026-01-02
    """))
    assert blocking(result) == ["restore-test-stale"]
    f = result.findings[0]
    assert (f.path, f.line) == ("readiness.yml", 4)
    assert "323 days ago (limit: 90 days)" in f.message and f.remediation


def test_max_age_days_option(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/backup.sh": BACKUP_SH})
    text = cfg("""
        restore-tested:
          date: 2026-01-02
    """) + "checks:\n  backups:\n    max-age-days: 365\n"
    assert run_check("backups", tmp_path, config=text).status is Status.PASS


def test_future_restore_date_is_a_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/backup.sh": BACKUP_SH})
    result = run_check("backups", tmp_path, config=cfg("""
        restore-tested:
          date: 2027-01-01
    """))
    assert blocking(result) == ["restore-test-stale"]
    assert "in the future" in result.findings[0].message


def test_stale_date_is_information_when_a_restore_script_exists(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/backup.sh": BACKUP_SH, "scripts/restore.sh": RESTORE_SH})
    result = run_check("backups", tmp_path, config=cfg("""
        restore-tested:
          date: 2025-01-01
    """))
    assert result.status is Status.PASS
    assert [(f.rule, f.blocking) for f in result.findings] == [("restore-test-stale", False)]


def test_backup_and_restore_workflow_jobs_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/dr.yml": """
        name: Disaster recovery drill
        on:
          schedule:
            - cron: "0 3 * * 1"
        jobs:
          backup:
            runs-on: ubuntu-latest
            steps:
              - run: aws rds create-db-snapshot --db-instance-identifier prod --db-snapshot-identifier "w$(date +%V)"
          restore-check:
            needs: backup
            runs-on: ubuntu-latest
            steps:
              - run: ./scripts/verify.sh
    """})
    result = run_check("backups", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert "backup job .github/workflows/dr.yml:6 (job backup)" in result.evidence
    assert "restore job .github/workflows/dr.yml:10 (job restore-check)" in result.evidence


@pytest.mark.parametrize("line", [
    'resource "aws_db_instance" "db" {\n  backup_retention_period = 14\n}',
    "velero schedule create daily --schedule='0 1 * * *'",
    "restic -r s3:bucket/repo backup /data",
    "mongodump --uri $URI --archive=x.gz",
])
def test_backup_commands_and_declarations(tmp_path: Path, line: str) -> None:
    name = "infra/db.tf" if "resource" in line else "ops/job.sh"
    write_tree(tmp_path, {name: line + "\n", "ops/drill.sh": "mongorestore --archive=x.gz\n"}, dedent=False)
    result = run_check("backups", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_zero_retention_is_not_a_backup(tmp_path: Path) -> None:
    write_tree(tmp_path, {"infra/db.tf": "backup_retention_period = 0\n", "ops/drill.sh": "pg_restore x\n"})
    assert blocking(run_check("backups", tmp_path)) == ["no-backup-mechanism"]


def test_symlinked_backup_script_leaving_the_tree_does_not_count(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"backup.sh": BACKUP_SH, "restore.sh": RESTORE_SH})
    repo = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    os.symlink(outside / "backup.sh", repo / "backup.sh")
    os.symlink(outside / "restore.sh", repo / "restore.sh")
    result = run_check("backups", repo)
    assert blocking(result) == ["no-backup-mechanism", "no-restore-test"]
    assert "skipped: backup.sh (symlink leaves the repository)" in result.findings[0].message


def test_test_files_do_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/test_backup.py": "def test_backup():\n    assert 1\n",
                          "tests/test_restore.py": "import subprocess\nsubprocess.run(['pg_restore'])\n"})
    assert blocking(run_check("backups", tmp_path)) == ["no-backup-mechanism", "no-restore-test"]


def test_readiness_yml_mentions_are_declarations_not_commands(tmp_path: Path) -> None:
    text = "deferrals:\n  - check: backups\n    reason: nightly pg_dump backups and pg_restore drills come next\n"
    write_tree(tmp_path, {"readiness.yml": text, "ops/notes.yml": text})
    result = run_check("backups", tmp_path)
    assert blocking(result) == []  # the same words in another YAML file would count...
    (tmp_path / "ops/notes.yml").unlink()
    assert blocking(run_check("backups", tmp_path)) == ["no-backup-mechanism", "no-restore-test"]  # ...not in readiness.yml


def test_keyword_prefilter_is_a_superset_of_the_command_patterns() -> None:
    """Every alternative of the command regexes contains one of the prefilter keywords, so the
    substring pre-check can never hide a command (proved on one sample per alternative)."""
    from gate.checks.backups import BACKUP_COMMANDS, BACKUP_KEYWORDS, RESTORE_COMMANDS, RESTORE_KEYWORDS

    backups = ["pg_dump -Fc db", "pg_dumpall", "mysqldump app", "mariadb-dump app", "mongodump --db x",
               "redis-cli -h r --rdb dump.rdb", "aws rds create-db-snapshot --x", "aws rds create-db-cluster-snapshot",
               "aws backup start-backup-job", "aws dynamodb create-backup", "aws_backup_plan", "backup_retention_period = 7",
               "point_in_time_recovery_enabled = true", "gcloud sql backups create", "gcloud sql export sql x",
               "az backup protection", "velero backup create nightly", "velero schedule create x",
               "restic -r repo backup /data", "borg create ::x", "litestream replicate", "wal-g backup-push",
               "pgbackrest --stanza=x backup", "barman backup pg", "etcdctl --x snapshot save s.db",
               "xtrabackup --user=x --backup", "mariabackup --backup", "sqlite3 app.db .backup b.db"]
    restores = ["pg_restore -d x", "mongorestore d", "aws rds restore-db-instance-from-db-snapshot",
                "aws backup start-restore-job", "aws dynamodb restore-table-from-backup", "gcloud sql backups restore 1",
                "gcloud sql import sql x", "velero restore create r", "restic -r x restore latest", "borg extract ::x",
                "litestream restore db", "wal-g backup-fetch", "pgbackrest --stanza=x restore", "barman recover pg",
                "etcdctl snapshot restore s.db", "xtrabackup --prepare", "mariabackup --copy-back"]
    for samples, pattern, keywords in ((backups, BACKUP_COMMANDS, BACKUP_KEYWORDS),
                                       (restores, RESTORE_COMMANDS, RESTORE_KEYWORDS)):
        for line in samples:
            for variant in (line, line.upper()):
                match = pattern.search(variant)
                assert match, variant
                assert any(k in match.group(0).lower() for k in keywords), variant
