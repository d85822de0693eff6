"""Benchmark (docs/performance.md, part b): the ``secrets`` check vs. plain ``detect-secrets scan --all-files``.

Builds a corpus from the source of readiness-gate's own installed dependencies (the virtual
environment's ``site-packages``: real code no one here wrote, reproducible from the pinned
versions) as a git repository outside the work tree, then measures, side by side:

* ``detect-secrets scan --all-files`` with the same plugin and filter flags the check uses
  (``gate.secrets.engine.SCAN_FLAGS``; ``.git/`` excluded, as the inventory never scans it);
* the ``secrets`` check, cold (no cache) and warm (``--cache-dir`` filled by the cold run);

and asserts that the findings (file, line, type) — and their hashed secrets — are identical.

Usage::

    python benchmarks/secrets_bench.py [--corpus /tmp/rg-secrets-corpus] [--mb 26] [--jobs 0]

Prints wall times, CPU times of child processes, the ratio, and the prefilter's counters.
Exit status 0 when the findings are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from gate.checks.interface import RunOptions, check_context
from gate.checks.secrets import SecretsCheck
from gate.config import build_config
from gate.inventory import build_inventory
from gate.scanners.process import find_tool
from gate.secrets import engine
from gate.secrets.types import secret_type

SKIP_TOP = {"semgrep"}
"""Left out of the corpus: semgrep's wheel is ~270 MB of native binaries, not source."""


def build_corpus(dest: Path, megabytes: float) -> tuple[int, int]:
    """Copy site-packages top-level entries (sorted by name) until ``megabytes`` of files; git-commit.

    Skips ``__pycache__``, ``*.pyc``, shared objects, symlinks and files over 2 MiB (the
    inventory's default size cap), so both scanners see the same files.
    """
    src = Path(sysconfig.get_paths()["purelib"])
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    total = count = 0
    for top in sorted(os.listdir(src)):
        if top in SKIP_TOP or top.startswith("__") or top.startswith("_virtualenv") or total >= megabytes * 1e6:
            continue
        p = src / top
        files = [p] if p.is_file() else [Path(r) / f for r, _, fs in os.walk(p) for f in fs
                                         if "__pycache__" not in r]
        for f in sorted(files):
            if f.suffix == ".pyc" or ".so" in f.name or f.is_symlink() or f.stat().st_size > 2 * 1024 * 1024:
                continue
            out = dest / f.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, out)
            total += f.stat().st_size
            count += 1
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True, env=env)
    (dest / ".git" / "info" / "exclude").write_text("")
    subprocess.run(["git", "-C", str(dest), "add", "-A", "-f"], check=True, env=env)
    subprocess.run(["git", "-C", str(dest), "commit", "-q", "-m", "corpus"], check=True, env=env)
    return count, total


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def plain_scan(corpus: Path) -> tuple[set, float, float]:
    """Run plain detect-secrets; return (findings, wall s, cpu s)."""
    exe = find_tool("detect-secrets")
    cpu0, t0 = _children_cpu(), time.monotonic()
    out = subprocess.run([exe, "scan", "--all-files", *engine.SCAN_FLAGS, "--exclude-files", r"(^|/)\.git/", "."],
                         cwd=corpus, capture_output=True, text=True, check=True,
                         env={**os.environ, **engine.TOOL_ENV})
    wall, cpu = time.monotonic() - t0, _children_cpu() - cpu0
    data = json.loads(out.stdout)
    found = {(f, item["line_number"], secret_type(item["type"]).id, item["hashed_secret"])
             for f, items in data["results"].items() for item in items}
    return found, wall, cpu


def check_scan(corpus: Path, cache_dir: str | None, jobs: int) -> tuple[set, float, float, dict]:
    """Run the secrets check (inventory included); return (findings, wall s, cpu s, stats)."""
    cpu0, scpu0, t0 = _children_cpu(), _self_cpu(), time.monotonic()
    config = build_config(None, None)
    inventory = build_inventory(corpus, max_file_size=config.max_file_size)
    check = SecretsCheck()
    result = check.run(check_context(check, inventory, config, options=RunOptions(cache_dir=cache_dir, jobs=jobs)))
    wall = time.monotonic() - t0
    cpu = (_children_cpu() - cpu0) + (_self_cpu() - scpu0)
    if result.status.value == "error":
        raise SystemExit(f"the check errored: {result.summary}")
    found = {(f.path, f.line, f.rule, f.fingerprint) for f in result.findings}
    return found, wall, cpu, {"evidence": list(result.evidence), "inventory_files": len(inventory),
                              "not_scanned": [(s.path, s.reason) for s in result.skipped]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "rg-secrets-corpus"))
    ap.add_argument("--mb", type=float, default=26.0, help="corpus size in MB (default 26)")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--reuse", action="store_true", help="reuse an existing corpus directory")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    if not (args.reuse and corpus.is_dir()):
        n, size = build_corpus(corpus, args.mb)
        print(f"corpus: {corpus} — {n} files, {size / 1e6:.1f} MB (site-packages of {sys.prefix})")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"detect-secrets {engine._inprocess_version()}")
    plain, p_wall, p_cpu = plain_scan(corpus)
    print(f"plain  detect-secrets scan --all-files : {p_wall:7.2f} s wall, {p_cpu:7.2f} s CPU, "
          f"{len(plain)} findings")
    cache_dir = tempfile.mkdtemp(prefix="rg-secrets-cache-")
    try:
        cold, c_wall, c_cpu, stats = check_scan(corpus, cache_dir, args.jobs)
        print(f"secrets check, cold cache             : {c_wall:7.2f} s wall, {c_cpu:7.2f} s CPU, "
              f"{len(cold)} findings")
        warm, w_wall, w_cpu, _ = check_scan(corpus, cache_dir, args.jobs)
        print(f"secrets check, warm cache             : {w_wall:7.2f} s wall, {w_cpu:7.2f} s CPU, "
              f"{len(warm)} findings")
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"ratio plain/check: cold {p_wall / c_wall:.1f}x wall ({p_cpu / max(c_cpu, 1e-9):.1f}x CPU), "
          f"warm {p_wall / w_wall:.1f}x wall")
    print(f"check evidence (cold): {'; '.join(stats['evidence'])}")
    not_scanned = stats["not_scanned"]
    if not_scanned:
        print(f"files the check did not scan (listed as skipped): {len(not_scanned)}, e.g. {not_scanned[:3]}")
    ok = True
    for name, got in (("cold", cold), ("warm", warm)):
        missing, extra = plain - got, got - plain
        if missing or extra:
            ok = False
            print(f"DIFFERENT ({name}): {len(missing)} only in plain, {len(extra)} only in the check")
            for item in sorted(missing)[:10]:
                print("  only plain:", item[:3])
            for item in sorted(extra)[:10]:
                print("  only check:", item[:3])
    if ok:
        print(f"identical findings (file, line, type id, hashed secret): {len(plain)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
