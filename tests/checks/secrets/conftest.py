"""Make ``secret_samples`` (synthetic tokens built at test time) importable in this package."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
