"""The dashboard tests' world: real reports of real repositories, and the sites built from them.

Three services, each checked by the real gate (``readiness-gate check``, real scanners, a
loopback OSV server, the date pinned to :data:`helpers.TODAY`):

* ``examples/ready-service`` as ``example-org/ready-service`` — ready;
* ``examples/mvp-service`` as ``example-org/mvp-service`` — not ready, ``backups`` deferred;
* a generated ``orders-api`` (``example-org/orders``, a git repository, tier-2, owned by
  ``@example-org/orders-team``): the ready example without its runbooks, covered by a deferral
  that expires 12 days after TODAY. Its first commit also lacks SECURITY.md (not ready); the
  second commit restores it (ready, with the deferral).

The two example services share the name ``payments-api``, as two repositories of one org may.
``site1`` is the dashboard of the first run, ``site2`` that of the second with ``--history site1``.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import TODAY, git_init
from servers.osv import OsvServer

from gate.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ORDERS_EXPIRY = TODAY + dt.timedelta(days=12)


def cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``readiness-gate ARGS`` in this process; ``(exit code, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def check(root: Path, repository: str, out: Path, osv: OsvServer) -> Path:
    """``readiness-gate check ROOT --repository REPOSITORY`` with the JSON report written to ``out``."""
    code, _, err = cli(["check", str(root), "--osv-url", osv.base_url, "--today", TODAY.isoformat(),
                        "--repository", repository, "--no-progress", "--format", "json", "--output", str(out)])
    assert code in (0, 1), err
    return out


def _orders_repo(root: Path) -> Path:
    shutil.copytree(EXAMPLES / "ready-service", root)
    shutil.rmtree(root / "docs" / "runbooks")
    (root / "SECURITY.md").unlink()
    cfg = (root / "readiness.yml").read_text(encoding="utf-8")
    cfg = (cfg.replace("name: payments-api", "name: orders-api").replace("tier: tier-1", "tier: tier-2")
           .replace("@example-org/payments-team", "@example-org/orders-team"))
    assert "deferrals: []" in cfg
    cfg = cfg.replace("deferrals: []", f"""deferrals:
  - check: runbooks
    reason: The runbooks move to the shared on-call wiki; the old ones were removed first.
    approved-by: "@example-org/payments-leads"
    expires: {ORDERS_EXPIRY.isoformat()}
    ticket: ORD-12
""")
    (root / "readiness.yml").write_text(cfg, encoding="utf-8")
    git_init(root)
    return root


@dataclass(frozen=True)
class Org:
    """The reports and the two sites."""

    ready: Path
    mvp: Path
    orders_v1: Path
    orders_v2: Path
    site1: Path
    site2: Path
    stderr2: str


def build_org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    tmp = tmp_path_factory.mktemp("org")
    with OsvServer.from_directory() as osv:
        ready = check(EXAMPLES / "ready-service", "example-org/ready-service", tmp / "ready.json", osv)
        mvp = check(EXAMPLES / "mvp-service", "example-org/mvp-service", tmp / "mvp.json", osv)
        repo = _orders_repo(tmp / "orders")
        v1 = check(repo, "example-org/orders", tmp / "orders-1.json", osv)
        shutil.copy(EXAMPLES / "ready-service" / "SECURITY.md", repo / "SECURITY.md")
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
                        "commit", "-q", "-m", "security policy"], check=True)
        v2 = check(repo, "example-org/orders", tmp / "orders-2.json", osv)
    site1, site2 = tmp / "site1", tmp / "site2"
    code, _, err = cli(["dashboard", str(ready), str(mvp), str(v1), "--output", str(site1),
                        "--history", str(tmp / "no-history-yet"), "--today", TODAY.isoformat()])
    assert code == 0, err
    code, _, err2 = cli(["dashboard", str(ready), str(mvp), str(v2), "--output", str(site2),
                         "--history", str(site1), "--today", TODAY.isoformat()])
    assert code == 0, err2
    return Org(ready, mvp, v1, v2, site1, site2, err2)
