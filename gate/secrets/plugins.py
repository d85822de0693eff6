"""detect-secrets plugins for token formats detect-secrets 1.5 does not know.

Loaded by detect-secrets itself (``detect-secrets scan --plugin <this file>``), so this module
may import only the standard library and detect-secrets. Each detector is a
``RegexBasedDetector``: detect-secrets' own filters, hashing and baseline format apply to its
findings exactly as to built-in ones.

What detect-secrets 1.5 already covers (checked against its source, so not repeated here):
classic GitHub tokens ``ghp_/gho_/ghu_/ghs_/ghr_`` + 36 characters (``GitHubTokenDetector``),
Slack ``xox[aboprs]-<digits>-...`` tokens and webhooks (``SlackDetector``), Stripe
``sk_live_/rk_live_`` keys (``StripeDetector``; its regex is unanchored, so longer current keys
match too), legacy OpenAI keys with the ``T3BlbkFJ`` marker (``OpenAIDetector``), and PEM
``BEGIN RSA/DSA/EC/OPENSSH/PGP PRIVATE KEY`` and ``BEGIN PRIVATE KEY`` headers
(``PrivateKeyDetector``).

Every pattern starts with a literal prefix so that :mod:`gate.secrets.prefilter` can find
candidate lines by that prefix (keep that property when adding one).

``secret_type`` strings are what detect-secrets writes into baselines: never change one
(audited baselines would stop matching).
"""

import re

from detect_secrets.plugins.base import RegexBasedDetector


class GitHubFineGrainedTokenDetector(RegexBasedDetector):
    """GitHub fine-grained personal access tokens: ``github_pat_`` + 82 word characters.

    Source: GitHub docs, "About authentication to GitHub" (token prefixes), and the format
    ``github_pat_<22 chars>_<59 chars>`` GitHub announced in 2022 ("Introducing fine-grained
    personal access tokens"); gitleaks rule ``github-fine-grained-pat``.
    """

    secret_type = "GitHub Fine-Grained Token"
    denylist = (re.compile(r"github_pat_[A-Za-z0-9_]{82}"),)


class OpenAIProjectKeyDetector(RegexBasedDetector):
    """OpenAI project, service-account and admin keys: ``sk-proj-``/``sk-svcacct-``/``sk-admin-``.

    Current keys are long base64url strings; detect-secrets' ``OpenAIDetector`` only matches
    when the 20 characters around the ``T3BlbkFJ`` marker are alphanumeric, which current keys
    (containing ``-`` and ``_``) often are not. Source: OpenAI API reference "Authentication";
    gitleaks rule ``openai-api-key``. At least 40 body characters so prose like ``sk-proj-id``
    is not matched.
    """

    secret_type = "OpenAI Project Key"
    denylist = (re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"),)


class AnthropicKeyDetector(RegexBasedDetector):
    """Anthropic API and admin keys: ``sk-ant-api03-`` / ``sk-ant-admin01-`` + 93 chars + ``AA``.

    Source: Anthropic API docs ("API keys", ``x-api-key`` header examples); gitleaks rules
    ``anthropic-api-key`` and ``anthropic-admin-api-key``.
    """

    secret_type = "Anthropic API Key"
    denylist = (re.compile(r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA"),)


class SlackAppTokenDetector(RegexBasedDetector):
    """Slack app-level tokens (``xapp-``) and token-rotation tokens (``xoxe-``/``xoxe.xox?-``).

    detect-secrets' ``SlackDetector`` matches ``xox[aboprs]-<digits>-...`` only. Source: Slack
    API docs "Token types" (app-level tokens ``xapp-1-A...-...``, refresh tokens ``xoxe-1-...``,
    rotating access tokens ``xoxe.xoxp-1-...``); gitleaks rules ``slack-app-token`` and
    ``slack-config-refresh-token``.
    """

    secret_type = "Slack App Token"
    denylist = (
        re.compile(r"xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]{20,}"),
        re.compile(r"xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{40,}"),
    )


class GoogleApiKeyDetector(RegexBasedDetector):
    """Google API keys: ``AIza`` + 35 characters of ``[0-9A-Za-z_-]``.

    Source: Google Cloud docs "Manage API keys" (keys are 39 characters starting ``AIza``);
    gitleaks rule ``gcp-api-key``.
    """

    secret_type = "Google API Key"
    denylist = (re.compile(r"AIza[0-9A-Za-z_-]{35}"),)


class EncryptedPrivateKeyDetector(RegexBasedDetector):
    """PKCS#8 encrypted private keys (``-----BEGIN ENCRYPTED PRIVATE KEY-----``).

    detect-secrets' ``PrivateKeyDetector`` looks for ``BEGIN PRIVATE KEY``, which the encrypted
    header does not contain. An encrypted key is still a key (and its passphrase is often next to
    it). Source: RFC 5958 §5 / RFC 7468 §11 (textual encoding of ``EncryptedPrivateKeyInfo``).
    """

    secret_type = "Encrypted Private Key"
    denylist = (re.compile(r"BEGIN ENCRYPTED PRIVATE KEY"),)


class GitHubTokenDetector_(RegexBasedDetector):
    """Replaces detect-secrets' ``GitHubTokenDetector`` (which is disabled in our scans).

    Same pattern and ``secret_type``, but the prefix group is non-capturing: detect-secrets
    1.5's pattern ``(ghp|gho|ghu|ghs|ghr)_...`` has a capturing group, so ``findall`` returns
    only the prefix and every classic token's ``hashed_secret`` is ``sha1("ghp")``. That makes
    the fingerprint identical for all tokens of a prefix (a baseline entry or deferral for one
    would cover every other one). Source: detect_secrets/plugins/github_token.py (1.5.0).
    """

    secret_type = "GitHub Token"
    denylist = (re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}"),)


class GitLabTokenDetector_(RegexBasedDetector):
    """Replaces detect-secrets' ``GitLabTokenDetector`` (disabled in our scans).

    Same patterns and ``secret_type`` with non-capturing groups: in 1.5 the capturing prefix
    group makes ``hashed_secret`` the hash of ``"glpat"``, and a CI build token (``glcbt-``)
    without the optional ``xx_`` part yields nothing at all (``findall`` returns the empty
    group, which detect-secrets drops). Source: detect_secrets/plugins/gitlab_token.py (1.5.0),
    GitLab docs "Token overview" (prefixes).
    """

    secret_type = "GitLab Token"
    denylist = (
        re.compile(r"(?:glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_\-]{20,50}(?!\w)"),
        re.compile(r"GR1348941[A-Za-z0-9_\-]{20,50}(?!\w)"),
        re.compile(r"glcbt-(?:[0-9a-fA-F]{2}_)?[A-Za-z0-9_\-]{20,50}(?!\w)"),
        re.compile(r"glimt-[A-Za-z0-9_\-]{25}(?!\w)"),
        re.compile(r"glptt-[A-Za-z0-9_\-]{40}(?!\w)"),
        re.compile(r"glagent-[A-Za-z0-9_\-]{50,1024}(?!\w)"),
        re.compile(r"gloas-[A-Za-z0-9_\-]{64}(?!\w)"),
    )
