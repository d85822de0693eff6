"""Content-addressed cache of per-file secret scan results.

Key: SHA-256 of (salt, path, file bytes), where the salt covers everything else that decides a
file's findings: detect-secrets' version, the scan flags, our plugins' source and the prefilter
version (:func:`gate.secrets.engine._cache_salt`). The path is part of the key because
detect-secrets' results depend on the file name (keyword rules by extension, file-name filters).
Value: the file's findings as ``[[line, type, hashed_secret], ...]`` — hashes only, never values.

Layout: ``<cache_dir>/secrets/<key[:2]>/<key>.json``, written atomically (temporary file +
``os.replace``), so concurrent runs and a cache restored by ``actions/cache`` are safe. A
corrupt or unreadable entry is a miss; a cache that cannot be written is ignored (the scan
result does not depend on it).

Trust: whoever can write the cache directory can hide findings. Keep it per branch as
``actions/cache`` does (a pull request can read the base branch's cache, not write it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Optional

_TYPE_OK = (int, str, str)


class Cache:
    """One cache directory, for one salt."""

    def __init__(self, cache_dir: str, salt: str) -> None:
        self.root = os.path.join(cache_dir, "secrets")
        self.salt = salt.encode()

    def key(self, path: str, data: bytes) -> str:
        """Cache key of file ``path`` with content ``data``."""
        h = hashlib.sha256(self.salt)
        h.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        h.update(data)
        return h.hexdigest()

    def _file(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key + ".json")

    def get(self, key: str) -> Optional[list[tuple[int, str, str]]]:
        """The cached findings for ``key``, or None (absent, unreadable, or malformed)."""
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(data, list):
            return None
        out = []
        for item in data:
            if (not isinstance(item, list) or len(item) != 3
                    or not all(isinstance(v, t) and not isinstance(v, bool) for v, t in zip(item, _TYPE_OK))):
                return None
            out.append((item[0], item[1], item[2]))
        return out

    def put(self, key: str, findings: list[tuple[int, str, str]]) -> None:
        """Store ``findings`` for ``key``; errors are ignored (a cache is an optimisation)."""
        target = self._file(key)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump([list(f) for f in findings], fh)
            os.replace(tmp, target)
        except OSError:
            pass
