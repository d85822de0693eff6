"""Planning worker: apply :mod:`gate.secrets.prefilter` to files already staged for a scan.

Run as ``python -m gate.secrets.planner STAGE_DIR reduce|whole`` with a JSON list of staged
relative paths on standard input. For each path it decides the file's plan and applies it in
place — deletes the staged copy (``skip``), rewrites it with the candidate lines (``reduced``)
or leaves it (``whole``) — and prints ``{path: [kind, [original line numbers]]}`` as JSON.

Large trees are planned by several such workers at once, each started through
:func:`gate.scanners.process.run_tool` (so each has a timeout and a failure is an error). A
worker process reads only the private staging directory, never the repository.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import PurePosixPath

from gate.secrets import prefilter


def staged_path(stage_dir: str, rel: str) -> str:
    """Absolute path of the staged copy of repository-relative ``rel``."""
    return os.path.join(stage_dir, *PurePosixPath(rel).parts)


def plan_staged(stage_dir: str, paths: list[str], reduce: bool,
                confirm: bool = True) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Plan and apply the plan for each staged path; return ``{path: (kind, lines)}``.

    ``confirm``: run the plugins' own ``analyze_line`` on candidate lines to drop those no plugin
    reports (:func:`gate.secrets.prefilter.confirmed`). Without it every candidate line is kept,
    which is still exact (detect-secrets decides) and spares importing detect-secrets into the
    calling process: worth it for a handful of files, where the import costs more than the
    lines it would save.

    Raises:
        OSError: a staged file cannot be read or rewritten.
        UnicodeDecodeError: a staged file is not UTF-8 (the engine stages only UTF-8 text).
    """
    anchors = prefilter.anchors_for(prefilter.expected_plugins()) if reduce else None
    objects = prefilter.plugin_objects_for(prefilter.expected_plugins()) if reduce and confirm else {}
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for rel in paths:
        full = staged_path(stage_dir, rel)
        with open(full, "rb") as fh:
            data = fh.read()
        plan = prefilter.plan_file(rel, data, data.decode("utf-8"), anchors, objects)
        if plan.kind == "skip":
            os.remove(full)
        elif plan.kind == "reduced":
            with open(full, "wb") as fh:
                fh.write(plan.data)
        out[rel] = (plan.kind, plan.lines)
    return out


def main(argv: list[str]) -> int:
    """Entry point: see the module docstring. Exit 0 on success, 2 on bad usage."""
    if len(argv) != 2 or argv[1] not in ("reduce", "whole") or not os.path.isdir(argv[0]):
        print("usage: python -m gate.secrets.planner STAGE_DIR reduce|whole < paths.json", file=sys.stderr)
        return 2
    paths = json.load(sys.stdin)
    result = plan_staged(argv[0], [str(p) for p in paths], argv[1] == "reduce")
    json.dump({k: [kind, list(lines)] for k, (kind, lines) in result.items()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
