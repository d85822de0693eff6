"""The import graph of ``gate/`` (docs/architecture.md): no cycles, and nothing but the CLI
imports the CLI.

Imports are read from the source with :mod:`ast`, at module level *and* inside functions (a
function-level import is still a dependency; it only hides a cycle from Python's import
machinery), so the test sees what a reader sees.
"""

from __future__ import annotations

import ast
from pathlib import Path

GATE = Path(__file__).resolve().parents[2] / "gate"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in GATE.rglob("*.py"):
        parts = path.relative_to(GATE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _runtime_nodes(tree: ast.AST):
    """Every node of *tree* except those under ``if TYPE_CHECKING:`` (annotations only: such an
    import never runs, so it cannot form a cycle at import time or at call time)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
                continue
            todo.append(child)


def import_graph() -> dict[str, set[str]]:
    """Module name -> the ``gate`` modules it imports (anywhere in its source)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for dep in names:
                # a package and its own submodules are one room for this purpose
                if dep in mods and dep != name and not name.startswith(dep + ".") and not dep.startswith(name + "."):
                    graph[name].add(dep)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_the_finder_sees_a_cycle() -> None:
    # the check itself is not vacuous: a two-module cycle and a three-module one are found
    assert find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert find_cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}}) == [["x", "y", "z"]]


def test_the_graph_is_read_from_the_real_tree() -> None:
    graph = import_graph()
    assert len(graph) > 40
    assert "gate.model" in graph["gate.runner"]


def test_gate_has_no_import_cycles() -> None:
    assert find_cycles(import_graph()) == []


def test_nothing_below_the_cli_imports_the_cli() -> None:
    offenders = sorted(m for m, deps in import_graph().items()
                       if not (m == "gate.cli" or m.startswith("gate.cli.") or m == "gate.__main__")
                       and any(d == "gate.cli" or d.startswith("gate.cli.") for d in deps))
    assert offenders == []


def test_no_module_is_over_600_lines() -> None:
    long = {str(p.relative_to(GATE.parent)): n for p in GATE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


REPO = GATE.parent


def test_git_is_started_from_one_module() -> None:
    # a process started with an argv list whose first word is "git", anywhere but gate/git.py
    # (the one module that runs git with the hardening of docs/threats.md)
    starters = []
    for path in GATE.rglob("*.py"):
        if path == GATE / "git.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            argv = node.args[0]
            if (callee in {"run", "Popen", "check_output", "check_call", "call", "execvp", "spawn"}
                    and isinstance(argv, (ast.List, ast.Tuple)) and argv.elts
                    and isinstance(argv.elts[0], ast.Constant) and argv.elts[0].value == "git"):
                starters.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert starters == []


def test_shipped_files_cite_only_shipped_docs() -> None:
    # comments cite docs/*.md and README sections, never a file outside the repository or an
    # issue tracker number (neither ships with the package)
    import re
    bad = re.compile(r"\.\./shared|/work/shared|\bissues? #\d+|\bissue \d+\b", re.IGNORECASE)
    hits = []
    for top in ("gate", "policies", "tests", "benchmarks"):
        for path in (REPO / top).rglob("*"):
            if (path.suffix not in {".py", ".yml", ".yaml", ".md", ".json", ".txt", ".j2", ".html"}
                    or not path.is_file() or path == Path(__file__).resolve()):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if bad.search(line):
                    hits.append(f"{path.relative_to(REPO)}:{n}")
    assert hits == []
