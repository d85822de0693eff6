"""``rollback``: each kind of rollback path, each kind of irreversible migration, hostile files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_check, write_tree

from gate.model import Status

ROLLBACK_SH = """
#!/usr/bin/env bash
# Roll the service back to the previous release.
set -euo pipefail
helm rollback api 0 --wait
"""


def blocking(result) -> list[str]:
    return sorted(f.rule for f in result.findings if f.blocking)


def test_nothing_fails_with_no_rollback_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# Service\n\nHello.\n", "app.py": "print('hi')\n"})
    result = run_check("rollback", tmp_path)
    assert result.status is Status.FAIL
    assert blocking(result) == ["no-rollback-path"]
    assert result.findings[0].remediation
    assert result.evidence == ()


def test_rollback_script_with_content_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"scripts/rollback.sh": ROLLBACK_SH})
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert "rollback script scripts/rollback.sh" in result.evidence


@pytest.mark.parametrize("text", [
    "",
    "#!/bin/sh\n",
    "#!/usr/bin/env bash\n# TODO: write the rollback\n\n# later\n",
    "#!/bin/bash\nset -euo pipefail\necho 'TODO: not implemented'\nexit 0\n",
])
def test_empty_or_comment_only_rollback_script_fails(tmp_path: Path, text: str) -> None:
    write_tree(tmp_path, {"rollback.sh": text}, dedent=False)
    result = run_check("rollback", tmp_path)
    assert result.status is Status.FAIL
    assert blocking(result) == ["no-rollback-path"]
    [missing] = [f for f in result.findings if f.rule == "no-rollback-path"]
    assert "(empty or only comments: rollback.sh)" in missing.message
    empty = [f for f in result.findings if f.rule == "empty-rollback-script"]
    assert [(f.path, f.blocking) for f in empty] == [("rollback.sh", False)]


def test_python_rollback_script_with_only_a_docstring_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bin/rollback.py": '"""Roll back."""\n\n\ndef main():\n    pass\n'})
    # A function definition is a statement: the script defines something, so it counts.
    assert run_check("rollback", tmp_path).status is Status.PASS
    write_tree(tmp_path, {"bin/rollback.py": '"""Roll back."""\npass\n...\n'})
    assert blocking(run_check("rollback", tmp_path)) == ["no-rollback-path"]


def test_symlink_rollback_script_leaving_the_tree_does_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    os.symlink("/etc/passwd", tmp_path / "rollback.sh")
    result = run_check("rollback", tmp_path)
    assert blocking(result) == ["no-rollback-path"]
    msg = result.findings[0].message
    assert "skipped: rollback.sh (symlink leaves the repository)" in msg
    assert "root:" not in msg  # nothing of the target's content leaks


def test_oversized_rollback_script_is_skipped_not_evidence(tmp_path: Path) -> None:
    write_tree(tmp_path, {"rollback.sh": "helm rollback api\n" + "#" * 4096 + "\n"})
    result = run_check("rollback", tmp_path, config="""
        version: 1
        limits:
          max-file-size: 1024
    """)
    assert blocking(result) == ["no-rollback-path"]
    assert "larger than the size cap" in result.findings[0].message


def test_test_files_named_rollback_do_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/test_rollback.py": "def test_it():\n    assert True\n"})
    assert blocking(run_check("rollback", tmp_path)) == ["no-rollback-path"]


@pytest.mark.parametrize("name,text", [
    ("Makefile", "deploy:\n\t./deploy.sh\n\nrollback:\n\t./scripts/undo.sh $(VERSION)\n"),
    ("Makefile", ".PHONY: db-rollback\ndb-rollback: migrate-down\n"),
    ("ops/release.mk", "rollback-prod: ## roll back\n\t@kubectl rollout undo deploy/api\n"),
    ("justfile", "# roll back\nrollback version:\n    ./undo.sh {{version}}\n"),
    ("Taskfile.yml", "version: '3'\ntasks:\n  rollback:\n    cmds:\n      - ./undo.sh\n"),
])
def test_task_runner_targets_count(tmp_path: Path, name: str, text: str) -> None:
    write_tree(tmp_path, {name: text}, dedent=False)
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert any(e.startswith("task target") and name in e for e in result.evidence)


@pytest.mark.parametrize("name,text", [
    ("Makefile", "rollback:\n\n# nothing here\nbuild:\n\tmake\n"),
    ("Makefile", "ROLLBACK := 1\nrollback_flag = yes\n"),
    ("justfile", "rollback:\n"),
    ("Taskfile.yml", "version: '3'\ntasks:\n  rollback: {}\n"),
])
def test_empty_task_targets_do_not_count(tmp_path: Path, name: str, text: str) -> None:
    write_tree(tmp_path, {name: text}, dedent=False)
    assert blocking(run_check("rollback", tmp_path)) == ["no-rollback-path"]


def test_rollback_workflow_counts(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/workflows/rollback.yml": """
        name: Roll back
        on:
          workflow_dispatch:
            inputs:
              version: {required: true}
        jobs:
          undo:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: ./scripts/deploy.sh "${{ inputs.version }}"
    """})
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert result.evidence[0] == "rollback workflow .github/workflows/rollback.yml:7 (job undo)"


def test_rollback_job_in_a_workflow_counts_but_an_empty_one_does_not(tmp_path: Path) -> None:
    wf = """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: ./deploy.sh
          rollback-on-failure:
            needs: deploy
            if: failure()
            runs-on: ubuntu-latest
            steps:
              - run: ./deploy.sh --previous
    """
    write_tree(tmp_path, {".github/workflows/cd.yml": wf})
    result = run_check("rollback", tmp_path)
    assert result.evidence == ("rollback job .github/workflows/cd.yml:7 (job rollback-on-failure)",)
    write_tree(tmp_path, {".github/workflows/cd.yml": wf.replace(
        "            steps:\n              - run: ./deploy.sh --previous\n", "            steps: []\n")})
    assert blocking(run_check("rollback", tmp_path)) == ["no-rollback-path"]


def test_platform_rollback_command_counts(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ops/undo.sh": "#!/bin/sh\nkubectl rollout undo deployment/api -n prod\n"})
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert result.evidence == ("rollback command `kubectl rollout undo` in ops/undo.sh:2",)


def test_rollback_runbook_counts_when_it_has_content(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/runbooks/deploy.md": """
        ---
        last-reviewed: 2026-10-01
        ---
        # Deploys

        ## Rolling back

        Run the *Roll back* workflow with the previous tag.
    """})
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert result.evidence == ("rollback runbook section docs/runbooks/deploy.md:6 ('Rolling back')",)


def test_bare_rollback_heading_or_changelog_does_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "docs/ops.md": "# Ops\n\n## Rollback\n\n## Other\n\ntext\n",
        "CHANGELOG.md": "# Changes\n\n## Rollback support\n\nAdded rollback.\n",
        "docs/code.md": "# Code\n\n```\n# rollback\n```\n",
    })
    assert blocking(run_check("rollback", tmp_path)) == ["no-rollback-path"]


# --------------------------------------------------------------------------- migrations

ALEMBIC_OK = '''
"""add users

Revision ID: 1a2b
"""
from alembic import op
import sqlalchemy as sa

revision = "1a2b"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("users")
'''


def with_path(files: dict) -> dict:
    return {"scripts/rollback.sh": ROLLBACK_SH, **files}


def test_reversible_alembic_migration_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({"alembic/versions/1a2b_add_users.py": ALEMBIC_OK}))
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert "1 of 1 migration(s) reversible" in result.evidence


@pytest.mark.parametrize("body", ["    pass", '    """Irreversible."""', "    ...",
                                  "    raise NotImplementedError()", '    """Nope."""\n    pass'])
def test_alembic_downgrade_that_does_nothing_fails(tmp_path: Path, body: str) -> None:
    text = ALEMBIC_OK.replace('    op.drop_table("users")', body)
    write_tree(tmp_path, with_path({"migrations/versions/1a2b_add_users.py": text}))
    result = run_check("rollback", tmp_path)
    assert blocking(result) == ["irreversible-migration"]
    f = result.findings[0]
    assert (f.path, f.line) == ("migrations/versions/1a2b_add_users.py", 16)
    assert "downgrade()" in f.message and f.remediation


def test_alembic_without_downgrade_fails(tmp_path: Path) -> None:
    text = ALEMBIC_OK[: ALEMBIC_OK.index("def downgrade")]
    write_tree(tmp_path, with_path({"alembic/versions/1a2b.py": text}))
    result = run_check("rollback", tmp_path)
    assert blocking(result) == ["irreversible-migration"]
    assert result.findings[0].line == 12  # the upgrade() it cannot undo


def test_irreversible_migrations_can_be_advisory(tmp_path: Path) -> None:
    text = ALEMBIC_OK.replace('    op.drop_table("users")', "    pass")
    write_tree(tmp_path, with_path({"alembic/versions/1a2b.py": text}))
    result = run_check("rollback", tmp_path, config="""
        version: 1
        checks:
          rollback:
            require-reversible-migrations: false
    """)
    assert result.status is Status.PASS
    assert [(f.rule, f.blocking) for f in result.findings] == [("irreversible-migration", False)]


def test_syntax_error_in_migration_is_a_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({"alembic/versions/bad.py": "revision = 'x'\ndef upgrade(:\n    pass\n"}))
    result = run_check("rollback", tmp_path)
    assert blocking(result) == ["unparsable-migration"]
    assert result.findings[0].line == 2


DJANGO = '''
from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunSQL("UPDATE t SET a = 1", reverse_sql="UPDATE t SET a = 0"),
    ]
'''


def test_reversible_django_operations_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({"shop/migrations/0002_data.py": DJANGO, "shop/migrations/__init__.py": ""}))
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_django_run_python_and_run_sql_without_reverse_fail(tmp_path: Path) -> None:
    text = (DJANGO.replace("migrations.RunPython(forwards, migrations.RunPython.noop)",
                           "migrations.RunPython(forwards)")
            .replace('migrations.RunSQL("UPDATE t SET a = 1", reverse_sql="UPDATE t SET a = 0")',
                     'migrations.RunSQL("UPDATE t SET a = 1", reverse_sql=None)'))
    write_tree(tmp_path, with_path({"shop/migrations/0002_data.py": text}))
    result = run_check("rollback", tmp_path)
    found = sorted((f.rule, f.line) for f in result.findings)
    assert found == [("irreversible-migration", 11), ("irreversible-migration", 12)]
    assert "RunPython without reverse_code" in result.findings[0].message
    assert "RunSQL without reverse_sql" in result.findings[1].message


def test_sql_up_without_down_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({
        "db/migrations/0001_init.up.sql": "CREATE TABLE t (id int);\n",
        "db/migrations/0001_init.down.sql": "DROP TABLE t;\n",
        "db/migrations/0002_more.up.sql": "ALTER TABLE t ADD b int;\n",
        "db/migrations/0003_empty.up.sql": "ALTER TABLE t ADD c int;\n",
        "db/migrations/0003_empty.down.sql": "-- nothing to do\n",
    }))
    result = run_check("rollback", tmp_path)
    assert sorted(f.path for f in result.findings if f.blocking) == [
        "db/migrations/0002_more.up.sql", "db/migrations/0003_empty.down.sql"]
    assert "1 of 3 migration(s) reversible" in result.evidence


def test_dbmate_and_goose_down_sections(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({
        "db/migrations/20240101_a.sql": "-- migrate:up\ncreate table a (id int);\n\n-- migrate:down\ndrop table a;\n",
        "db/migrations/20240102_b.sql": "-- migrate:up\ncreate table b (id int);\n\n-- migrate:down\n\n",
        "db/migrations/20240103_c.sql": "-- +goose Up\ncreate table c (id int);\n",
    }))
    result = run_check("rollback", tmp_path)
    got = sorted((f.path, f.line) for f in result.findings if f.blocking)
    assert got == [("db/migrations/20240102_b.sql", 4), ("db/migrations/20240103_c.sql", 1)]


def test_flyway_versioned_migration_needs_undo(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({
        "src/main/resources/db/migration/V1__init.sql": "create table a (id int);\n",
        "src/main/resources/db/migration/U1__init.sql": "drop table a;\n",
        "src/main/resources/db/migration/V2__more.sql": "alter table a add b int;\n",
    }))
    result = run_check("rollback", tmp_path)
    assert [(f.path, f.blocking) for f in result.findings] == [
        ("src/main/resources/db/migration/V2__more.sql", True)]
    assert "U2__*.sql" in result.findings[0].message


def test_vendored_and_non_migration_python_is_ignored(tmp_path: Path) -> None:
    write_tree(tmp_path, with_path({
        "vendor/django/contrib/migrations/0001.py": DJANGO.replace(", migrations.RunPython.noop", ""),
        "app/migrations/helpers.py": "def revision():\n    return 1\n",
        "app/versions/notes.py": "X = 1\n",
    }))
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert not any("migration" in e for e in result.evidence)


def test_migration_paths_option_limits_what_is_examined(tmp_path: Path) -> None:
    text = ALEMBIC_OK.replace('    op.drop_table("users")', "    pass")
    write_tree(tmp_path, with_path({"alembic/versions/1a2b.py": text, "db/versions/9.py": text}))
    result = run_check("rollback", tmp_path, config="""
        version: 1
        checks:
          rollback:
            migration-paths: ["db/**"]
    """)
    assert [f.path for f in result.findings] == ["db/versions/9.py"]


def test_diff_mode_blocks_only_changed_migrations(tmp_path: Path) -> None:
    from helpers import TODAY

    from gate.checks.interface import RunOptions

    text = ALEMBIC_OK.replace('    op.drop_table("users")', "    pass")
    write_tree(tmp_path, with_path({"alembic/versions/old.py": text, "alembic/versions/new.py": text}))
    options = RunOptions(today=TODAY, changed_since="main", changed_paths=frozenset({"alembic/versions/new.py"}))
    result = run_check("rollback", tmp_path, options=options)
    got = sorted((f.path, f.new, f.blocking) for f in result.findings)
    assert got == [("alembic/versions/new.py", True, True), ("alembic/versions/old.py", False, False)]
    assert result.status is Status.FAIL


def test_device_symlink_and_hostile_names_neither_hang_nor_run(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "pwned"  # `touch pwned` would create it in the working directory: run from tmp_path
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {
        "scripts/rollback-$(touch pwned).sh": "#!/bin/sh\nset -e\n./deploy.sh previous\n",
        "docs/a\n::error::x rollback.md": "# Rollback\n\nsteps\n",
    })
    os.symlink("/dev/urandom", tmp_path / "rollback.sh")
    result = run_check("rollback", tmp_path)
    assert result.status is Status.PASS
    assert "rollback script scripts/rollback-$(touch pwned).sh" in result.evidence
    assert not marker.exists()


def test_rollback_and_load_command_keywords_cover_every_alternative() -> None:
    """The substring pre-checks never hide a command: one sample per regex alternative."""
    from gate.checks.load_test import LOAD_COMMANDS, LOAD_KEYWORDS
    from gate.checks.rollback import ROLLBACK_COMMANDS, ROLLBACK_KEYWORDS

    rollbacks = ["helm rollback api 3", "helm3 rollback api", "kubectl rollout undo deploy/api",
                 "argocd app rollback api", "heroku rollback v12", "heroku releases:rollback", "cap deploy:rollback",
                 "aws deploy stop-deployment --deployment-id d-1 --auto-rollback-enabled",
                 "vercel rollback", "flyctl releases rollback"]
    loads = ["k6 run load.js", "k6 cloud x.js", "locust -f lf.py", "locust --headless", "artillery run a.yml",
             "jmeter -n -t plan.jmx", "vegeta attack -rate=10", "./gatling.sh", "uses: grafana/k6-action@v1",
             "uses: grafana/run-k6-action@v1", "./gradlew gatlingRun"]
    for samples, pattern, keywords in ((rollbacks, ROLLBACK_COMMANDS, ROLLBACK_KEYWORDS),
                                       (loads, LOAD_COMMANDS, LOAD_KEYWORDS)):
        for line in samples:
            for variant in (line, line.upper()):
                match = pattern.search(variant)
                assert match, variant
                assert any(k in match.group(0).lower() for k in keywords), variant


def test_glob_literals_never_rule_out_a_path_the_globs_match() -> None:
    """The literal pre-test of migration-paths keeps every path match_globs accepts."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from helpers import config_from

    from gate.checks.rollback import glob_literals
    from gate.inventory import match_globs

    profile_globs = tuple(config_from(None).settings("rollback").options["migration-paths"])

    assert glob_literals(("**/*",)) is None and glob_literals(("db/{a,b}.sql",)) is None
    assert glob_literals(("!x/**", "db/*.SQL")) == (".sql",)
    segment = st.sampled_from(["migrations", "Migrations", "alembic", "versions", "db", "V1__x.sql", "a.up.sql",
                               "x.py", "x.sql", "VERSIONS", "migrate", "m", ".hidden", "V2_1__y.SQL"])
    glob_part = st.sampled_from(["**", "*", "migrations", "versions", "*.py", "*.sql", "V*__*.sql", "db",
                                 "*.up.sql", "a?c", "?", "x*y"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.lists(glob_part, min_size=1, max_size=4).map("/".join), min_size=1, max_size=3),
           st.lists(segment, min_size=1, max_size=5).map("/".join))
    def check(globs: list[str], path: str) -> None:
        for patterns in (tuple(globs), profile_globs, (*globs, "!**/m/**")):
            literals = glob_literals(patterns)
            if literals is not None and match_globs(path, patterns):
                assert any(lit in path.lower() for lit in literals), (patterns, path)

    check()
