"""``observability`` evidence of a health endpoint: routes found with :mod:`ast` (never by
importing the code), Kubernetes probes, and the hint literals that let the run's text index pass
over modules holding no health path. The same walk of a module's AST also finds
``logging.Formatter`` subclasses that emit JSON (structured logging), so each module is walked once.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Optional, Sequence

from gate.checks.observability.collected import Found, line_of
from gate.model import SkippedPath

MAX_AST_CHARS = 256 * 1024
"""Largest Python file parsed with :mod:`ast` (for routes and formatter classes). ``ast.parse``
takes seconds on a 2 MiB module on a busy runner; hand-written route modules are far smaller,
and a larger file with a health-path literal is listed as skipped."""


_PROBE = re.compile(r"(?:liveness|readiness|startup)Probe[ \t]*:", re.IGNORECASE)
_PROBE_PATH = re.compile(r"^[ \t]*path[ \t]*:[ \t]*[\"']?(/[^\s\"'#]*)", re.MULTILINE)

ROUTE_FUNCS = frozenset({"route", "get", "head", "api_route", "add_url_rule", "add_api_route", "add_route",
                         "add_get", "add_head", "Route", "APIRoute", "add_resource", "APIRouter", "Blueprint",
                         "include_router", "register_blueprint", "Mount"})
"""Calls that register a route or a route prefix (Flask, FastAPI, Starlette, aiohttp,
Flask-RESTful). Their path literal must start with ``/`` as these frameworks require."""

DJANGO_ROUTE_FUNCS = frozenset({"path", "re_path", "url"})
"""Django URLconf entries; their patterns conventionally have no leading slash."""

PATH_KEYWORDS = frozenset({"path", "rule", "prefix", "url_prefix", "route"})



def normalise_route(literal: str) -> str:
    """A route literal as a comparable path: regex anchors, optional slashes and edge slashes
    removed (``r"^healthz/?$"`` -> ``healthz``, ``"/api/health/"`` -> ``api/health``)."""
    s = literal.strip()
    s = s.removeprefix("^")
    for suffix in ("$", "/?", "/"):
        s = s.removesuffix(suffix)
    s = s.removesuffix("/?")
    return s.strip("/")


def health_route(literal: str, health: Sequence[str], *, django: bool) -> bool:
    """True when route ``literal`` ends with one of the (normalised) ``health`` paths.

    Non-Django routes must start with ``/`` (or ``^/``) so that ``config.get("health")`` and
    other dictionary look-ups are not routes; URLs (``http://...``) are client calls.
    """
    if "://" in literal or len(literal) > 300:
        return False
    if not django and not literal.lstrip("^").startswith("/"):
        return False
    route = normalise_route(literal)
    return any(route == h or route.endswith("/" + h) for h in health)


def health_hint_literals(health: Sequence[str]) -> Optional[frozenset[str]]:
    """Lower-cased literals one of which every match of the health hint contains.

    The hint ``["'/^](?:paths)[/?$]*["']`` always holds a quote, slash or caret followed by a
    health path (``"/healthz``, ``'ping``), so a file whose folded text has none of these cannot
    match it and is passed over without the regex (the shared literal index finds them with the
    other checks' words). Literals containing a shorter one are left out (``"health`` covers
    ``"healthz``). None when a path is not ASCII (the index holds ASCII only): then the regex
    decides alone.
    """
    if not all(h.isascii() for h in health):
        return None
    literals = {quote + h.lower() for h in health if h for quote in "\"'/^"}
    return frozenset(lit for lit in literals if not any(other != lit and other in lit for other in literals))




def _stack_depth() -> int:
    """How many Python frames the current thread's stack holds."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class _PythonScan(ast.NodeVisitor):
    """One walk of a module's AST for health routes and JSON log formatter classes."""

    def __init__(self, path: str, health: Sequence[str], found: Found) -> None:
        self.path = path
        self.health = health
        self.found = found

    def scan(self, tree: ast.AST) -> None:
        """``self.visit(tree)``, without three Python calls per node (``docs/performance.md``: evidence checks
        bound the diff-mode run; the recursive visitor was most of observability's time on
        modules full of literals).

        The nodes are met in the visitor's order (depth first, fields in order), so notes come
        in the same order. A tree deep enough that the recursive visitor might exhaust the
        recursion limit (it uses at most 3 frames per level) is handed to it instead, so it
        raises RecursionError exactly where it always did.
        """
        limit = (sys.getrecursionlimit() - _stack_depth() - 50) // 3
        wanted: list[ast.AST] = []
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > limit:
                self.visit(tree)
                return
            kind = type(node)
            if kind is ast.Call or kind is ast.ClassDef:
                wanted.append(node)
            children: list[ast.AST] = []
            for name in node._fields:  # ast.iter_child_nodes, inlined
                value = getattr(node, name, None)
                if isinstance(value, list):
                    children.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    children.append(value)
            stack.extend((child, depth + 1) for child in reversed(children))
        for node in wanted:
            if isinstance(node, ast.ClassDef):
                self._class(node)
            else:
                self._call(node)  # type: ignore[arg-type]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._class(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._call(node)
        self.generic_visit(node)

    def _class(self, node: ast.ClassDef) -> None:
        bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
        if any(b.endswith("Formatter") for b in bases):
            for sub in ast.walk(node):
                if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "dumps"
                        and getattr(sub.func.value, "id", "") in ("json", "orjson", "ujson", "rapidjson")):
                    self.found.add("structured-logging", f"{self.path}:{node.lineno} JSON log formatter {node.name}")
                    break

    def _call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ROUTE_FUNCS or name in DJANGO_ROUTE_FUNCS:
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            literals += [k.value.value for k in node.keywords
                         if k.arg in PATH_KEYWORDS and isinstance(k.value, ast.Constant)
                         and isinstance(k.value.value, str)]
            django = name in DJANGO_ROUTE_FUNCS
            for lit in literals:
                if health_route(lit, self.health, django=django):
                    self.found.add("health-endpoint", f"{self.path}:{node.lineno} route {lit[:60]}")
                    break




def python_evidence(path: str, text: str, health: Sequence[str], found: Found, skipped: list[SkippedPath]) -> None:
    """Health routes and JSON formatter classes in one Python module (parsed, never imported)."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        skipped.append(SkippedPath(path, "Python syntax error (not parsed for observability evidence)"))
        return
    try:
        _PythonScan(path, health, found).scan(tree)
    except RecursionError:
        skipped.append(SkippedPath(path, "Python nested too deeply to walk"))


def may_hold_probe(text: str) -> bool:
    """True when a YAML file's ``text`` declares a liveness, readiness or startup probe."""
    return _PROBE.search(text) is not None


def probe_evidence(path: str, text: str, health: Sequence[str], found: Found) -> None:
    """A Kubernetes probe ``httpGet.path`` naming a health path (line patterns; manifests are
    often multi-document or templated), in a file :func:`may_hold_probe` accepts."""
    for m in _PROBE_PATH.finditer(text):
        if health_route(m.group(1), health, django=False):
            found.add("health-endpoint", f"{path}:{line_of(text, m.start())} probe on {m.group(1)[:60]}")
            return
