"""Accuracy benchmark: readiness-gate's verdicts against hand inventories of real repositories.

Usage (from the repository root, with the project's venv)::

    python benchmarks/accuracy/run.py [--mirror-dir /work/.mirror] [--workdir DIR] [--only A,B]
                                      [--osv-db PATH] [--json-output FILE] [--keep]
                                      [--kingfisher BIN]

For each inventory in ``benchmarks/accuracy/inventories/*.yml`` (format: ``README.md`` beside
this file) it writes the pinned commit of the repository from its git directory under
``--mirror-dir`` into ``WORKDIR/repos/NAME`` (``materialize.py``: ``git cat-file``, nothing from
the repository runs), writes the inventory's ``readiness`` block as a readiness.yml outside the
repository, runs ``readiness-gate check --format json --config CFG --osv-db DB`` on it (one
repository at a time: the machine is shared), and compares:

* per check over the corpus: true/false positives and negatives and verdict agreement;
* every required check that passed (or was skipped) although its inventory verdict is ``fail``
  (a false PASS);
* rule-level expectations (``expect`` / ``expect_not``) that did not hold;
* for ``secrets``: blocking findings, how many match a real credential of the inventory by path
  and line, precision of the blocking findings and recall of the real credentials;
* with ``--kingfisher BIN``: Kingfisher's findings (``--no-validate``) per repository beside those.

It is a measurement: exit status 0 whatever the numbers (2 only for bad arguments). Secret
values are never printed: findings are shown by path, line and rule.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
from materialize import GIT_ENV, commit_tree, git_dir_for, has_commit, materialize  # noqa: E402

CHECK_IDS = (
    "secrets", "dependencies", "insecure-patterns", "dependency-updates", "security-policy",
    "error-handling", "observability", "deploy-pipeline", "rollback", "backups", "load-test",
    "runbooks", "ownership", "operations-docs",
)
"""The 14 check ids, in the order of ``readiness-gate list-checks`` (README "What it checks")."""

SHORT = {
    "secrets": "secr", "dependencies": "deps", "insecure-patterns": "insp", "dependency-updates": "dupd",
    "security-policy": "spol", "error-handling": "errh", "observability": "obsv",
    "deploy-pipeline": "depl", "rollback": "rolb", "backups": "bkup", "load-test": "load",
    "runbooks": "runb", "ownership": "ownr", "operations-docs": "odoc",
}

ADVISORY_DB = ("pypa/advisory-database", "3ccb612573e2511ab5cad7dafecd838605c80cda")
"""The PyPA advisory database snapshot (2024-10-10) the inventories judge dependencies against."""

POSITIVE = {"fail", "error", "deferred"}
"""Statuses that report a problem (README "Statuses": error and deferred both count as failing)."""


@dataclass
class RepoResult:
    """One repository's run: its inventory, the gate's report (or why there is none) and timing."""

    name: str
    inventory: dict[str, Any]
    report: Optional[dict[str, Any]] = None
    problem: str = ""
    seconds: float = 0.0
    exit_code: Optional[int] = None
    missing_blobs: list[str] = field(default_factory=list)
    kingfisher: Optional[dict[str, Any]] = None

    def check(self, cid: str) -> Optional[dict[str, Any]]:
        """The report's check ``cid`` (dict from the JSON report), or None."""
        if not self.report:
            return None
        for gate in self.report.get("gates", []):
            for check in gate.get("checks", []):
                if check.get("id") == cid:
                    return check
        return None


def load_inventories(only: Optional[set[str]]) -> list[dict[str, Any]]:
    """Read ``inventories/*.yml``; raise ``SystemExit(2)`` on a malformed one."""
    out = []
    for path in sorted((HERE / "inventories").glob("*.yml")):
        inv = yaml.safe_load(path.read_text(encoding="utf-8"))
        problems = []
        if inv.get("schema") != 1:
            problems.append("schema is not 1")
        if set(inv.get("checks", {})) != set(CHECK_IDS):
            problems.append("checks must list the 14 check ids exactly")
        for cid, entry in inv.get("checks", {}).items():
            if entry.get("verdict") not in ("pass", "fail", "skip"):
                problems.append(f"checks.{cid}.verdict must be pass, fail or skip")
        if len(str(inv.get("commit", ""))) != 40:
            problems.append("commit must be 40 hex digits")
        if problems:
            raise SystemExit(f"{path}: " + "; ".join(problems))
        if only and inv["name"] not in only:
            continue
        out.append(inv)
    return out


def _rfc3339(value: Any) -> str:
    """JSON encoder for the timestamps YAML parses (OSV wants RFC 3339, e.g. ``2023-11-16T18:15:00Z``)."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def build_osv_db(mirror: Path, dest: Path) -> tuple[Optional[Path], str]:
    """Write the PyPA advisory database snapshot as OSV JSON records into ``dest``.

    Returns ``(dest, description)`` or ``(None, why not)`` when the mirror lacks it.
    """
    slug, commit = ADVISORY_DB
    git_dir = git_dir_for(mirror, slug)
    if git_dir is None or not has_commit(git_dir, commit):
        return None, f"{slug}@{commit[:12]} not in {mirror}"
    if dest.is_dir() and (dest / ".complete").is_file():
        return dest, f"{slug}@{commit[:12]} ({len(list(dest.glob('*.json')))} records, cached)"
    shutil.rmtree(dest, ignore_errors=True)
    tree = Path(tempfile.mkdtemp(prefix="advisories-"))
    try:
        materialize(git_dir, commit, tree / "db")
        dest.mkdir(parents=True)
        n = 0
        for record in sorted((tree / "db" / "vulns").glob("*/*.yaml")):
            data = yaml.safe_load(record.read_text(encoding="utf-8"))
            (dest / f"{data['id']}.json").write_text(json.dumps(data, default=_rfc3339), encoding="utf-8")
            n += 1
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    (dest / ".complete").write_text(commit, encoding="utf-8")
    return dest, f"{slug}@{commit[:12]} ({n} records)"


def prepare_repo(inv: dict[str, Any], mirror: Path, repos: Path) -> tuple[Optional[Path], str, list[str]]:
    """Materialize ``inv``'s commit into ``repos/NAME`` (reused when already there).

    Returns ``(path, "", missing_blobs)`` or ``(None, reason, [])``.
    """
    git_dir = git_dir_for(mirror, inv["repo"])
    if git_dir is None:
        return None, f"no git directory for {inv['repo']} under {mirror} (git clone {inv['url']})", []
    if not has_commit(git_dir, inv["commit"]):
        return None, f"{inv['repo']}: commit {inv['commit'][:12]} not in {git_dir} (git fetch it)", []
    dest = repos / inv["name"]
    marker = repos / f".{inv['name']}.commit"
    if dest.is_dir() and marker.is_file():
        meta = json.loads(marker.read_text(encoding="utf-8"))
        if meta.get("commit") == inv["commit"]:
            return dest, "", meta.get("missing", [])
    shutil.rmtree(dest, ignore_errors=True)
    done = materialize(git_dir, inv["commit"], dest)
    commit_tree(dest)
    marker.write_text(json.dumps({"commit": inv["commit"], "missing": done.missing}), encoding="utf-8")
    return dest, "", done.missing


def gate_command() -> list[str]:
    """The readiness-gate CLI of the running interpreter's environment."""
    exe = Path(sys.executable).parent / "readiness-gate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gate"]


def run_gate(inv: dict[str, Any], path: Path, work: Path, osv_db: Path) -> tuple[Optional[dict], str, float, int]:
    """Run ``readiness-gate check`` on ``path``; return ``(report, problem, seconds, exit code)``."""
    cfg = work / "configs" / f"{inv['name']}.yml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    readiness = {"version": 1, **(inv.get("readiness") or {})}
    cfg.write_text(yaml.safe_dump(readiness, sort_keys=False), encoding="utf-8")
    out = work / "reports" / f"{inv['name']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off",
               PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
    argv = [*gate_command(), "check", str(path), "--config", str(cfg), "--format", "json",
            "--output", str(out), "--osv-db", str(osv_db)]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds = time.monotonic() - start
    if not out.is_file() or out.stat().st_size == 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return None, f"no report (exit {proc.returncode}): {' | '.join(tail)[:300]}", seconds, proc.returncode
    try:
        return json.loads(out.read_text(encoding="utf-8")), "", seconds, proc.returncode
    except json.JSONDecodeError as exc:
        return None, f"report is not JSON: {exc}", seconds, proc.returncode


def run_kingfisher(binary: str, inv: dict[str, Any], path: Path, work: Path) -> dict[str, Any]:
    """Run Kingfisher on the materialized repository; never validates (``--no-validate``).

    Returns ``{"findings": n, "real": n, "credentials": n, "seconds": s}`` or ``{"problem": why}``.
    Kingfisher (MongoDB's secret scanner, ``pip install kingfisher-bin`` in a throwaway venv) is
    the peer scanner the secrets check is compared with; values are redacted (``--redact``) and
    only counted here. A credential counts as found when a finding is at its path and line.
    """
    out = work / "kingfisher" / f"{inv['name']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    argv = [binary, "scan", str(path), "--no-validate", "--git-history", "none", "--format", "json",
            "--redact", "--no-update-check", "-j", "1", "-o", str(out)]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    try:
        doc = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return {"problem": f"exit {proc.returncode}, no JSON report ({exc.__class__.__name__})"}
    hits = set()
    findings = doc.get("findings", []) or []
    for item in findings:
        fnd = item.get("finding", {})
        try:
            rel = str(Path(fnd.get("path", "")).resolve().relative_to(path.resolve()))
        except ValueError:
            rel = fnd.get("path", "")
        hits.add((rel, fnd.get("line")))
    creds = inv.get("credentials") or []
    real = sum(1 for c in creds if (c["path"], int(c["line"])) in hits)
    return {"findings": len(findings), "real": real, "credentials": len(creds), "seconds": seconds}


def classify(truth: str, status: Optional[str]) -> str:
    """One of TP, FP, FN, TN (or ``--`` when there is no status) for a truth and a gate status."""
    if status is None:
        return "--"
    positive = status in POSITIVE
    if truth == "fail":
        return "TP" if positive else "FN"
    return "FP" if positive else "TN"


def agrees(truth: str, status: Optional[str]) -> bool:
    """Verdict agreement as defined in README.md ("How it scores")."""
    if status is None:
        return False
    if truth == "fail":
        return status in POSITIVE
    if truth == "pass":
        return status == "pass"
    return status in ("skipped", "pass")


def secrets_score(res: RepoResult) -> dict[str, Any]:
    """Blocking, real, tolerated and noise findings of the secrets check, and credential recall."""
    check = res.check("secrets") or {}
    findings = check.get("findings", []) or []
    blocking = [f for f in findings if f.get("blocking")]
    creds = res.inventory.get("credentials") or []
    tolerated = res.inventory.get("tolerated") or []
    key = {(c["path"], int(c["line"])) for c in creds}
    tol = {(t["path"], int(t["line"])) for t in tolerated}
    real = [f for f in blocking if (f.get("path"), f.get("line")) in key]
    tolerated_hits = [f for f in blocking if (f.get("path"), f.get("line")) in tol]
    noise = [f for f in blocking if f not in real and f not in tolerated_hits]
    found = {(f.get("path"), f.get("line")) for f in blocking}
    missed = [c for c in creds if (c["path"], int(c["line"])) not in found]
    return {"findings": len(findings), "blocking": len(blocking), "real": len(real),
            "tolerated": len(tolerated_hits), "noise": noise, "credentials": len(creds),
            "recalled": len(creds) - len(missed), "missed": missed}


def pct(num: int, den: int) -> str:
    """``num/den`` as a percentage with one decimal, or ``n/a``."""
    return f"{100.0 * num / den:5.1f}%" if den else "  n/a"


def print_matrix(results: Sequence[RepoResult]) -> None:
    """Per repository and check: truth/gate, marked ``!`` where they disagree."""
    letter = {"pass": "P", "fail": "F", "skip": "S", "skipped": "S", "error": "E", "deferred": "D"}
    print("Verdicts per repository (truth/gate; P pass, F fail, S skip, E error; ! = disagreement)")
    head = f"{'repository':28}" + "".join(f"{SHORT[c]:>6}" for c in CHECK_IDS) + "  agree"
    print(head)
    print("-" * len(head))
    for res in results:
        if not res.report:
            print(f"{res.name:28}  {res.problem}")
            continue
        cells, ok = [], 0
        for cid in CHECK_IDS:
            truth = res.inventory["checks"][cid]["verdict"]
            status = (res.check(cid) or {}).get("status")
            agree = agrees(truth, status)
            ok += agree
            cells.append(f"{letter[truth]}/{letter.get(status, '?')}{'' if agree else '!'}".rjust(6))
        print(f"{res.name:28}" + "".join(cells) + f"  {ok:2}/14")
    print("legend: " + ", ".join(f"{SHORT[c]}={c}" for c in CHECK_IDS))


def print_per_check(results: Sequence[RepoResult]) -> tuple[int, int]:
    """TP/FP/FN/TN and agreement per check; returns (agreeing verdicts, verdicts)."""
    print("\nPer check over the corpus (positive = the check reports a problem)")
    print(f"{'check':20}{'TP':>4}{'FP':>4}{'FN':>4}{'TN':>4}{'agree':>9}  disagreements")
    total_ok = total = 0
    for cid in CHECK_IDS:
        counts = {"TP": 0, "FP": 0, "FN": 0, "TN": 0}
        ok = n = 0
        wrong = []
        for res in results:
            if not res.report:
                continue
            truth = res.inventory["checks"][cid]["verdict"]
            status = (res.check(cid) or {}).get("status")
            kind = classify(truth, status)
            if kind in counts:
                counts[kind] += 1
            n += 1
            if agrees(truth, status):
                ok += 1
            else:
                wrong.append(f"{res.name}({truth}->{status})")
        total_ok += ok
        total += n
        print(f"{cid:20}{counts['TP']:>4}{counts['FP']:>4}{counts['FN']:>4}{counts['TN']:>4}"
              f"{ok:>5}/{n:<3} {', '.join(wrong)}")
    print(f"{'all checks':20}{'':16}{total_ok:>5}/{total:<3} = {pct(total_ok, total).strip()} verdict agreement")
    return total_ok, total


def print_false_passes(results: Sequence[RepoResult]) -> int:
    """Required checks that passed (or were skipped, so did not block) although the inventory says fail."""
    rows = []
    for res in results:
        for cid in CHECK_IDS:
            check = res.check(cid)
            if not check:
                continue
            status = check.get("status")
            if res.inventory["checks"][cid]["verdict"] == "fail" and status in ("pass", "skipped") and check.get("required"):
                facts = res.inventory["checks"][cid].get("facts") or [""]
                telling = [f for f in facts if any(w in f for w in (" no ", "No ", " not ", "nothing", "without"))]
                fact = (telling or facts)[0]
                evidence = "; ".join(str(e) for e in (check.get("evidence") or [])[:3])[:160]
                rows.append(f"  {res.name}: {cid} {status}: {check.get('summary', '')[:80]}"
                            + (f"\n      gate's evidence: {evidence}" if evidence else "")
                            + f"\n      inventory: {fact[:150]}")
    print(f"\nFalse PASS of a required check (passed, or skipped so it does not block): {len(rows)}")
    for row in rows:
        print(row)
    return len(rows)


def print_secrets(results: Sequence[RepoResult]) -> dict[str, int]:
    """The secrets table and the corpus totals."""
    print("\nsecrets: blocking findings against the inventory's real credentials (matched by path and line)")
    print(f"{'repository':28}{'found':>7}{'block':>7}{'real':>6}{'toler':>6}{'noise':>7}{'prec':>8}"
          f"{'creds':>7}{'recall':>9}")
    tot = {"findings": 0, "blocking": 0, "real": 0, "tolerated": 0, "noise": 0, "credentials": 0, "recalled": 0}
    details = []
    for res in results:
        if not res.report:
            continue
        s = secrets_score(res)
        for k in tot:
            tot[k] += len(s[k]) if k == "noise" else s[k]
        judged = s["blocking"] - s["tolerated"]
        print(f"{res.name:28}{s['findings']:>7}{s['blocking']:>7}{s['real']:>6}{s['tolerated']:>6}"
              f"{len(s['noise']):>7}{pct(s['real'], judged):>8}{s['credentials']:>7}"
              f"{s['recalled']:>4}/{s['credentials']:<2}{'':2}")
        for miss in s["missed"]:
            details.append(f"  MISSED {res.name}: {miss['path']}:{miss['line']} ({miss['kind']})")
        rules: dict[str, int] = {}
        for f in s["noise"]:
            rules[f.get("rule", "?")] = rules.get(f.get("rule", "?"), 0) + 1
        if rules:
            details.append(f"  noise {res.name}: " + ", ".join(f"{r} x{n}" for r, n in sorted(rules.items(), key=lambda x: -x[1])))
    judged = tot["blocking"] - tot["tolerated"]
    print(f"{'corpus':28}{tot['findings']:>7}{tot['blocking']:>7}{tot['real']:>6}{tot['tolerated']:>6}"
          f"{tot['noise']:>7}{pct(tot['real'], judged):>8}{tot['credentials']:>7}"
          f"{tot['recalled']:>4}/{tot['credentials']:<2}")
    print(f"precision of blocking findings (real / (blocking - tolerated)): {pct(tot['real'], judged).strip()};"
          f" recall of real credentials (blocking): {pct(tot['recalled'], tot['credentials']).strip()}")
    for line in details:
        print(line)
    return tot


def print_expectations(results: Sequence[RepoResult]) -> int:
    """Rule-level expectations (``expect``/``expect_not``) that did not hold."""
    rows = []
    for res in results:
        for cid in CHECK_IDS:
            check = res.check(cid)
            entry = res.inventory["checks"][cid]
            if not check or check.get("status") in ("skipped", "error"):
                continue
            rules = {f.get("rule") for f in check.get("findings", []) or []}
            for rule in entry.get("expect") or []:
                if rule not in rules:
                    rows.append(f"  {res.name}: {cid} did not report {rule}")
            for rule in entry.get("expect_not") or []:
                if rule in rules:
                    rows.append(f"  {res.name}: {cid} reported {rule}, which the inventory rules out")
    print(f"\nRule-level expectations not met: {len(rows)}")
    for row in rows:
        print(row)
    return len(rows)


def print_kingfisher(results: Sequence[RepoResult]) -> None:
    """Kingfisher's findings per repository beside the gate's blocking secrets findings."""
    print("\nKingfisher (--no-validate) beside the gate's secrets check")
    print(f"{'repository':28}{'kingfisher':>11}{'real':>6}{'gate block':>11}{'gate real':>10}{'creds':>7}")
    tk = tr = tg = tgr = tc = 0
    for res in results:
        kf = res.kingfisher
        if not kf or not res.report:
            continue
        if "problem" in kf:
            print(f"{res.name:28}  {kf['problem']}")
            continue
        s = secrets_score(res)
        print(f"{res.name:28}{kf['findings']:>11}{kf['real']:>6}{s['blocking']:>11}{s['real']:>10}{kf['credentials']:>7}")
        tk, tr, tg, tgr, tc = tk + kf["findings"], tr + kf["real"], tg + s["blocking"], tgr + s["recalled"], tc + kf["credentials"]
    print(f"{'corpus':28}{tk:>11}{tr:>6}{tg:>11}{tgr:>10}{tc:>7}   (real = credentials found at their line)")


def print_errors(results: Sequence[RepoResult]) -> None:
    """Checks that ended in ``error`` (they count as positives but deserve a look)."""
    rows = []
    for res in results:
        for cid in CHECK_IDS:
            check = res.check(cid)
            if check and check.get("status") == "error":
                rows.append(f"  {res.name}: {cid}: {check.get('summary', '')[:140]}")
    if rows:
        print(f"\nChecks that could not run (status error): {len(rows)}")
        for row in rows:
            print(row)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; see the module docstring. Returns 0 (a measurement), 2 on bad arguments."""
    ap = argparse.ArgumentParser(description="readiness-gate accuracy benchmark (hand inventories)")
    ap.add_argument("--mirror-dir", default=os.environ.get("ACCURACY_MIRROR_DIR", "/work/.mirror"),
                    help="directory of git dirs named OWNER+NAME (default /work/.mirror)")
    ap.add_argument("--workdir", help="where repositories, configs and reports go (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    ap.add_argument("--only", help="comma-separated inventory names to run")
    ap.add_argument("--osv-db", help="OSV records (directory of *.json or all.zip) instead of the PyPA snapshot")
    ap.add_argument("--kingfisher", metavar="BIN",
                    help="also run this Kingfisher binary (--no-validate) on each repository and count its findings")
    ap.add_argument("--json-output", help="write the per-repository results as JSON to this file")
    args = ap.parse_args(argv)

    mirror = Path(args.mirror_dir)
    only = {n.strip() for n in args.only.split(",")} if args.only else None
    inventories = load_inventories(only)
    if not inventories:
        print("no inventory selected", file=sys.stderr)
        return 2
    temp = args.workdir is None
    work = Path(args.workdir or tempfile.mkdtemp(prefix="rg-accuracy-")).resolve()
    if REPO in work.parents or work == REPO:
        print("--workdir must be outside the project tree", file=sys.stderr)
        return 2
    work.mkdir(parents=True, exist_ok=True)

    if args.osv_db:
        osv_db, osv_note = Path(args.osv_db), f"{args.osv_db} (given)"
    else:
        osv_db, osv_note = build_osv_db(mirror, work / "osv-db")
        if osv_db is None:
            osv_db = REPO / "examples" / "osv-db"
            osv_note = (f"examples/osv-db (fallback: {osv_note}); dependencies verdicts are NOT comparable "
                        "with the inventories")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    gate_version = subprocess.run([*gate_command(), "--version"], capture_output=True, text=True,
                                  check=False).stdout.strip() or "?"
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False, env=dict(os.environ, **GIT_ENV)).stdout.strip()
    print(f"readiness-gate accuracy benchmark: {len(inventories)} repositories; gate {gate_version} at {head}")
    print(f"advisories: {osv_note}; workdir: {work}; load average {load:.2f}")

    results: list[RepoResult] = []
    for inv in inventories:
        res = RepoResult(inv["name"], inv)
        path, problem, missing = prepare_repo(inv, mirror, work / "repos")
        res.missing_blobs = missing
        if path is None:
            res.problem = problem
        else:
            res.report, res.problem, res.seconds, res.exit_code = run_gate(inv, path, work, osv_db)
            if args.kingfisher:
                res.kingfisher = run_kingfisher(args.kingfisher, inv, path, work)
        absent = f"; {len(missing)} blob(s) absent from the snapshot" if missing else ""
        state = res.problem or f"exit {res.exit_code}, {res.seconds:.1f} s{absent}"
        print(f"  {inv['name']:28} {inv['repo']}@{inv['commit'][:12]}: {state}", flush=True)
        results.append(res)

    print()
    print_matrix(results)
    agree, total = print_per_check(results)
    false_passes = print_false_passes(results)
    tot = print_secrets(results)
    unmet = print_expectations(results)
    if args.kingfisher:
        print_kingfisher(results)
    print_errors(results)
    print(f"\nSummary: verdict agreement {agree}/{total} ({pct(agree, total).strip()}); false PASS {false_passes}; "
          f"secrets precision {pct(tot['real'], tot['blocking'] - tot['tolerated']).strip()}, "
          f"recall {tot['recalled']}/{tot['credentials']}; rule expectations unmet {unmet}")

    if args.json_output:
        doc = []
        for res in results:
            row: dict[str, Any] = {"name": res.name, "repo": res.inventory["repo"], "commit": res.inventory["commit"],
                                   "problem": res.problem, "seconds": round(res.seconds, 1),
                                   "exit_code": res.exit_code, "checks": {}}
            for cid in CHECK_IDS:
                check = res.check(cid) or {}
                row["checks"][cid] = {"truth": res.inventory["checks"][cid]["verdict"], "status": check.get("status"),
                                      "rules": sorted({f.get("rule") for f in check.get("findings", []) or []})}
            if res.report:
                s = secrets_score(res)
                row["secrets"] = {k: (len(v) if k == "noise" else v) for k, v in s.items() if k != "missed"}
            if res.kingfisher:
                row["kingfisher"] = res.kingfisher
            doc.append(row)
        Path(args.json_output).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    if temp and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
