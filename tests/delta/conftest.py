"""Delta tests: the renderer fixtures (``tests/render``) and the simulated Actions runner
(``tests/github``) are importable here."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS / "render", TESTS / "github"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
