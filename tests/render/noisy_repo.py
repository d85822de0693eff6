"""A generated noisy repository, the kind that used to bury the PR comment: 5 blocking checks,
4 known vulnerabilities, and over 1,000 findings that do not block.

* ``secrets`` (blocking): three AWS access keys and a private key in source files (synthetic
  values of ``tests/checks/secrets/secret_samples.py``, assembled at run time);
* ``dependencies`` (blocking): four advisories of ``tests/data/osv`` through ``requests==2.19.1``
  (two), ``flask==2.2.4`` and ``urllib3==2.0.6``, audited by the real pip-audit against the
  loopback OSV server;
* ``insecure-patterns`` (blocking): ``shell=True``, ``verify=False`` and ``yaml.load``;
* ``rollback`` and ``backups`` (blocking): a database and migrations, and nothing to roll back
  or restore;
* the noise: ``error-handling`` is set to ``advisory`` and :data:`NOISE_FILES` modules call
  ``requests.get`` without a timeout :data:`CALLS_PER_FILE` times each (1,040 findings that
  do not block), and the advisory ``load-test`` fails (``Performance: PASS (1 advisory finding)``).

Every other check is switched off in the repository's ``readiness.yml``, so the five blocking
checks are exactly the ones above. Deterministic: the same tree every time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

TESTS = Path(__file__).resolve().parents[1]
for sub in ("", "checks/secrets"):
    if str(TESTS / sub) not in sys.path:
        sys.path.insert(0, str(TESTS / sub))

from helpers import TODAY, write_tree  # noqa: E402
from secret_samples import ALNUM, UPPER_DIGITS, body, pem  # noqa: E402
from servers.osv import OsvServer  # noqa: E402

from gate.checks.interface import RunOptions  # noqa: E402
from gate.config import load_config  # noqa: E402
from gate.model import Report  # noqa: E402
from gate.runner import run_gate  # noqa: E402

NOISE_FILES = 40
CALLS_PER_FILE = 26
BLOCKING = ("secrets", "dependencies", "insecure-patterns", "rollback", "backups")
"""The blocking checks, in report order."""
ADVISORIES = ("PYSEC-2018-28", "PYSEC-2023-74", "PYSEC-2023-62", "PYSEC-2023-212")
"""The four known vulnerabilities of the pinned dependencies."""

READINESS = """\
version: 1
service: {name: noisy-api}
checks:
  error-handling: {level: advisory}
  dependency-updates: {level: off}
  security-policy: {level: off}
  observability: {level: off}
  deploy-pipeline: {level: off}
  runbooks: {level: off}
  ownership: {level: off}
  operations-docs: {level: off}
"""


def _aws(seed: int) -> str:
    return "AK" + "IA" + body(16, UPPER_DIGITS, 100 + seed)


def build_noisy_repo(root: Path) -> Path:
    """Write the repository under ``root`` and return ``root``."""
    key, _ = pem("RSA PRIVATE KEY")
    files: dict[str, str] = {
        "readiness.yml": READINESS,
        "requirements.txt": "requests==2.19.1\nflask==2.2.4\nurllib3==2.0.6\nsqlalchemy==2.0.30\n",
        "app/settings.py": f"AWS_ACCESS_KEY_ID = \"{_aws(1)}\"\nAWS_SECRET_ACCESS_KEY = \"{body(40, ALNUM, 201)}\"\n",
        "app/worker.py": f"import os\n\nFALLBACK_KEY = \"{_aws(2)}\"\n",
        "scripts/upload.py": f"ACCESS_KEY = \"{_aws(3)}\"\n",
        "deploy/id_rsa": key + "\n",
        "app/shell.py": ("import subprocess\nimport requests\nimport yaml\n\n\n"
                         "def run(cmd):\n    return subprocess.call(cmd, shell=True)\n\n\n"
                         "def fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n\n\n"
                         "def load(text):\n    return yaml.load(text)\n"),
        "app/db.py": ("from sqlalchemy import create_engine\n\n"
                      "ENGINE = create_engine('postgresql://db.internal/app')\n"),
        "migrations/versions/0001_init.py": ("revision = '0001'\n\n\ndef upgrade():\n    pass\n"),
    }
    for i in range(NOISE_FILES):
        calls = "\n\n".join(f"def call_{j}(url):\n    return requests.get(url)" for j in range(CALLS_PER_FILE))
        files[f"app/clients/client_{i:02d}.py"] = "import requests\n\n\n" + calls + "\n"
    return write_tree(root, files, dedent=False)


def noisy_report(root: Path, osv: Optional[OsvServer] = None) -> Report:
    """Build the repository under ``root`` and run the real gate on it (pip-audit against
    ``osv``, or a fresh loopback OSV server of ``tests/data/osv``)."""
    build_noisy_repo(root)
    config = load_config(root, None)
    if osv is None:
        with OsvServer.from_directory() as server:
            return run_gate(root, config, options=RunOptions(today=TODAY, osv_url=server.base_url))
    return run_gate(root, config, options=RunOptions(today=TODAY, osv_url=osv.base_url))


if __name__ == "__main__":  # pragma: no cover - a manual look: python tests/render/noisy_repo.py DIR
    import tempfile

    from gate.render.json_report import report_to_dict

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    print(json.dumps(report_to_dict(noisy_report(target)), indent=1)[:2000])
