"""``load-test``: load tests are defined in the repository, or a recent one is declared.

Source: ``docs/checks.md`` gate 6. Reads files, never runs them.

**Evidence** (any one suffices; each is listed in ``CheckResult.evidence``):

* Locust: a ``.py`` file importing ``locust`` (``locustfile.py`` or any other name);
* k6: a ``.js``/``.mjs``/``.cjs``/``.ts`` file importing ``k6`` or a ``k6/…`` module;
* Artillery: a YAML/JSON file with ``config`` → ``target`` and ``phases`` and ``scenarios``;
* JMeter: a ``.jmx`` test plan (``<jmeterTestPlan``);
* Gatling: a Scala/Java/Kotlin file importing ``io.gatling`` that defines a ``Simulation``;
* vegeta: a targets file (name contains ``vegeta`` or ``targets``) of ``METHOD http(s)://…``
  lines;
* a script or workflow running a load-test tool (:data:`LOAD_COMMANDS`: ``k6 run``,
  ``locust -f``, ``artillery run``, ``jmeter -n``, ``vegeta attack``, the k6 GitHub actions);
* ``evidence.load-tested: {date, peak}`` in readiness.yml no older than ``max-age-days``
  (default 180 in the default profile).

Load tests usually live under ``tests/`` (``tests/load/locustfile.py``), so test directories
count here; vendored code does not.

Findings: ``no-load-test``; ``load-test-stale`` for a declared date older than the limit (or in
the future), at its line in readiness.yml — blocking only when nothing in the repository shows
a load test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gate.checks.evidence import SCRIPT_SUFFIXES, command_notes, dated_evidence, is_vendored, read_text_or_none
from gate.checks.interface import Check, CheckContext, option
from gate.inventory import FileEntry
from gate.model import CheckResult, Finding, Severity

_LOCUST = re.compile(r"^\s*(?:from\s+locust(?:\.[\w.]+)?\s+import\b|import\s+locust\b)", re.MULTILINE)
_K6 = re.compile(r"""(?:\bfrom\s+|\brequire\(\s*|\bimport\s+)['"]k6(?:/[\w/.-]+)?['"]""")
_JMETER = re.compile(r"<jmeterTestPlan\b")
_GATLING = re.compile(r"^\s*import\s+(?:static\s+)?io\.gatling\.", re.MULTILINE)
_SIMULATION = re.compile(r"\bSimulation\b")
_VEGETA_TARGET = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+https?://\S+", re.MULTILINE)
_ARTILLERY = (re.compile(r"""^\s*["']?phases["']?\s*:""", re.MULTILINE),
              re.compile(r"""^\s*["']?scenarios["']?\s*:""", re.MULTILINE),
              re.compile(r"""^\s*["']?target["']?\s*:""", re.MULTILINE))

LOAD_COMMANDS = re.compile(
    r"(?<![\w-])(?:k6\s+run|k6\s+cloud|locust\s+(?:-f|--locustfile|--headless)|artillery\s+run|jmeter\s[^\n]*-n\b|"
    r"vegeta\s+attack|gatling\.sh|grafana/k6-action|grafana/run-k6-action|gatlingRun)(?![\w-])",
    re.IGNORECASE)
"""Commands and GitHub actions that run a load test."""

LOAD_KEYWORDS = ("k6", "locust", "artillery", "jmeter", "vegeta", "gatling")
"""Every match of :data:`LOAD_COMMANDS` contains one of these (lower-case)."""


def _definition(entry: FileEntry, text: str) -> str:
    """The tool ``text`` is a load-test definition for, or ``""``."""
    suffix = entry.suffix
    if suffix == ".py" and _LOCUST.search(text):
        return "locust"
    if suffix in (".js", ".mjs", ".cjs", ".ts") and _K6.search(text):
        return "k6"
    if suffix == ".jmx" and _JMETER.search(text):
        return "JMeter"
    if suffix in (".scala", ".java", ".kt") and _GATLING.search(text) and _SIMULATION.search(text):
        return "Gatling"
    if suffix in (".yml", ".yaml", ".json") and all(p.search(text) for p in _ARTILLERY):
        return "Artillery"
    name = entry.name.lower()
    if ("vegeta" in name or "targets" in name) and suffix in ("", ".txt", ".http") and _VEGETA_TARGET.search(text):
        return "vegeta"
    return ""


_SUFFIXES = frozenset({".py", ".js", ".mjs", ".cjs", ".ts", ".jmx", ".scala", ".java", ".kt",
                       ".yml", ".yaml", ".json", "", ".txt", ".http"})

_DEFINITION_LITERAL = {".py": "locust", ".js": "k6", ".mjs": "k6", ".cjs": "k6", ".ts": "k6",
                       ".jmx": "<jmeterTestPlan", ".scala": "io.gatling.", ".java": "io.gatling.",
                       ".kt": "io.gatling.", ".yml": "phases", ".yaml": "phases", ".json": "phases"}
"""A literal every definition of that file kind contains (the case-sensitive patterns of
:func:`_definition` require it): a file without it is not a definition. Files of the other kinds
(``""``, ``.txt``, ``.http``) can only be vegeta targets files, recognised by name first."""

DEFINITION_LITERALS = tuple(sorted({lit.lower() for suffix, lit in _DEFINITION_LITERAL.items()
                                    if suffix in SCRIPT_SUFFIXES}))
"""The definition literals of script kinds, lower-case, asked of the run's text index
(:class:`gate.textindex.LiteralIndex`), which the command search fills anyway."""


@dataclass(frozen=True)
class LoadTestSettings:
    """``checks.load-test`` options (defaults: ``policies/profiles/default.yml``)."""

    max_age_days: int = option("max-age-days", int)
    """Days after which a declared load test (``evidence.load-tested.date``) is stale."""


class LoadTestCheck(Check[LoadTestSettings]):
    """``load-test``: see the module docstring for what counts and each finding."""

    id = "load-test"
    settings_type = LoadTestSettings

    def index_words(self, settings: LoadTestSettings) -> frozenset[str]:
        """The load-test command keywords and the definition literals."""
        return frozenset(LOAD_KEYWORDS + DEFINITION_LITERALS)

    def run(self, context: CheckContext[LoadTestSettings]) -> CheckResult:
        inv = context.inventory
        max_age = context.settings.max_age_days
        evidence: list[str] = []
        index = context.text_index
        for e in inv.files:
            suffix = e.suffix
            if e.is_binary or suffix not in _SUFFIXES or is_vendored(e.path):
                continue
            literal = _DEFINITION_LITERAL.get(suffix)
            if literal is None:
                name = e.path.rpartition("/")[2].lower()
                if "vegeta" not in name and "targets" not in name:
                    continue  # not a definition of any kind (see _definition)
            elif suffix in SCRIPT_SUFFIXES and not index.any_of(e, frozenset((literal.lower(),))):
                continue  # the folded literal is absent, so the exact one is too
            text = read_text_or_none(inv, e)
            if not text or (literal is not None and literal not in text):
                continue
            tool = _definition(e, text)
            if tool:
                evidence.append(f"{tool} load test {e.path}")
        evidence += command_notes(inv, LOAD_COMMANDS, "load-test", LOAD_KEYWORDS, index)
        findings: list[Finding] = []
        dated = dated_evidence(
            context, "load-tested", what="load test", max_age_days=max_age, stale_rule="load-test-stale",
            remediation=self.remediation("load-test-stale", max_age_days=max_age))
        if dated.fresh:
            peak = context.config.evidence["load-tested"].get("peak")
            evidence.append(f"{dated.note}, peak {' '.join(str(peak).split())[:200]}")
        if dated.finding is not None:
            findings.append(replace(dated.finding, blocking=not evidence))
        if not evidence and not dated.declared:
            findings.append(Finding(
                "no-load-test", "No load test found: no locust, k6, Artillery, JMeter, Gatling or vegeta "
                                "definition, no load-test command, and no evidence.load-tested declaration.",
                severity=Severity.MEDIUM, remediation=self.remediation("no-load-test")))
        return CheckResult.from_findings(
            findings, pass_summary=f"load tests found ({len(evidence)} piece(s) of evidence)",
            fail_summary="no load test" if any(f.rule == "no-load-test" for f in findings) else "load test stale",
            evidence=tuple(evidence))
