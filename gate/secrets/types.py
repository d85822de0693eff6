"""Stable ids and severities for the secret types detect-secrets reports.

detect-secrets names a finding's type with a display string (``"GitHub Token"``); reports use
a stable kebab-case id instead (``github-token``, ``docs/architecture.md``: display text is not an
identifier). The table is literal so ids never change when detect-secrets rewords a name; a type
missing from it (a newer detect-secrets) gets a derived id from :func:`slug`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate.model import Severity


@dataclass(frozen=True)
class SecretType:
    """One secret type: its detect-secrets display name, our id and severity."""

    name: str
    """detect-secrets' ``secret_type`` (as written in baselines)."""
    id: str
    """Stable kebab-case id used as the finding's rule."""
    severity: Severity
    """HIGH for credentials recognised by their format (almost never false positives); MEDIUM
    for heuristic detectors (keyword assignments, entropy, URLs with passwords) which are often
    test data or hashes; LOW for public IPv4 addresses (exposure, not a credential)."""


_H, _M, _L = Severity.HIGH, Severity.MEDIUM, Severity.LOW

SECRET_TYPES: tuple[SecretType, ...] = (
    # detect-secrets 1.5.0 built-in plugins (``secret_type`` of each file in detect_secrets/plugins).
    SecretType("Artifactory Credentials", "artifactory-credentials", _H),
    SecretType("AWS Access Key", "aws-access-key", _H),
    SecretType("Azure Storage Account access key", "azure-storage-key", _H),
    SecretType("Base64 High Entropy String", "base64-high-entropy-string", _M),
    SecretType("Basic Auth Credentials", "basic-auth-credentials", _M),
    SecretType("Cloudant Credentials", "cloudant-credentials", _H),
    SecretType("Discord Bot Token", "discord-bot-token", _H),
    SecretType("GitHub Token", "github-token", _H),
    SecretType("GitLab Token", "gitlab-token", _H),
    SecretType("Hex High Entropy String", "hex-high-entropy-string", _M),
    SecretType("IBM Cloud IAM Key", "ibm-cloud-iam-key", _H),
    SecretType("IBM COS HMAC Credentials", "ibm-cos-hmac-credentials", _H),
    SecretType("Public IP (ipv4)", "public-ipv4", _L),
    SecretType("JSON Web Token", "json-web-token", _H),
    SecretType("Secret Keyword", "secret-keyword", _M),
    SecretType("Mailchimp Access Key", "mailchimp-access-key", _H),
    SecretType("NPM tokens", "npm-token", _H),
    SecretType("OpenAI Token", "openai-token", _H),
    SecretType("Private Key", "private-key", _H),
    SecretType("PyPI Token", "pypi-token", _H),
    SecretType("SendGrid API Key", "sendgrid-api-key", _H),
    SecretType("Slack Token", "slack-token", _H),
    SecretType("SoftLayer Credentials", "softlayer-credentials", _H),
    SecretType("Square OAuth Secret", "square-oauth-secret", _H),
    SecretType("Stripe Access Key", "stripe-access-key", _H),
    SecretType("Telegram Bot Token", "telegram-bot-token", _H),
    SecretType("Twilio API Key", "twilio-api-key", _H),
    # readiness-gate's own plugins (gate/secrets/plugins.py).
    SecretType("GitHub Fine-Grained Token", "github-fine-grained-token", _H),
    SecretType("OpenAI Project Key", "openai-project-key", _H),
    SecretType("Anthropic API Key", "anthropic-api-key", _H),
    SecretType("Slack App Token", "slack-app-token", _H),
    SecretType("Google API Key", "google-api-key", _H),
    SecretType("Encrypted Private Key", "encrypted-private-key", _H),
)
"""Every secret type we know, by detect-secrets display name."""

_BY_NAME = {t.name: t for t in SECRET_TYPES}


def slug(name: str) -> str:
    """Kebab-case id derived from a display name (``"Foo Bar (x)"`` -> ``foo-bar-x``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "secret"


def secret_type(name: str) -> SecretType:
    """The :class:`SecretType` for detect-secrets display name ``name``.

    Unknown names (a newer detect-secrets) get a derived id and HIGH severity: an unknown
    detector is more likely a specific credential format than a heuristic.
    """
    known = _BY_NAME.get(name)
    if known is not None:
        return known
    return SecretType(name, slug(name), Severity.HIGH)
