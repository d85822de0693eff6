"""``rollback``: a rollback path exists and is real, and migrations can be reversed.

Source: ``docs/checks.md`` gate 4. Reads the repository, never runs it;
Python migrations are parsed with :mod:`ast`, never imported.

**A rollback path** is any of (each match is listed in ``CheckResult.evidence``):

* a script whose file name contains ``rollback`` / ``roll-back`` (any script kind, see
  :data:`gate.checks.evidence.SCRIPT_SUFFIXES`; test files do not count) and that does more
  than nothing (:func:`gate.checks.evidence.script_has_content`: an empty file, a shebang
  and comments, ``set -e``/``exit 0``/``echo TODO`` are not a rollback);
* a target whose name contains ``rollback`` with a recipe or prerequisites in a Makefile
  (``Makefile``, ``makefile``, ``GNUmakefile``, ``*.mk``), a justfile or a Taskfile;
* a GitHub Actions workflow whose file name or ``name:``, or a job whose id or ``name:``,
  contains ``rollback`` and that has at least one step (or calls a workflow);
* a step or script running a platform rollback command (:data:`ROLLBACK_COMMANDS`:
  ``helm rollback``, ``kubectl rollout undo``, ...);
* a markdown document with a heading mentioning rollback ("Rollback", "Rolling back") followed
  by content (a runbook; headings parsed with markdown-it-py via
  :mod:`gate.checks.markdown_docs`; changelogs do not count).

**Migrations** (files matched by ``migration-paths``, recognised by content) must be
reversible; each irreversible one is an ``irreversible-migration`` finding at its line
(non-blocking when ``require-reversible-migrations: false``):

* Alembic revision (module assigns ``revision`` and defines ``upgrade``): ``downgrade()`` missing
  or whose body is only ``pass`` / a docstring / ``...`` / ``raise NotImplementedError``;
* Django migration (``class Migration``): ``RunPython`` without ``reverse_code`` and ``RunSQL``
  without ``reverse_sql`` (``RunPython.noop`` / ``RunSQL.noop`` are reversible: Django docs,
  "Migration operations");
* golang-migrate / sqlx / node-pg-migrate-sql style ``N_name.up.sql`` without a ``N_name.down.sql``
  that has content;
* dbmate (``-- migrate:up`` / ``-- migrate:down``) and goose (``-- +goose Up`` / ``-- +goose Down``)
  files whose down section is missing or empty;
* Flyway versioned migrations ``V<ver>__<desc>.sql`` without an undo migration ``U<ver>__*.sql``
  in the same directory (Flyway docs, "Undo migrations").

In a diff-aware run (``--changed-since``) only migrations the change adds or edits block; the
others are reported as pre-existing (``new: false``, non-blocking), because a merged migration
cannot be rewritten. A Python migration that does not parse is an ``unparsable-migration`` finding (we cannot tell
whether it is reversible). Not covered: Prisma (has no down migrations by design), Rails,
Knex, Liquibase.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Optional

from gate.checks.evidence import (ROLLBACK_NAME, absence_note, command_notes, is_test_path, is_trivial_statement,
                                  is_vendored, named_scripts, read_text_or_none, script_has_content)
from gate.checks.interface import Check, CheckContext, option, strings
from gate.checks.markdown_docs import LineBudget, front_matter, heading_matches, parse_sections
from gate.checks.workflows import GITHUB_WORKFLOW_GLOBS, WorkflowSet, named_jobs
from gate.config import ConfigError, parse_yaml
from gate.inventory import FileEntry, Inventory, match_globs
from gate.model import CheckResult, Finding, Severity

ROLLBACK_HEADINGS = ("rollback", "rollbacks", "roll back", "rolling back")
"""Heading synonyms for a rollback runbook or section (whole words, case-insensitive)."""

ROLLBACK_COMMANDS = re.compile(
    r"(?<![\w-])(?:helm\s+rollback|helm3\s+rollback|kubectl\s+rollout\s+undo|argocd\s+app\s+rollback"
    r"|heroku\s+(?:releases:)?rollback|deploy:rollback|aws\s+deploy\s+stop-deployment[^\n]*--auto-rollback-enabled"
    r"|vercel\s+rollback|flyctl\s+releases\s+rollback)(?![\w-])", re.IGNORECASE)
"""Platform rollback commands (Helm, Kubernetes, Argo CD, Heroku, Capistrano, CodeDeploy,
Vercel, Fly.io): a script or workflow step running one is a rollback path."""

ROLLBACK_KEYWORDS = ("rollback", "undo")
"""Every match of :data:`ROLLBACK_COMMANDS` contains one of these (lower-case)."""

@dataclass(frozen=True)
class RollbackSettings:
    """``checks.rollback`` options (defaults: ``policies/profiles/default.yml``)."""

    require_reversible_migrations: bool = option("require-reversible-migrations", bool)
    """Irreversible migrations block (else they are reported, not blocking)."""
    migration_paths: tuple[str, ...] = option("migration-paths", strings)
    """Globs of migration files. The profile's cover where Alembic (``alembic/versions``,
    Flask-Migrate's ``migrations/versions``), Django (``<app>/migrations``), golang-migrate/sqlx,
    dbmate (``db/migrations``), goose and Flyway (``db/migration``) keep migrations. Files are
    recognised by content, so a broad glob costs time, not false findings."""


MAKEFILE_NAMES = ("Makefile", "makefile", "GNUmakefile")
JUSTFILE_NAMES = ("justfile", "Justfile", ".justfile")
TASKFILE_NAMES = ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml",
                  "Taskfile.dist.yml", "Taskfile.dist.yaml")
"""Task runner files (GNU make manual "What Name to Give Your Makefile"; just manual; Task
docs "Supported file names")."""

_TASK_FILE_NAMES = frozenset(MAKEFILE_NAMES + JUSTFILE_NAMES + TASKFILE_NAMES)

_CHANGELOG = re.compile(r"^(?:changelog|changes|history|news|release[-_ ]?notes)", re.IGNORECASE)


class RollbackCheck(Check[RollbackSettings]):
    """``rollback``: see the module docstring for what counts and each finding."""

    id = "rollback"
    settings_type = RollbackSettings

    def index_words(self, settings: RollbackSettings) -> frozenset[str]:
        """The rollback command keywords."""
        return frozenset(ROLLBACK_KEYWORDS)

    def run(self, context: CheckContext[RollbackSettings]) -> CheckResult:
        inv = context.inventory
        findings: list[Finding] = []

        wset = context.workflows(GITHUB_WORKFLOW_GLOBS)
        # Workflow files are judged as workflows (a rollback job with steps), not as scripts.
        evidence, empty = named_scripts(inv, ROLLBACK_NAME, "rollback",
                                        exclude=[w.path for w in wset.workflows] + [p.path for p in wset.problems])
        evidence += _task_targets(inv)
        evidence += _workflow_evidence(wset)
        evidence += command_notes(inv, ROLLBACK_COMMANDS, "rollback", ROLLBACK_KEYWORDS, context.text_index)
        evidence += _runbook_evidence(inv)

        for path in empty:
            findings.append(Finding(
                "empty-rollback-script", f"{path} is named like a rollback script but is empty or only comments.",
                path=path, line=1, severity=Severity.LOW, blocking=False,
                remediation=self.remediation("empty-rollback-script", path=path)))
        if not evidence:
            extra = absence_note(inv, ROLLBACK_NAME, empty)
            findings.append(Finding(
                "no-rollback-path", f"No rollback path found: no rollback script, task target, workflow, "
                                    f"job, platform rollback command or rollback runbook{extra}.",
                severity=Severity.HIGH, remediation=self.remediation("no-rollback-path")))

        judge = _MigrationJudge(context.settings.require_reversible_migrations,
                                self.remediation("irreversible-migration"), self.remediation("unparsable-migration"))
        mig_findings, mig_count = _migrations(inv, context.settings.migration_paths, judge)
        changed = context.options.changed_paths
        if changed is not None:
            # Diff-aware run: a migration already merged cannot be rewritten, so only the ones the
            # change adds or edits block; older ones are shown as pre-existing (Finding.new).
            mig_findings = [replace(f, new=f.path in changed, blocking=f.blocking and f.path in changed)
                            for f in mig_findings]
        findings.extend(mig_findings)
        if mig_count:
            bad = len({f.path for f in mig_findings})
            evidence.append(f"{mig_count - bad} of {mig_count} migration(s) reversible")
        return CheckResult.from_findings(
            findings, pass_summary=f"rollback path found ({len(evidence)} piece(s) of evidence)",
            fail_summary=_fail_summary(findings), evidence=tuple(evidence))


def _fail_summary(findings: list[Finding]) -> str:
    parts = []
    if any(f.rule == "no-rollback-path" for f in findings):
        parts.append("no rollback path")
    n = sum(1 for f in findings if f.blocking and f.rule in ("irreversible-migration", "unparsable-migration"))
    if n:
        parts.append(f"{n} irreversible or unreadable migration(s)")
    return "; ".join(parts) or "rollback findings"


# --------------------------------------------------------------------------- rollback paths


_MAKE_RULE = re.compile(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)(.*)$")
_JUST_RULE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:\s+[^:=]*)?\s*:(?!=)(.*)$")


def _rule_targets(text: str, rule: "re.Pattern[str]", indent: "re.Pattern[str]", path: str) -> list[str]:
    """Rollback targets with a body or prerequisites in a make-like file."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = rule.match(line)
        if not m:
            continue
        names = [n for n in m.group(1).split() if ROLLBACK_NAME.search(n)]
        if not names:
            continue
        rest = m.group(2).split("#", 1)[0].strip()
        body = False
        for nxt in lines[i + 1:]:
            if not nxt.strip():
                continue
            if not indent.match(nxt):
                break
            if nxt.strip() and not nxt.strip().startswith("#"):
                body = True
                break
        if body or rest:
            out.append(f"task target `{names[0]}` in {path}:{i + 1}")
    return out


def _task_targets(inv: Inventory) -> list[str]:
    out: list[str] = []
    for e in inv.files:
        name = e.path.rpartition("/")[2]  # FileEntry.name without a PurePosixPath per file
        if name not in _TASK_FILE_NAMES and not name.lower().endswith(".mk"):
            continue
        if is_vendored(e.path) or e.is_binary:
            continue
        if name in MAKEFILE_NAMES or e.suffix == ".mk":
            text = read_text_or_none(inv, e) or ""
            out += _rule_targets(text, _MAKE_RULE, re.compile(r"^\t"), e.path)
        elif name in JUSTFILE_NAMES:
            text = read_text_or_none(inv, e) or ""
            out += _rule_targets(text, _JUST_RULE, re.compile(r"^[ \t]+"), e.path)
        elif name in TASKFILE_NAMES:
            out += _taskfile_targets(inv, e)
    return out


def _taskfile_targets(inv: Inventory, e: FileEntry) -> list[str]:
    text = read_text_or_none(inv, e)
    if not text:
        return []
    try:
        data, positions = parse_yaml(text, e.path)
    except ConfigError:
        return []
    tasks = data.get("tasks") if isinstance(data, dict) else None
    out = []
    for name, body in (tasks.items() if isinstance(tasks, dict) else []):
        if not ROLLBACK_NAME.search(str(name)):
            continue
        # Task's short forms: a string or list of commands; long form: cmds/deps.
        real = bool(body) if isinstance(body, (str, list)) else (
            isinstance(body, dict) and bool(body.get("cmds") or body.get("cmd") or body.get("deps")))
        if real:
            loc = positions.get(f"tasks.{name}")
            out.append(f"task target `{name}` in {e.path}:{loc.line if loc else 1}")
    return out


def _workflow_evidence(wset: WorkflowSet) -> list[str]:
    return [f"{'rollback workflow' if by_wf else 'rollback job'} {wf.path}:{job.line} (job {job.id})"
            for wf, job, by_wf in named_jobs(wset, ROLLBACK_NAME)]


def _runbook_evidence(inv: Inventory) -> list[str]:
    out = []
    budget = LineBudget()  # markdown-it-py is linear but slow on hostile input: bound the lines parsed
    for e in inv.files:
        if e.suffix not in (".md", ".markdown") or is_vendored(e.path) or _CHANGELOG.match(e.name):
            continue
        text = read_text_or_none(inv, e)
        if not text or not ROLLBACK_NAME.search(text):
            continue  # cheap filter before parsing markdown
        fm = front_matter(text)
        if budget.take(fm.body) is not None:
            continue  # too long, or the budget is spent: never counted as evidence
        for section in parse_sections(fm.body, line_offset=fm.body_start_line - 1):
            if section.has_content and heading_matches(section.heading.text, ROLLBACK_HEADINGS):
                out.append(f"rollback runbook section {e.path}:{section.heading.line} ({section.heading.text!r})")
                break
    return out


# --------------------------------------------------------------------------- migrations


@dataclass(frozen=True)
class _MigrationJudge:
    """How migration findings are made: whether they block, and their rules' remediations
    (``policies/checks/rollback.yml``)."""

    blocking: bool
    irreversible_remediation: str
    unparsable_remediation: str

    def irreversible(self, path: str, line: Optional[int], what: str) -> Finding:
        """An ``irreversible-migration`` finding saying ``what`` is wrong."""
        return Finding("irreversible-migration", f"{what[0].upper()}{what[1:]}.", path=path, line=line,
                       severity=Severity.MEDIUM, blocking=self.blocking, remediation=self.irreversible_remediation)


_GLOB_SPECIAL = re.compile(r"[*?/]+")


def glob_literals(globs: tuple[str, ...]) -> Optional[tuple[str, ...]]:
    """For each including glob, its longest run of literal characters, lower-cased; None when
    some including glob has none or uses classes, braces or escapes (``[ab]``, ``{a,b}``, ``\\``).

    A path can match a glob only if it contains each of the glob's literal runs (``*``, ``?``
    and ``**`` stand for other characters, ``/`` for one or more slashes), so a path containing
    none of the returned strings, case-insensitively, matches none of ``globs`` (negated
    ``!`` globs only remove matches). A cheap test before :func:`match_globs`, which runs up to
    two regexes per glob.
    """
    runs = []
    for glob in globs:
        if glob.startswith("!"):
            continue
        if any(c in glob for c in "[]{}\\"):
            return None
        longest = max(_GLOB_SPECIAL.split(glob), key=len)
        if not longest:
            return None
        runs.append(longest.lower())
    return tuple(runs)


def _migrations(inv: Inventory, globs: tuple[str, ...], judge: _MigrationJudge) -> tuple[list[Finding], int]:
    """Findings for irreversible migrations and the number of migrations recognised."""
    findings: list[Finding] = []
    count = 0
    literals = glob_literals(globs)
    entries = [e for e in inv.files if e.suffix in (".py", ".sql")
               and (literals is None or any(lit in e.path.lower() for lit in literals))
               and not e.is_binary and not is_vendored(e.path) and not is_test_path(e.path)
               and match_globs(e.path, globs)]
    paths = {e.path for e in inv.files}
    for e in entries:
        text = read_text_or_none(inv, e)
        if text is None:
            continue
        if e.suffix == ".py":
            got = _python_migration(e.path, text, judge)
        else:
            got = _sql_migration(inv, e, text, paths, judge)
        if got is not None:
            count += 1
            findings.extend(got)
    return findings, count


def _python_migration(path: str, text: str, judge: _MigrationJudge) -> Optional[list[Finding]]:
    """Findings for one Python file, or None when it is not a migration we know."""
    if not re.search(r"\brevision\b|\bclass\s+Migration\b", text):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        return [Finding("unparsable-migration", f"{path} does not parse as Python, so its reversibility "
                                                "cannot be checked.", path=path, line=line,
                        severity=Severity.LOW, blocking=judge.blocking, remediation=judge.unparsable_remediation)]
    assigned = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    funcs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "revision" in assigned and "upgrade" in funcs:
        down = funcs.get("downgrade")
        if down is None:
            return [judge.irreversible(path, funcs["upgrade"].lineno, "Alembic revision has no downgrade()")]
        if all(is_trivial_statement(s) for s in down.body):
            return [judge.irreversible(path, down.lineno, "Alembic downgrade() does nothing (only pass, a docstring, "
                                                     "... or raise NotImplementedError)")]
        return []
    if any(isinstance(n, ast.ClassDef) and n.name == "Migration" for n in tree.body):
        return _django_operations(path, tree, judge)
    return None


def _is_none(node: Optional[ast.expr]) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _django_operations(path: str, tree: ast.Module, judge: _MigrationJudge) -> list[Finding]:
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if fname not in ("RunPython", "RunSQL"):
            continue
        kw = "reverse_code" if fname == "RunPython" else "reverse_sql"
        reverse = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == kw), None)
        if _is_none(reverse):
            out.append(judge.irreversible(path, node.lineno, f"Django {fname} without {kw}"))
    return out


_DBMATE_UP = re.compile(r"^[ \t]*--[ \t]*(?:migrate:up|\+goose\s+up)\b", re.IGNORECASE | re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^[ \t]*--[ \t]*(?:migrate:down|\+goose\s+down)\b", re.IGNORECASE | re.MULTILINE)
_FLYWAY_V = re.compile(r"^V(\d+(?:[._]\d+)*)__.+\.sql$", re.IGNORECASE)


def _sql_migration(inv: Inventory, e: FileEntry, text: str, paths: set[str], judge: _MigrationJudge) -> Optional[list[Finding]]:
    """Findings for one SQL file, or None when it follows no convention we know."""
    name = e.name
    if name.lower().endswith(".up.sql"):
        down_path = e.path[: -len(".up.sql")] + ".down.sql"
        if down_path not in paths:
            why = " (it was skipped: see skipped paths)" if inv.was_skipped(down_path) else ""
            return [judge.irreversible(e.path, 1, f"no down migration {PurePosixPath(down_path).name}{why}")]
        down_entry = inv.get(down_path)
        down_text = read_text_or_none(inv, down_entry) if down_entry is not None else None
        if down_text is None or not script_has_content(down_text, down_path):
            return [judge.irreversible(down_path, 1, "the down migration is empty or only comments")]
        return []
    up = _DBMATE_UP.search(text)
    if up:
        down = _DBMATE_DOWN.search(text)
        line_up = text.count("\n", 0, up.start()) + 1
        if down is None:
            return [judge.irreversible(e.path, line_up, "no `-- migrate:down` / `-- +goose Down` section")]
        # The down section runs from its marker to the next up marker (or the end).
        nxt = _DBMATE_UP.search(text, down.end())
        section = text[down.end(): nxt.start() if nxt and nxt.start() > down.end() else len(text)]
        if not script_has_content(section, e.path):
            return [judge.irreversible(e.path, text.count("\n", 0, down.start()) + 1, "the down section is empty")]
        return []
    m = _FLYWAY_V.match(name)
    if m:
        version = m.group(1)
        folder = str(PurePosixPath(e.path).parent)
        undo = re.compile(rf"^U{re.escape(version)}__.+\.sql$", re.IGNORECASE)
        if not any(undo.match(PurePosixPath(p).name) and str(PurePosixPath(p).parent) == folder for p in paths):
            return [judge.irreversible(e.path, 1,
                                       f"Flyway migration V{version} has no undo migration U{version}__*.sql")]
        return []
    return None
