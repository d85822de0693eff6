"""A check that raises, used to prove a crashing check becomes ``error`` (not a pass)."""

from gate.checks.interface import Check, CheckContext
from gate.model import CheckResult, Status


class RaisingCheck(Check):
    """Pretends to be ``security-policy`` and raises with a secret-looking message."""

    id = "security-policy"

    def run(self, context: CheckContext) -> CheckResult:
        raise RuntimeError("boom while reading token=ghp_" + "A" * 36)


class DeferredReturningCheck(Check):
    """A buggy check that returns ``deferred`` itself (only the runner may decide that)."""

    id = "security-policy"

    def run(self, context: CheckContext) -> CheckResult:
        return CheckResult(Status.DEFERRED, "I decided myself")
