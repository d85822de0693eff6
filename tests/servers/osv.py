"""A loopback HTTP server speaking the OSV API, serving real OSV records from ``tests/data/osv/``.

Used by the ``dependencies`` check's tests (the real pip-audit is pointed at it with
``--osv-url``), and reusable by the benchmark and the adversarial suite. It implements the three
endpoints of the OSV API v1 (https://google.github.io/osv.dev/api/) that clients use:

* ``POST /v1/query`` with ``{"package": {"name", "ecosystem"}, "version"}`` -> ``{"vulns": [...]}``
  (full records), or ``{}`` when nothing matches (what api.osv.dev returns);
* ``POST /v1/querybatch`` with ``{"queries": [...]}`` -> ``{"results": [{"vulns": [{"id",
  "modified"}]}, ...]}`` (ids only, like the real service);
* ``GET /v1/vulns/{id}`` -> the record, or 404 ``{"code": 5, "message": "Bug not found."}``.

Version matching follows the OSV schema for the PyPI ecosystem: a version is affected when it is
listed in ``affected[].versions``, or falls in an ``ECOSYSTEM`` range (``introduced`` <= v <
``fixed``, or <= ``last_affected``; ``limit`` ignored), compared with ``packaging.version``
(PEP 440). Package names are compared after PEP 503 normalisation.

Every request is recorded (:attr:`OsvServer.requests`). Faults can be injected to test clients'
error paths (:meth:`OsvServer.inject`): an HTTP 500, a garbage (non-JSON) body, a hang (the
server stalls until the client gives up or the server stops), or a closed connection.

The server binds ``127.0.0.1`` on an ephemeral port, serves from a daemon thread and stops when
its context manager exits (the pytest fixture does that), so a forgotten server never outlives
the test process.

Example::

    with OsvServer.from_directory(DATA_DIR) as osv:
        run_pip_audit(osv_url=osv.query_url)
        assert osv.requests[0].path == "/v1/query"
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional  # noqa: F401

from gate.osv_mirror import LoopbackHandler, affects, answer, read_json_body, send_json  # shared with --osv-db

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "osv"
"""The real OSV records shipped with the tests (one ``<id>.json`` per advisory)."""

FAULTS = ("500", "garbage", "hang", "close")
"""Fault kinds :meth:`OsvServer.inject` accepts."""

HANG_LIMIT_S = 30.0
"""Longest a ``hang`` fault stalls a request (it also ends when the server stops)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    body: Optional[Any]
    """The parsed JSON body (None when absent or not JSON)."""


@dataclass
class _State:
    records: dict[str, dict[str, Any]]
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)
    """Path prefix -> fault kind ("" matches every path)."""
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(LoopbackHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.state
        _, body = read_json_body(self, limit=1 << 30)
        path = self.path.split("?", 1)[0]
        with state.lock:
            state.requests.append(RecordedRequest(method, path, body))
            fault = next((k for p, k in state.faults.items() if path.startswith(p)), None)
        if fault and self._fault(fault):
            return
        send_json(self, *answer(method, path, body, self._query, state.records.get))

    def _query(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {}
        pkg = body.get("package") or {}
        name, version = pkg.get("name"), body.get("version")
        if pkg.get("ecosystem") != "PyPI" or not isinstance(name, str) or not isinstance(version, str):
            return {}
        vulns = [r for _, r in sorted(self.server.state.records.items()) if affects(r, name, version)]
        return {"vulns": vulns} if vulns else {}

    def _fault(self, kind: str) -> bool:
        """Apply fault ``kind``; True when the request was fully handled by it."""
        if kind == "500":
            self._send(500, {"code": 13, "message": "injected internal error"})
        elif kind == "garbage":
            payload = b"<html>this is not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif kind == "hang":
            # Stall until the client times out or the server is stopped, then drop the socket.
            self.server.state.stop.wait(HANG_LIMIT_S)
            self.close_connection = True
        elif kind == "close":
            self.close_connection = True
        return True

    def _send(self, code: int, payload: Any) -> None:
        send_json(self, code, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class OsvServer:
    """A running loopback OSV API server (use as a context manager, or :meth:`start`/:meth:`stop`)."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Serve ``records`` (OSV JSON objects, each with an ``id``)."""
        self._state = _State({r["id"]: dict(r) for r in records})
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @classmethod
    def from_directory(cls, directory: Path = DATA_DIR, ids: Optional[Iterable[str]] = None) -> "OsvServer":
        """Serve every ``*.json`` record in ``directory`` (or only ``ids``)."""
        wanted = set(ids) if ids is not None else None
        records = []
        for path in sorted(directory.glob("*.json")):
            if wanted is None or path.stem in wanted:
                records.append(json.loads(path.read_text(encoding="utf-8")))
        return cls(records)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "OsvServer":
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        self._state.stop.clear()
        self._server = _Server(self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="osv-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung requests, close the socket. Idempotent."""
        self._state.stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "OsvServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the OSV API base (what ``osv-url`` takes)."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def query_url(self) -> str:
        """``<base>/v1/query``: the URL pip-audit's ``--osv-url`` takes."""
        return self.base_url + "/v1/query"

    # -- inspection and faults ---------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, in arrival order."""
        with self._state.lock:
            return list(self._state.requests)

    def queried_packages(self) -> list[tuple[str, str]]:
        """``(name, version)`` of every ``/v1/query`` request, in arrival order."""
        out = []
        for r in self.requests:
            if r.path == "/v1/query" and isinstance(r.body, dict):
                out.append(((r.body.get("package") or {}).get("name"), r.body.get("version")))
        return out

    def inject(self, kind: str, path: str = "") -> None:
        """Answer every request whose path starts with ``path`` with fault ``kind``.

        Kinds (:data:`FAULTS`): ``500`` (HTTP 500 with a JSON error), ``garbage`` (200 with a
        non-JSON body), ``hang`` (no answer until the client gives up or the server stops),
        ``close`` (connection closed without an answer).
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULTS}")
        with self._state.lock:
            self._state.faults[path] = kind

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._state.lock:
            self._state.faults.clear()
