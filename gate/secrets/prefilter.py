"""A prefilter that hands detect-secrets only the lines it could report, with identical results.

Why: detect-secrets spends its time in per-line, per-plugin Python overhead (about 30 plugin
calls with argument injection for every line; ~0.3 MB/s per core, ``docs/performance.md``), while almost every
line of real code can match no plugin at all. Reading and regex-searching the bytes is ~100×
cheaper than that.

How (and why the findings stay *exactly* those of ``detect-secrets scan --all-files``):

1. **Anchors.** For every enabled plugin, :data:`ANCHORS` holds patterns such that any line on
   which the plugin can report a secret contains a match of one of them. Each anchor is a
   sub-pattern every match of the plugin's own regexes must contain (a literal token prefix, the
   keyword alternation, the secret part of an assignment regex), or the plugin's regex itself;
   they are compiled with the plugin's own flags (``IGNORECASE`` where it uses it, so Unicode case
   folding agrees). High-entropy plugins report quoted runs of their charset whose Shannon entropy
   exceeds the limit; entropy of a string of length ``n`` is at most ``log2(n)``, so only quoted
   runs of at least ``floor(2**limit)`` characters can qualify. No anchor can match a newline, so
   searching the whole file and mapping match offsets to lines finds every candidate line.
   **Confirmation.** A candidate line is then kept only if one of the plugins whose anchor
   matched it returns something from its own ``analyze_line`` on that line (detect-secrets'
   code, run here with verification off): detect-secrets reports a secret on a line only when a
   plugin's ``analyze_line`` returns it and no filter removes it.
2. **Reduced files.** A file with candidate lines is staged with only those lines (in order,
   after one :data:`POISON_LINE`); reported line numbers are mapped back. detect-secrets reads a
   file's lines, then runs plugins and filters per line; with verification off (``--no-verify``)
   and the inline-allowlist filter disabled, nothing in 1.5 looks at other lines (the code
   snippet "context" is only used by those two), so each kept line yields what it yields in the
   full file.
3. **Transformers.** detect-secrets first tries to parse a file as INI/YAML ("transformers") and
   scans the rewritten lines instead when that works (and, if nothing was found, tries again with
   "eager" transformers). Rewritten lines differ from the raw ones, so any file that one of its
   transformers may parse is staged whole and unmodified (:func:`transformable`: proven
   unparsable without parsing where possible, else detect-secrets' own transformer code
   decides; YAML and INI interpolation are never parsed here). The poison line makes every
   reduced file unparsable.
4. **No candidates, no transformation** means detect-secrets cannot report anything in the file;
   it is not staged at all.

Plugins without an anchor (a plugin set or detect-secrets version this was not verified
against) disable reduction: every file is then staged whole (:func:`anchors_for` returns None).
Tests and ``benchmarks/secrets_bench.py`` compare the result with a plain
``detect-secrets scan --all-files`` on real code.
"""

from __future__ import annotations

import bisect
import functools
import io
import math
import os
import re
import string
from dataclasses import dataclass
from typing import Any, Optional, Pattern, Sequence

VERIFIED_DETECT_SECRETS = ("1.5.0",)
"""detect-secrets versions whose scan pipeline the exactness argument above was checked against
(source of ``detect_secrets/core/scan.py``, ``plugins/*``, ``filters/*``, ``transformers/*``)."""

PREFILTER_VERSION = "2"
"""Part of the cache key: bump when anchors or staging change."""


@dataclass(frozen=True)
class Anchor:
    """One prefilter pattern: it can never match a newline."""

    pattern: Pattern[str]
    folded: bool = False
    """True: searched (case-sensitively, lower-case pattern) in the *case-folded* text, which
    stands in for an ``IGNORECASE`` search of the plugin (see :func:`fold`); this is much faster
    than an ``IGNORECASE`` search and matches at least as much."""
    plugins: tuple[str, ...] = ()
    """Set by :func:`anchors_for`: the plugins this anchor stands for (a line it matches is
    confirmed by running those plugins on it, see :func:`plan_file`)."""


def _a(pattern: str) -> Anchor:
    return Anchor(re.compile(pattern))


def _f(pattern: str) -> Anchor:
    assert pattern == pattern.lower(), pattern
    return Anchor(re.compile(pattern), folded=True)


_KEYWORDS = ("api_?key|auth_?key|service_?key|account_?key|db_?key|database_?key|priv_?key|"
             "private_?key|client_?key|db_?pass|database_?pass|key_?pass|password|passwd|pwd|"
             "secret|contrase")
"""detect_secrets.plugins.keyword.DENYLIST (1.5.0), every keyword regex contains one of them
(``contraseña``/``contrasena`` shortened to their common prefix ``contrase``)."""

_GITLAB = r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941"

ANCHORS: dict[str, tuple[Anchor, ...]] = {
    # Regexes quoted from detect-secrets 1.5.0 plugins; each anchor is a contiguous part of every
    # match of the plugin (starting with a literal where possible: re then skips ahead fast).
    # A lookbehind only moves where a search may start inside a run (a run of >= N class
    # characters contains one that starts at the run's beginning).
    "ArtifactoryDetector": (_a(r"AKC[a-zA-Z0-9]{10,}|AP[\dABCDEF][a-zA-Z0-9]{8,}"),),
    "AWSKeyDetector": (_a(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}"),
                       _f(r"['\"][0-9a-z/+]{40}['\"]")),
    "AzureStorageKeyDetector": (_a(r"AccountKey="),),
    "BasicAuthDetector": (_a(r"://[^:/?#\[\]@!$&'()*+,;=\s]+:[^:/?#\[\]@!$&'()*+,;=\s]+@"),),
    "CloudantDetector": (_f(r"cl(?:ou|oudant)?[-_]?(?:api)?(?:key|pwd|pw|password|pass|token)|\.cloudant\.com"),),
    "DiscordBotTokenDetector": (_a(r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}"),),
    "GitHubTokenDetector": (_a(r"gh[pousr]_"),),
    "GitLabTokenDetector": (_a(_GITLAB),),
    "IbmCloudIamDetector": (_f(r"(?<![a-z0-9_\-])[a-z0-9_\-]{44}"),),
    # 48 hex characters are also 44 of IBM IAM's class: the same anchor covers both.
    "IbmCosHmacDetector": (_f(r"(?<![a-z0-9_\-])[a-z0-9_\-]{44}"),),
    "IPPublicDetector": (_a(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"),),
    "JwtTokenDetector": (_a(r"eyJ"),),
    "KeywordDetector": (_f(_KEYWORDS),),
    "MailchimpDetector": (_a(r"-us[0-9]"),),
    "NpmDetector": (_a(r":_authToken="),),
    "OpenAIDetector": (_a(r"T3BlbkFJ"),),
    "PrivateKeyDetector": (_a(r"PRIVATE KEY|PuTTY-User-Key-File-2"),),
    "PypiTokenDetector": (_a(r"pypi-AgE"),),
    "SendGridDetector": (_a(r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}"),),
    "SlackDetector": (_f(r"xox[abposr]-|hooks\.slack\.com"),),
    "SoftlayerDetector": (_f(r"softlayer|sl[-_]?(?:api)?[-_]?(?:key|pwd|password|pass|token)"),),
    "SquareOAuthDetector": (_a(r"sq0csp-"),),
    "StripeDetector": (_a(r"k_live_"),),
    "TelegramBotTokenDetector": (_a(r":[0-9A-Za-z_-]{35}"),),
    "TwilioKeyDetector": (_a(r"AC[a-z0-9]{32}|SK[a-z0-9]{32}"),),
    # readiness-gate's plugins (gate/secrets/plugins.py): their literal prefixes.
    "GitHubFineGrainedTokenDetector": (_a(r"github_pat_"),),
    "OpenAIProjectKeyDetector": (_a(r"sk-(?:proj|svcacct|admin)-"),),
    "AnthropicKeyDetector": (_a(r"sk-ant-"),),
    "SlackAppTokenDetector": (_a(r"xapp-|xoxe"),),
    "GoogleApiKeyDetector": (_a(r"AIza"),),
    "EncryptedPrivateKeyDetector": (_a(r"BEGIN ENCRYPTED PRIVATE KEY"),),
    "GitHubTokenDetector_": (_a(r"gh[pousr]_"),),
    "GitLabTokenDetector_": (_a(_GITLAB),),
}
"""Plugin class name -> anchors (see module docstring, point 1)."""

REPLACED_PLUGINS = ("GitHubTokenDetector", "GitLabTokenDetector")
"""detect-secrets plugins disabled because :mod:`gate.secrets.plugins` replaces them (their
capturing groups make the hashed secret the hash of the token prefix)."""


def expected_plugins() -> list[dict]:
    """The ``plugins_used`` a scan with ``gate.secrets.engine.SCAN_FLAGS`` reports with
    detect-secrets 1.5.0 (the anchors the prefilter uses; the scan's own ``plugins_used`` is
    checked against it)."""
    names = [n for n in ANCHORS if n not in REPLACED_PLUGINS]
    return [{"name": n} for n in names] + [{"name": "Base64HighEntropyString", "limit": 4.5},
                                           {"name": "HexHighEntropyString", "limit": 3.0}]


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, int]:
    """Translation table: every character that matches an ASCII letter under ``re.IGNORECASE``
    -> that letter in lower case (``A``->``a``, KELVIN SIGN->``k``, LONG S->``s``, ...).

    Computed from ``re`` itself (one search over every code point), so it agrees with the
    plugins' ``IGNORECASE`` matching by construction. One character -> one character, so offsets
    and line numbers are unchanged.
    """
    table = {ord(c): ord(c.lower()) for c in string.ascii_uppercase}
    everything = "".join(map(chr, range(128, 0x110000)))
    for ch in set(re.findall(r"[a-z]", everything, re.IGNORECASE)):
        for letter in string.ascii_lowercase:
            if re.fullmatch(letter, ch, re.IGNORECASE):
                table[ord(ch)] = ord(letter)
                break
    return table


def fold(text: str) -> str:
    """``text`` with every character that ``IGNORECASE`` equates with an ASCII letter replaced by
    that lower-case letter; a lower-case ASCII pattern found in ``fold(text)`` at offset ``i`` is
    what an ``IGNORECASE`` search of the same pattern may find in ``text`` at ``i``."""
    if text.isascii():
        return text.lower()
    return text.translate(_fold_table())


BASE64_CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/\\-_="
HEX_CHARSET = "0123456789abcdefABCDEF"
"""Charsets of detect-secrets' Base64HighEntropyString / HexHighEntropyString (1.5.0)."""


def _entropy_anchor(charset: str, limit: float) -> Anchor:
    # entropy(s) <= log2(len(s)) and the plugin requires entropy > limit, so len(s) > 2**limit;
    # floor() (not +1) leaves a margin for floating-point rounding in its entropy sum.
    min_len = max(1, math.floor(2 ** limit))
    return Anchor(re.compile(r"(['\"])[%s]{%d,}\1" % (re.escape(charset), min_len)))


def anchors_for(plugins: Sequence[dict]) -> Optional[list[Anchor]]:
    """Anchors for the ``plugins_used`` list of a detect-secrets run, or None if one is unknown.

    ``plugins`` items are detect-secrets' ``{"name": ..., "limit": ...}`` dicts.
    """
    out: list[tuple[Anchor, str]] = []
    for plugin in plugins:
        name = str(plugin.get("name"))
        if name == "Base64HighEntropyString":
            out.append((_entropy_anchor(BASE64_CHARSET, float(plugin.get("limit", 4.5))), name))
        elif name == "HexHighEntropyString":
            out.append((_entropy_anchor(HEX_CHARSET, float(plugin.get("limit", 3.0))), name))
        elif name in ANCHORS:  # (a KeywordDetector keyword_exclude only removes findings)
            out.extend((a, name) for a in ANCHORS[name])
        else:
            return None
    # The same pattern once, standing for every plugin that uses it.
    merged: dict[tuple[str, bool], Anchor] = {}
    for a, name in out:
        key = (a.pattern.pattern, a.folded)
        prev = merged.get(key)
        names = (prev.plugins if prev else ()) + (name,)
        merged[key] = Anchor(a.pattern, a.folded, tuple(dict.fromkeys(names)))
    return list(merged.values())


def plugin_objects_for(plugins: Sequence[dict]) -> dict[str, Any]:
    """Plugin instances for the ``plugins_used`` list (see :func:`_plugin_objects`)."""
    key = tuple((str(p.get("name")), float(p.get("limit", 0.0))) for p in plugins)
    return _plugin_objects(key)


def normalise_newlines(text: str) -> str:
    """``text`` as Python's text mode reads it (universal newlines: ``\\r\\n`` and ``\\r`` -> ``\\n``)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def candidate_hits(text: str, anchors: Sequence[Anchor]) -> dict[int, set[str]]:
    """``{line number: plugins whose anchors match it}`` for ``text`` (newlines normalised)."""
    folded: Optional[str] = None
    hits: list[tuple[int, tuple[str, ...]]] = []
    for anchor in anchors:
        if anchor.folded:
            if folded is None:
                folded = fold(text)
            hay = folded
        else:
            hay = text
        hits.extend((m.start(), anchor.plugins) for m in anchor.pattern.finditer(hay))
    if not hits:
        return {}
    starts = [nl.start() for nl in re.finditer("\n", text)]
    out: dict[int, set[str]] = {}
    for pos, names in hits:
        out.setdefault(bisect.bisect_left(starts, pos) + 1, set()).update(names)
    return out


def candidate_lines(text: str, anchors: Sequence[Anchor]) -> list[int]:
    """1-based numbers of the lines of ``text`` (newlines normalised) where an anchor matches."""
    return sorted(candidate_hits(text, anchors))


@functools.lru_cache(maxsize=4)
def _plugin_objects(plugins_key: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    """Plugin instances (detect-secrets' and ours) to confirm candidate lines with, by name.

    Only built when detect-secrets' process-wide settings would not *verify* (a network call
    carrying the secret): the default settings of a library import do not; if they ever do, no
    plugin is returned and candidate lines are kept unconfirmed.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_settings

    from gate.secrets import plugins as ours

    if any("verification" in f for f in get_settings().filters):
        return {}
    classes = {c.__name__: c for c in get_mapping_from_secret_type_to_class().values()}
    classes.update({n: c for n, c in vars(ours).items() if isinstance(c, type) and n in dict(plugins_key)})
    out: dict[str, Any] = {}
    for name, limit in plugins_key:
        cls = classes.get(name)
        if cls is None:
            continue
        out[name] = cls(limit=limit) if name.endswith("HighEntropyString") else cls()
    return out


def confirmed(path: str, line: str, line_number: int, names: set[str], plugin_objects: dict[str, Any]) -> bool:
    """True unless every plugin in ``names`` is known and finds nothing on ``line``.

    Runs the plugins' own ``analyze_line`` on the line as detect-secrets does (``line.rstrip()``,
    the file name for type-specific rules, no context): detect-secrets reports a secret on a line
    only if one of its plugins' ``analyze_line`` returns it and no filter removes it, so a line
    where none of them returns anything cannot yield a finding.
    """
    text = line.rstrip()
    for name in names:
        plugin = plugin_objects.get(name)
        if plugin is None:
            return True
        if plugin.analyze_line(filename=path, line=text, line_number=line_number):
            return True
    return False


class _Named(io.StringIO):
    """A text file object with a ``name``, as detect-secrets' transformers expect."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


YAML_SUFFIXES = (".yaml", ".yml", ".eyaml")
"""Files detect-secrets' YAML transformer parses (``determine_file_type`` == YAML in 1.5.0),
compared case-insensitively (broader than detect-secrets: that only makes more files whole)."""

_EAGER_BREAKER = re.compile(r"^[^\s#;\[][^=:\n]*$", re.MULTILINE)
"""A line configparser cannot accept after a ``[global]`` header: not indented (so not a
continuation line), not a comment (``#``/``;``), not a section header, and without a ``=``/``:``
delimiter. ``configparser.RawConfigParser._read`` records an error for it and raises at the end."""


TYPED_SUFFIXES = frozenset({
    ".cls", ".example", ".eyaml", ".go", ".java", ".js", ".m", ".php", ".py", ".pyi", ".swift", ".tf",
    ".yaml", ".yml", ".cs", ".c", ".cpp", ".cnf", ".conf", ".cfg", ".cf", ".ini", ".properties", ".toml",
})
"""The extensions ``detect_secrets.util.filetype.determine_file_type`` (1.5.0, the only version
the prefilter runs with: :data:`VERIFIED_DETECT_SECRETS`) maps to a type other than ``OTHER``,
compared as it does (``os.path.splitext``, case-sensitive); a test checks them against it.
Known here so that planning a few files does not import detect-secrets (~0.25 s of CPU)."""


def _is_type_other(path: str) -> bool:
    """``determine_file_type(path) == FileType.OTHER`` without importing detect-secrets."""
    return os.path.splitext(path)[1] not in TYPED_SUFFIXES


def _ini_cannot_parse(path: str, text: str) -> bool:
    """True when neither of detect-secrets' INI transformers can parse ``text``, decided without
    parsing (so without configparser's recursive ``%(name)s`` interpolation).

    * ``ConfigFileTransformer`` (every file) parses without a header: configparser raises
      ``MissingSectionHeaderError`` at the first significant line (not blank, not a comment)
      unless that line starts with ``[``.
    * ``EagerConfigFileTransformer`` (only files of type OTHER) prepends ``[global]``: one
      :data:`_EAGER_BREAKER` line makes it fail.
    """
    for line in io.StringIO(text):  # configparser's own line splitting (on "\n" only)
        value = line.strip()
        if not value or value[0] in "#;":
            continue
        if value[0] == "[":
            return False  # a section header: the real parser decides
        break
    if not _is_type_other(path):
        return True
    return _EAGER_BREAKER.search(text) is not None


def transformable(path: str, text: str) -> bool:
    """True when one of detect-secrets' transformers (INI/YAML, lazy or eager) may rewrite
    ``text`` read from a file named ``path``: detect-secrets would then scan rewritten lines.

    * YAML files: True without parsing (aliases can make a hostile file cost exponential time).
    * :func:`_ini_cannot_parse` proves both INI transformers fail: False without parsing.
    * INI-like text with ``%(`` (configparser interpolation, expanded recursively: a hostile
      file can cost exponential time): True without parsing.
    * Otherwise detect-secrets' own ``get_transformed_file`` decides; any exception counts as True.

    "True" only ever makes a file staged whole, which is always exact; detect-secrets then parses
    it in its own process, under the scan timeout.
    """
    if path.lower().endswith(YAML_SUFFIXES):
        return True
    if _ini_cannot_parse(path, text):
        return False
    if "%(" in text:
        return True
    from detect_secrets.transformers import get_transformed_file

    try:
        for eager in (False, True):
            if get_transformed_file(_Named(text, path), use_eager_transformers=eager):
                return True
    except Exception:  # noqa: BLE001 - unknown parser failure: be conservative, scan whole
        return True
    return False


POISON_LINE = "x"
"""First line of every reduced file. Candidate lines alone can look like an INI file (JSON's
``"key": "value"`` lines do) that detect-secrets would then parse and rewrite; this line makes
both INI transformers fail (it is significant, not ``[``-prefixed, unindented and has no
delimiter: see :func:`_ini_cannot_parse`), and no plugin can match a single letter. It maps to
line 0, which detect-secrets must never report."""


@dataclass(frozen=True)
class FilePlan:
    """What to hand detect-secrets for one file."""

    kind: str
    """``skip`` (cannot yield a finding), ``whole`` (stage unmodified) or ``reduced``."""
    data: bytes = b""
    """Bytes to stage (whole: the original; reduced: the candidate lines)."""
    lines: tuple[int, ...] = ()
    """For ``reduced``: original line number of each staged line (0 for :data:`POISON_LINE`)."""


def plan_file(path: str, data: bytes, text: str, anchors: Optional[Sequence[Anchor]],
              plugin_objects: Optional[dict[str, Any]] = None) -> FilePlan:
    """Decide how to stage one file (``text`` is ``data`` decoded as UTF-8).

    ``plugin_objects`` (:func:`plugin_objects_for`) confirm candidate lines; without them every
    anchored line is kept.
    """
    if anchors is None:
        return FilePlan("whole", data)
    norm = normalise_newlines(text)
    if transformable(path, norm):
        return FilePlan("whole", data)
    hits = candidate_hits(norm, anchors)
    if not hits:
        return FilePlan("skip")
    all_lines = norm.split("\n")
    if norm.endswith("\n"):
        all_lines.pop()
    if plugin_objects is None:
        plugin_objects = {}
    lines = [n for n in sorted(hits) if confirmed(path, all_lines[n - 1], n, hits[n], plugin_objects)]
    if not lines:
        return FilePlan("skip")
    if len(lines) == len(all_lines):
        return FilePlan("whole", data)
    reduced = POISON_LINE + "\n" + "\n".join(all_lines[n - 1] for n in lines) + "\n"
    if transformable(path, reduced):  # cannot happen (POISON_LINE), kept as a guard
        return FilePlan("whole", data)
    return FilePlan("reduced", reduced.encode("utf-8"), (0, *lines))
