"""Synthetic credentials of documented shapes, assembled at run time.

No literal in this file looks like a credential (prefixes are split), so the test sources do not
trip secret scanners; the values are random-looking but fixed (seeded) so fingerprints are stable.
None of them is a real credential.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
UPPER_DIGITS = string.ascii_uppercase + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def body(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    """``n`` characters of ``alphabet``, deterministic for ``seed``."""
    rng = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(n))


def sha1(value: str) -> str:
    """detect-secrets' ``hashed_secret`` of ``value``."""
    return hashlib.sha1(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Sample:
    rule: str
    """Expected finding rule id."""
    value: str
    """The secret value (what must never appear in any output)."""
    line: str
    """A source line containing it."""
    hashed: bool = True
    """True when detect-secrets' hashed_secret is sha1(value) (whole match is the secret)."""


def samples() -> list[Sample]:
    """One sample per detector shape, each on its own line of Python."""
    gh = "gh" + "p_" + body(36, ALNUM, 1)
    ghs = "gh" + "s_" + body(36, ALNUM, 2)
    fine = "github" + "_pat_" + body(22, ALNUM, 3) + "_" + body(59, ALNUM, 4)
    openai = "sk-" + "proj-" + body(156, B64URL, 5)
    anthropic = "sk-" + "ant-" + "api03-" + body(93, B64URL, 6) + "AA"
    slack = "xo" + "xb-" + body(12, string.digits, 7) + "-" + body(13, string.digits, 8) + "-" + body(24, LOWER_DIGITS, 9)
    slack_app = "xa" + "pp-1-A" + body(10, UPPER_DIGITS, 10) + "-" + body(13, string.digits, 11) + "-" + body(64, HEX, 12)
    stripe = "sk" + "_live_" + body(24, ALNUM, 13)
    google = "AI" + "za" + body(35, B64URL, 14)
    aws = "AK" + "IA" + body(16, UPPER_DIGITS, 15)
    keyword = body(18, ALNUM, 16)
    gitlab = "gl" + "pat-" + body(20, B64URL, 17)
    gitlab_cbt = "gl" + "cbt-" + body(30, ALNUM, 18)
    out = [
        Sample("github-token", gh, f'GH = "{gh}"'),
        Sample("github-token", ghs, f'GHS = "{ghs}"'),
        Sample("github-fine-grained-token", fine, f'FINE = "{fine}"'),
        Sample("openai-project-key", openai, f'OPENAI = "{openai}"'),
        Sample("anthropic-api-key", anthropic, f'ANTHROPIC = "{anthropic}"'),
        Sample("slack-token", slack, f'SLACK = "{slack}"'),
        Sample("slack-app-token", slack_app, f'SLACK_APP = "{slack_app}"'),
        Sample("stripe-access-key", stripe, f'STRIPE = "{stripe}"'),
        Sample("google-api-key", google, f'GOOGLE = "{google}"'),
        Sample("aws-access-key", aws, f'AWS = "{aws}"'),
        Sample("gitlab-token", gitlab, f'GITLAB = "{gitlab}"'),
        Sample("gitlab-token", gitlab_cbt, f'GITLAB_CBT = "{gitlab_cbt}"'),
        Sample("secret-keyword", keyword, f'password = "{keyword}"'),
    ]
    return out


def pem(kind: str = "RSA PRIVATE KEY") -> tuple[str, str]:
    """(PEM block text, its base64 body) for a fake key of ``kind``."""
    lines = [body(64, ALNUM + "+/", 100 + i) for i in range(6)]
    dashes = "-" * 5
    text = "\n".join([f"{dashes}BEGIN {kind}{dashes}", *lines, f"{dashes}END {kind}{dashes}"])
    return text, "".join(lines)
