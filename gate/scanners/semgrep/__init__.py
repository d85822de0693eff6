"""semgrep adapter: one scan of explicit files with our local rules, parsed and checked fail-closed.

semgrep always runs with ``--metrics=off --disable-version-check`` (plus
``SEMGREP_ENABLE_VERSION_CHECK=0`` and ``SEMGREP_SEND_METRICS=off`` in its environment), only the
rules shipped in ``policies/semgrep`` (a local directory: nothing is fetched from the registry)
and ``--json`` output. It is handed *explicit target files* from the repository inventory, never a
directory, so files the inventory skipped (symlinks leaving the tree, FIFOs, files above the size
cap) are never scanned, and neither a repository's ``.semgrepignore``/``.gitignore`` nor
semgrep's own target discovery decides what is examined (``--no-git-ignore``; explicit targets
bypass ``.semgrepignore``, which a test pins). Targets are passed as ``./<path>`` so a file named
``-rf.py`` is never read as an option, and in chunks that keep argv far below the kernel limit
(:data:`ARGV_BUDGET_BYTES`); normally that is a single run.

``--disable-nosem``: every match is reported, and :func:`nosem_suppressed` decides, with the same
rules semgrep uses (``src/reporting/Nosemgrep.ml``), which ones a ``nosemgrep`` comment *would*
hide. The checks then honour that only when readiness.yml allows inline suppressions
(``docs/threats.md`` row 12: a PR must not silence its own findings).

Fail closed (``docs/threats.md`` row 11): semgrep's documented exit codes are 0 (scan done),
1 (findings, only with ``--error``, which we do not pass), 2 (fatal error) and 3-14 (specific
failures: invalid target syntax under ``--strict``, invalid pattern, unparseable YAML, missing
config, ...; semgrep docs, "CLI reference: exit codes"). Only 0 is accepted. Even then the output
must be a JSON object with a ``results`` list, an ``errors`` list, ``paths.scanned`` and no
``skipped_rules``; every entry of ``errors[]`` is classified: a problem with one target file
(syntax error, partial parse, per-file timeout or memory limit) makes that file a named skip;
``info`` entries and semgrep's own warnings about ``nosem`` ids are ignored; anything else
(rule errors, fatal errors, unknown kinds) makes the scan fail with :class:`ToolError`. So does
a target missing from ``paths.scanned`` that no error explains (a silently dropped file).

Nothing from the scanned code reaches our output: semgrep's ``extra.lines`` is never read,
findings carry the rule's own message, and the fingerprint is a hash of the matched line.
"""
from gate.scanners.process import ToolError
from gate.scanners.semgrep.findings import SEVERITY, SemgrepMatch, nosem_suppressed
from gate.scanners.semgrep.report import EXIT_MEANINGS, HINT, FileProblem
from gate.scanners.semgrep.rules import (ARGV_BUDGET_BYTES, MAX_TOKENIZED_LINES, PREFILTER_KEY, TOOL, Condition,
                                         RuleFile, TextReader, _continues, chunk_targets, plan_runs, rule_checks,
                                         rule_files)
from gate.scanners.semgrep.run import (BASE_ARGS, ENV, RULE_TIMEOUT_S, SINGLE_JOB_BYTES, TIMEOUT_HINT, SemgrepScan,
                                       scan)

__all__ = ["ARGV_BUDGET_BYTES", "BASE_ARGS", "Condition", "ENV", "EXIT_MEANINGS", "FileProblem", "HINT",
           "MAX_TOKENIZED_LINES", "PREFILTER_KEY", "RULE_TIMEOUT_S", "RuleFile", "SEVERITY", "SINGLE_JOB_BYTES",
           "SemgrepMatch", "SemgrepScan", "TIMEOUT_HINT", "TOOL", "TextReader", "ToolError", "_continues",
           "chunk_targets", "nosem_suppressed", "plan_runs", "rule_checks", "rule_files", "scan"]
