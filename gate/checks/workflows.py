"""GitHub Actions workflow files, parsed once per run for the operational checks.

``deploy-pipeline``, ``rollback`` and ``backups`` all read ``.github/workflows/*.yml``. This
module turns each file into a small typed :class:`Workflow` (triggers, jobs, ``needs``,
``environment``, ``continue-on-error``, steps with ``run``/``uses``/``name``) that keeps the
1-based line of every element, so a finding can point at the exact line.

Parsing goes through :func:`gate.config.parse_yaml`, the project's one safe YAML loader: it
bounds alias expansion (``docs/threats.md`` row 8), keeps keys as strings (YAML 1.1 would
read the key ``on`` as the boolean ``True``; GitHub reads it as the string ``on``), reports
duplicate keys (GitHub rejects them too) and records the line and column of every key. PyYAML
treats ``\\r\\n`` as one line break, so CRLF files get the same line numbers as LF files.

A workflow that does not parse, or whose shape is not a workflow (no ``jobs`` mapping), is a
:class:`WorkflowProblem`, which checks report as a finding; it never raises.

The shape followed is GitHub's "Workflow syntax for GitHub Actions" reference
(``on``, ``jobs.<job_id>.needs``, ``.environment``, ``.continue-on-error``, ``.uses``, ``.if``,
``.steps[*].run|uses|name|continue-on-error``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Mapping, Optional, Sequence

from gate.config import ConfigError, parse_yaml
from gate.inventory import Inventory, InventoryError

GITHUB_WORKFLOW_GLOBS: tuple[str, ...] = (".github/workflows/*.yml", ".github/workflows/*.yaml")
"""Where GitHub looks for workflows: only directly in ``.github/workflows`` (GitHub docs,
"About workflows"); sub-directories are not workflows. The ``rollback`` and ``backups`` checks
read these; ``deploy-pipeline`` reads its ``workflow-paths`` option."""


@dataclass(frozen=True)
class Step:
    """One ``steps[]`` entry of a job."""

    line: int
    """1-based line of the step's first key."""
    name: str = ""
    run: str = ""
    """The shell script (``run:``), ``""`` when the step uses an action."""
    uses: str = ""
    """The action reference (``uses:``), ``""`` for a ``run`` step."""
    with_text: str = ""
    """The step's ``with:`` input values joined by newlines (an action's ``args: deploy`` or
    ``command: cf push`` says what it does)."""
    continue_on_error: Any = False
    """``True``, ``False`` or an expression string (``${{ matrix.experimental }}``)."""
    continue_on_error_line: Optional[int] = None


@dataclass(frozen=True)
class Job:
    """One ``jobs.<job_id>`` entry."""

    id: str
    line: int
    """1-based line of the job id key."""
    name: str = ""
    needs: tuple[str, ...] = ()
    """Job ids this job waits for directly (``needs:`` as a string or a list)."""
    environment: Optional[str] = None
    """The environment's name (string form, or ``name`` of the mapping form), possibly an
    expression; None when the job names no environment."""
    environment_line: Optional[int] = None
    continue_on_error: Any = False
    """``True``, ``False`` or an expression string."""
    continue_on_error_line: Optional[int] = None
    condition: str = ""
    """The job's ``if:`` expression, ``""`` when none."""
    condition_line: Optional[int] = None
    uses: str = ""
    """A reusable workflow this job calls (``jobs.<id>.uses``), e.g. ``./.github/workflows/d.yml``."""
    steps: tuple[Step, ...] = ()

    @property
    def display(self) -> str:
        """``id`` or ``id ("name")`` for messages."""
        return f"{self.id} ({self.name!r})" if self.name and self.name != self.id else self.id


@dataclass(frozen=True)
class Workflow:
    """One parsed workflow file."""

    path: str
    """Repository-relative path."""
    name: str
    """The workflow's ``name:`` (``""`` when absent; GitHub then shows the path)."""
    triggers: Mapping[str, Any]
    """Event name -> its configuration (None for the short forms ``on: push`` / ``on: [a, b]``)."""
    triggers_line: Optional[int]
    """Line of the ``on:`` key, or None when absent."""
    jobs: Mapping[str, Job]
    """Job id -> job, in file order."""

    def closure(self, job_id: str) -> list[Job]:
        """Every job ``job_id`` needs, directly or transitively (not itself), in BFS order.

        Unknown ids in ``needs`` (GitHub rejects them) are ignored; cycles terminate.
        """
        out: list[Job] = []
        seen = {job_id}
        queue = list(self.jobs[job_id].needs) if job_id in self.jobs else []
        while queue:
            jid = queue.pop(0)
            if jid in seen or jid not in self.jobs:
                continue
            seen.add(jid)
            out.append(self.jobs[jid])
            queue.extend(self.jobs[jid].needs)
        return out


@dataclass(frozen=True)
class WorkflowProblem:
    """A workflow file that could not be understood (syntax error, wrong shape, unreadable)."""

    path: str
    line: Optional[int]
    message: str
    """What is wrong, without quoting file content beyond YAML's own short description."""


@dataclass(frozen=True)
class WorkflowSet:
    """All workflows of a repository matched by one set of globs."""

    workflows: tuple[Workflow, ...]
    problems: tuple[WorkflowProblem, ...]

    def by_path(self, path: str) -> Optional[Workflow]:
        """The workflow at repository-relative ``path`` (``./`` prefix allowed), or None."""
        clean = path[2:] if path.startswith("./") else path
        return next((w for w in self.workflows if w.path == clean), None)

    def by_name(self, name: str) -> list[Workflow]:
        """Workflows whose ``name:`` (or, when unnamed, whose path) equals ``name``."""
        return [w for w in self.workflows if (w.name or w.path) == name]


def _text(value: Any) -> str:
    """A scalar as text (``""`` for None, mappings and lists)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value)


def _line(positions: Mapping[str, Any], key: str) -> Optional[int]:
    loc = positions.get(key)
    return loc.line if loc is not None else None


def normalise_triggers(on: Any) -> dict[str, Any]:
    """``on:`` in any of its three forms -> ``{event: config-or-None}``.

    ``on: push`` -> ``{"push": None}``; ``on: [push, pull_request]`` -> both with None;
    a mapping is returned as a dict. Anything else (a number, null) gives ``{}``.
    """
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on if isinstance(e, (str, int, float, bool))}
    if isinstance(on, dict):
        return dict(on)
    return {}


def parse_workflow(text: str, path: str) -> "Workflow | WorkflowProblem":
    """Parse one workflow file's ``text``; ``path`` is its repository-relative path.

    Returns a :class:`WorkflowProblem` (never raises) for invalid YAML, a document that is not a
    mapping, or one without a ``jobs`` mapping.
    """
    try:
        data, positions = parse_yaml(text, path)
    except ConfigError as exc:
        first = exc.problems[0] if exc.problems else None
        message = first.message if first else "invalid YAML"
        return WorkflowProblem(path, first.line if first else None, message)
    if not isinstance(data, dict):
        return WorkflowProblem(path, 1, "not a workflow: the file is not a mapping of keys")
    # parse_yaml keeps the key ``on`` as the string "on" (YAML 1.1 loaders would give True).
    on_key = "on" if "on" in data else ("true" if "true" in data else None)
    jobs_raw = data.get("jobs")
    if not isinstance(jobs_raw, dict) or not jobs_raw:
        return WorkflowProblem(path, _line(positions, "jobs") or 1, "not a workflow: no `jobs:` mapping")
    jobs: dict[str, Job] = {}
    for jid, raw in jobs_raw.items():
        base = f"jobs.{jid}"
        if not isinstance(raw, dict):
            return WorkflowProblem(path, _line(positions, base), f"job {jid!r} is not a mapping")
        needs_raw = raw.get("needs")
        if isinstance(needs_raw, str):
            needs: tuple[str, ...] = (needs_raw,)
        elif isinstance(needs_raw, list):
            needs = tuple(n for n in needs_raw if isinstance(n, str))
        else:
            needs = ()
        env_raw = raw.get("environment")
        env = _text(env_raw.get("name")) if isinstance(env_raw, dict) else _text(env_raw)
        steps: list[Step] = []
        steps_raw = raw.get("steps")
        for i, s in enumerate(steps_raw if isinstance(steps_raw, list) else []):
            if not isinstance(s, dict):
                continue
            sb = f"{base}.steps[{i}]"
            steps.append(Step(
                line=_line(positions, sb) or _line(positions, base) or 1,
                name=_text(s.get("name")), run=_text(s.get("run")), uses=_text(s.get("uses")),
                with_text="\n".join(_text(v) for v in s["with"].values()) if isinstance(s.get("with"), dict) else "",
                continue_on_error=s.get("continue-on-error", False),
                continue_on_error_line=_line(positions, f"{sb}.continue-on-error")))
        jobs[str(jid)] = Job(
            id=str(jid), line=_line(positions, base) or 1, name=_text(raw.get("name")), needs=needs,
            environment=env.strip() or None, environment_line=_line(positions, f"{base}.environment"),
            continue_on_error=raw.get("continue-on-error", False),
            continue_on_error_line=_line(positions, f"{base}.continue-on-error"),
            condition=_text(raw.get("if")), condition_line=_line(positions, f"{base}.if"),
            uses=_text(raw.get("uses")), steps=tuple(steps))
    return Workflow(path=path, name=_text(data.get("name")),
                    triggers=normalise_triggers(data.get(on_key)) if on_key else {},
                    triggers_line=_line(positions, on_key) if on_key else None, jobs=jobs)


def load_workflows(inventory: Inventory, globs: Sequence[str]) -> WorkflowSet:
    """Parse every workflow file ``globs`` match (a check asks through
    :meth:`gate.checks.interface.CheckContext.workflows`, which parses each glob tuple once per
    run). Never raises: unreadable or invalid files are :class:`WorkflowProblem` s."""
    workflows: list[Workflow] = []
    problems: list[WorkflowProblem] = []
    for entry in inventory.glob(*globs):
        if entry.is_binary:
            problems.append(WorkflowProblem(entry.path, None, "binary file where a workflow was expected"))
            continue
        try:
            text = inventory.read_text(entry)
        except InventoryError as exc:
            problems.append(WorkflowProblem(entry.path, None, str(exc)))
            continue
        parsed = parse_workflow(text, entry.path)
        (problems if isinstance(parsed, WorkflowProblem) else workflows).append(parsed)  # type: ignore[arg-type]
    return WorkflowSet(tuple(workflows), tuple(problems))


def named_jobs(wset: WorkflowSet, name: "re.Pattern[str]") -> list[tuple[Workflow, Job, bool]]:
    """Jobs that say what they do by name: ``(workflow, job, named_by_workflow)``.

    A job qualifies when its workflow's file name or ``name:`` matches ``name`` (the first job
    that does something is taken, ``named_by_workflow`` True), or its own id or ``name:``
    matches. A job "does something" when it has a step with ``run`` or ``uses``, or calls a
    reusable workflow; an empty job is not evidence. At most one job per workflow.
    """
    out = []
    for wf in wset.workflows:
        by_wf = bool(name.search(PurePosixPath(wf.path).name) or name.search(wf.name))
        for job in wf.jobs.values():
            if not (by_wf or name.search(job.id) or name.search(job.name)):
                continue
            if job.uses.strip() or any(s.run.strip() or s.uses.strip() for s in job.steps):
                out.append((wf, job, by_wf))
                break
    return out


# --------------------------------------------------------------------------- pattern matching


def compile_patterns(patterns: Sequence[str]) -> Optional["re.Pattern[str]"]:
    """One case-insensitive regex matching any of the literal ``patterns`` as whole words.

    A pattern matches where it is not glued to a letter or digit on either side: ``deploy``
    matches ``./deploy.sh``, ``npm run deploy:prod``, ``deploy_prod.sh`` and
    ``github-pages-deploy-action`` but not ``deployment`` or ``redeployed``. Patterns are
    literals (``re.escape``), never user regexes, so no configuration can cause catastrophic
    backtracking (``docs/threats.md`` row 8). Inner whitespace matches any run of blanks
    (``kubectl  apply``). Returns None for no patterns.
    """
    parts = []
    for p in patterns:
        words = [re.escape(w) for w in str(p).split()]
        if words:
            parts.append(r"\s+".join(words))
    if not parts:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(parts) + r")(?![A-Za-z0-9])", re.IGNORECASE)


def step_matches(step: Step, pattern: Optional["re.Pattern[str]"]) -> bool:
    """True when the step's ``run``, ``uses`` or ``with:`` values match ``pattern``."""
    if pattern is None:
        return False
    return bool(pattern.search(step.run) or pattern.search(step.uses) or pattern.search(step.with_text))

