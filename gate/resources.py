"""Where the shipped policy files live (schemas, profiles, check metadata, semgrep rules).

In a wheel, ``policies/`` is packaged as ``gate/_policies`` (``pyproject.toml``,
``force-include``); in a source checkout or editable install it is the ``policies/`` folder
beside ``gate/``.
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def policies_dir() -> Path:
    """Absolute path of the policies folder.

    Raises:
        FileNotFoundError: neither location exists (a broken install).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_policies", here.parent / "policies"):
        if (candidate / "readiness.schema.json").is_file():
            return candidate
    raise FileNotFoundError(
        "readiness-gate's policies folder is missing (looked in gate/_policies and policies/); "
        "reinstall readiness-gate"
    )


def policy_file(*parts: str) -> Path:
    """Path of a file under the policies folder, e.g. ``policy_file("profiles", "default.yml")``."""
    return policies_dir().joinpath(*parts)
