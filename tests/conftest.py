"""pytest configuration shared by every test package.

Scanners that would reach the network are told not to: semgrep's version check and metrics are
off in every test process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
os.environ.setdefault("SEMGREP_SEND_METRICS", "off")

# Make ``tests.helpers`` importable as ``helpers`` from any test package.
sys.path.insert(0, str(Path(__file__).parent))
