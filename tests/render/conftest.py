"""Test configuration for the renderer tests: makes ``render_fixtures`` importable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
