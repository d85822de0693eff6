"""An offline OSV database served to pip-audit on loopback (``--osv-db PATH``).

Air-gapped runners cannot reach ``api.osv.dev``. OSV publishes its whole database as plain
files — one JSON record per advisory, e.g. ``https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip``
(OSV docs, "Data dumps") — which a team can copy onto the runner. ``--osv-db`` takes such a zip
or a directory of ``*.json`` records and serves the part of the OSV API v1 that pip-audit and
the dependencies check use, on ``127.0.0.1`` with an ephemeral port, for the length of one run:

* ``POST /v1/query`` ``{"package": {"name", "ecosystem"}, "version"}`` -> ``{"vulns": [...]}``
  (``{}`` when nothing matches, as api.osv.dev answers);
* ``POST /v1/querybatch`` -> ``{"results": [{"vulns": [{"id", "modified"}]}]}``;
* ``GET /v1/vulns/{id}`` -> the record, or 404.

Version matching follows the OSV schema for the PyPI ecosystem (:func:`affects`). Nothing is
fetched from anywhere; the database is read once, at start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:  # pragma: no cover
    from gate.checks.interface import RunOptions

MAX_RECORD_BYTES = 4 * 1024 * 1024
"""Largest single OSV record read (real ones are a few KiB)."""

MAX_REQUEST_BYTES = 1024 * 1024
"""Largest request body the mirror reads (a querybatch of 1,000 queries is ~100 KiB)."""


class OsvDatabaseError(Exception):
    """The offline OSV database cannot be read (missing, not a zip/directory, bad record)."""


def affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    """True when OSV ``record`` affects PyPI package ``name`` at ``version``.

    A version is affected when it is listed in ``affected[].versions`` or falls in an
    ``ECOSYSTEM`` range (``introduced`` <= v < ``fixed``, or <= ``last_affected``), compared as
    PEP 440 versions; names are compared after PEP 503 normalisation. Source: OSV schema 1.6,
    "Evaluation".
    """
    want = canonicalize_name(name)
    try:
        v: Optional[Version] = Version(version)
    except InvalidVersion:
        v = None
    for affected in record.get("affected", ()):
        pkg = affected.get("package", {})
        if pkg.get("ecosystem") != "PyPI" or canonicalize_name(pkg.get("name", "")) != want:
            continue
        if version in affected.get("versions", ()):
            return True
        if v is None:
            continue
        for rng in affected.get("ranges", ()):
            if rng.get("type") == "ECOSYSTEM" and _in_range(rng.get("events", ()), v):
                return True
    return False


def _in_range(events: Iterable[Mapping[str, str]], v: Version) -> bool:
    """Evaluate one ECOSYSTEM range's events for ``v`` (OSV schema, "Evaluation" pseudo-code)."""

    def key(event: Mapping[str, str]) -> Version:
        raw = next(iter(event.values()))
        return Version("0") if raw == "0" else Version(raw)

    try:
        ordered = sorted(events, key=key)
    except (InvalidVersion, StopIteration):
        return False
    hit = False
    for event in ordered:
        if "introduced" in event:
            intro = event["introduced"]
            if intro == "0" or v >= Version(intro):
                hit = True
        elif "fixed" in event:
            if v >= Version(event["fixed"]):
                hit = False
        elif "last_affected" in event:
            if v > Version(event["last_affected"]):
                hit = False
    return hit


def _iter_raw_records(source: Path) -> Iterator[tuple[str, bytes]]:
    if source.is_dir():
        for path in sorted(source.glob("*.json")):
            if path.stat().st_size <= MAX_RECORD_BYTES:
                yield path.name, path.read_bytes()
        return
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".json") and info.file_size <= MAX_RECORD_BYTES:
                    yield info.filename, zf.read(info)
        return
    raise OsvDatabaseError(f"{source}: not a directory of OSV *.json records or a zip of them")


def load_records(source: Path) -> dict[str, dict[str, Any]]:
    """Read every OSV record from a directory of ``*.json`` files or a zip (OSV's ``all.zip``).

    Raises:
        OsvDatabaseError: missing source, unreadable or malformed record, or no records at all.
    """
    if not source.exists():
        raise OsvDatabaseError(f"{source}: no such file or directory")
    records: dict[str, dict[str, Any]] = {}
    try:
        for name, raw in _iter_raw_records(source):
            try:
                record = json.loads(raw)
            except ValueError:
                raise OsvDatabaseError(f"{source}: {name} is not valid JSON") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise OsvDatabaseError(f"{source}: {name} is not an OSV record (no id)")
            records[record["id"]] = record
    except (OSError, zipfile.BadZipFile) as exc:
        raise OsvDatabaseError(f"{source}: cannot read ({exc})") from None
    if not records:
        raise OsvDatabaseError(f"{source}: contains no OSV records")
    return records


QueryFn = Callable[[Any], "dict[str, Any]"]
"""Answers one ``/v1/query`` body with ``{"vulns": [...]}`` or ``{}``."""


def answer(method: str, path: str, body: Any, query: QueryFn,
           get_record: Callable[[str], Optional[Mapping[str, Any]]]) -> tuple[int, Any]:
    """The OSV API v1 answer ``(status, JSON payload)`` to one request.

    ``query`` answers a single query body; ``get_record`` returns a record by id (None: 404).
    Shared by :class:`OsvMirror` and the tests' fault-injecting OSV server, so both speak the
    same API. Source: OSV API v1 (https://google.github.io/osv.dev/api/).
    """
    if method == "POST" and path == "/v1/query":
        return 200, query(body)
    if method == "POST" and path == "/v1/querybatch":
        queries = body.get("queries") if isinstance(body, dict) else None
        if not isinstance(queries, list):
            return 400, {"code": 3, "message": "Invalid query."}
        results = []
        for q in queries:
            vulns = query(q).get("vulns", [])
            results.append({"vulns": [{"id": r["id"], "modified": r.get("modified", "")} for r in vulns]}
                           if vulns else {})
        return 200, {"results": results}
    if method == "GET" and path.startswith("/v1/vulns/"):
        record = get_record(path[len("/v1/vulns/"):])
        return (200, record) if record is not None else (404, {"code": 5, "message": "Bug not found."})
    return 404, {"code": 5, "message": "Not found."}


def send_json(handler: BaseHTTPRequestHandler, code: int, payload: Any) -> None:
    """Write ``payload`` as a JSON response with a Content-Length (HTTP/1.1 keep-alive safe)."""
    data = json.dumps(payload).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def read_json_body(handler: BaseHTTPRequestHandler, limit: int = MAX_REQUEST_BYTES) -> tuple[bool, Any]:
    """Read a request's JSON body: ``(ok, body)``; ok is False when it is over ``limit`` bytes.

    A body that is not JSON reads as None (the API answers it like an empty query).
    """
    length = int(handler.headers.get("Content-Length") or 0)
    if length > limit:
        return False, None
    raw = handler.rfile.read(length) if length else b""
    try:
        return True, (json.loads(raw) if raw else None)
    except ValueError:
        return True, None


class LoopbackHandler(BaseHTTPRequestHandler):
    """What every loopback HTTP server of the project shares (this mirror, and the OSV and
    GitHub fakes of the tests): keep-alive HTTP/1.1, TCP_NODELAY, no access log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """TCP_NODELAY on each connection. Headers and body go out in separate writes; with Nagle
    on, a keep-alive client's delayed ACK stalls every response by ~40 ms (pip-audit sends one
    query per package: 24 pins took 1.8 s instead of 0.7 s). ``socketserver.StreamRequestHandler``."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """No access log on stderr (the mirror is an implementation detail of one run; the test
        servers record what they were asked)."""


class _Handler(LoopbackHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("GET", None)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        ok, body = read_json_body(self)
        if not ok:
            send_json(self, 413, {"code": 3, "message": "Request too large."})
            return
        self._handle("POST", body)

    def _handle(self, method: str, body: Any) -> None:
        path = self.path.split("?", 1)[0]
        send_json(self, *answer(method, path, body, self.server.query, self.server.records.get))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, records: Mapping[str, dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.records = dict(records)
        self.by_package: dict[str, list[dict[str, Any]]] = {}
        for rid in sorted(records):
            record = records[rid]
            names = {canonicalize_name(a.get("package", {}).get("name", ""))
                     for a in record.get("affected", ()) if a.get("package", {}).get("ecosystem") == "PyPI"}
            for n in names:
                self.by_package.setdefault(n, []).append(record)

    def query(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {}
        pkg = body.get("package") or {}
        name, version = pkg.get("name"), body.get("version")
        if pkg.get("ecosystem") != "PyPI" or not isinstance(name, str) or not isinstance(version, str):
            return {}
        vulns = [r for r in self.by_package.get(canonicalize_name(name), ()) if affects(r, name, version)]
        return {"vulns": vulns} if vulns else {}


class OsvMirror:
    """A loopback OSV API over an offline database; a context manager that yields itself.

    Example::

        with OsvMirror(Path("PyPI-all.zip")) as mirror:
            run_gate(..., options=RunOptions(osv_url=mirror.base_url))

    Raises:
        OsvDatabaseError: on entry, when the database cannot be read.
    """

    def __init__(self, source: Path) -> None:
        self.source = source
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "OsvMirror":
        self._server = _Server(load_records(self.source))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="osv-mirror", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the OSV API base URL the dependencies check takes."""
        assert self._server is not None, "mirror not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def record_count(self) -> int:
        """How many advisories the mirror serves."""
        return len(self._server.records) if self._server else 0


def database_digest(source: Path) -> str:
    """``sha256:<hex>`` of an offline database's content: the zip file's bytes, or every
    ``*.json`` record's name and bytes in a directory. The result cache keys ``--osv-db``
    verdicts by it (:mod:`gate.scanners.pip_audit`); unreadable parts give a digest no other
    database has (the load itself reports the error).
    """
    h = hashlib.sha256()
    try:
        if source.is_dir():
            for path in sorted(source.glob("*.json")):
                h.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read(MAX_RECORD_BYTES + 1)).digest())
        else:
            with open(source, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    except OSError as exc:
        h.update(f"unreadable:{source}:{exc}".encode("utf-8", "surrogateescape"))
    return "sha256:" + h.hexdigest()


@contextlib.contextmanager
def osv_options(options: "RunOptions", db: Optional[Path]) -> Iterator["RunOptions"]:
    """``options`` as they are when ``db`` is None; else a copy whose ``osv_url`` is an
    :class:`OsvMirror` serving ``db`` for the length of the ``with`` block, and whose
    ``osv_db_digest`` is :func:`database_digest` of ``db`` (the result cache's key for it).

    The one place the CLI (``--osv-db``) and the GitHub Action (input ``osv-db``) turn an offline
    database into the OSV URL the dependencies check uses.

    Raises:
        OsvDatabaseError: ``db`` cannot be read, or ``options.osv_url`` is set too (an offline
            database and an OSV URL are alternatives).
    """
    if db is None:
        yield options
        return
    if options.osv_url:
        raise OsvDatabaseError("an offline OSV database and an OSV URL are alternatives; give one")
    with OsvMirror(db) as mirror:
        yield dataclasses.replace(options, osv_url=mirror.base_url, osv_db_digest=database_digest(db))
