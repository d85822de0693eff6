"""What the ``observability`` check's one pass collects: evidence notes per part, and the
libraries only declared in a dependency manifest."""

from __future__ import annotations

from dataclasses import dataclass, field

PARTS = ("structured-logging", "metrics", "health-endpoint", "alerts")
"""The four parts, in report order."""

MAX_NOTES = 3
"""Evidence lines kept per part."""



@dataclass
class Found:
    """What the single pass collected."""

    evidence: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PARTS})
    declared: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PARTS})

    def add(self, part: str, note: str) -> None:
        if len(self.evidence[part]) < MAX_NOTES:
            self.evidence[part].append(note)

    def has(self, part: str) -> bool:
        return bool(self.evidence[part])

    def wants(self, part: str) -> bool:
        """True while ``part`` has room for another note (saves computing line numbers)."""
        return len(self.evidence[part]) < MAX_NOTES



def line_of(text: str, pos: int) -> int:
    """1-based line of character offset ``pos``."""
    return text.count("\n", 0, pos) + 1


