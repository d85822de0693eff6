"""The rule prefilter (``metadata.readiness-prefilter``): the gate hands an expensive rule only
the files it could match, so a file it leaves out must be one where semgrep finds nothing.

Soundness is tested against the real semgrep: for files built around each way Python lets a
route decorator or a source be written (one line, brackets over several lines, a backslash, a
triple-quoted string, ``\\r`` line breaks, an aliased import, a blueprint with no framework
import), every file where semgrep reports the rule is one the prefilter keeps. And it must
filter: files without a source, or without a sink, are left out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gate.resources import policy_file
from gate.scanners import semgrep as adapter

RULES_DIR = policy_file("semgrep")
RULE = RULES_DIR / "stack-trace-in-response.yml"
SEMGREP = shutil.which("semgrep", path=str(Path(sys.executable).parent)) or shutil.which("semgrep")

HANDLER = '''
    try:
        return work()
    except Exception as e:
        return {"error": str(e)}, 500
'''

# name -> (file text, semgrep must report stack-trace-in-response in it)
CASES: dict[str, tuple[str, bool]] = {
    "one_line.py": ('@bp.route("/x")\ndef view():' + HANDLER, True),
    "get_route.py": ("@api.get('/x')\ndef view():" + HANDLER, True),
    "brackets_over_lines.py": ("@(\n    bp\n    .route\n)('/x')\ndef view():" + HANDLER, True),
    "call_over_lines.py": ("@make_app(\n    'cfg'\n).route('/x')\ndef view():" + HANDLER, True),
    "backslash.py": ("@bp\\\n.errorhandler(500)\ndef view():" + HANDLER, True),
    "triple_quoted.py": ('@registry("""\n""").post("/x")\ndef view():' + HANDLER, True),
    "crlf_line_breaks.py": (('@bp.route("/x")\ndef view():' + HANDLER).replace("\n", "\r\n"), True),
    # semgrep 1.182 finds nothing with bare \r line breaks; the prefilter keeps the file anyway
    "cr_line_breaks.py": (('@bp.route("/x")\ndef view():' + HANDLER).replace("\n", "\r"), False),
    "indented_tab.py": ("class V:\n\t@bp.patch('/x')\n\tdef view(self):\n\t\ttry:\n\t\t\treturn work()\n"
                        "\t\texcept Exception as e:\n\t\t\treturn str(e)\n", True),
    "base_exception.py": ("@bp.delete('/x')\ndef view():" + HANDLER.replace("Exception", "BaseException"), True),
    "flask_alias.py": ("import flask as f\nimport traceback as tb\n\ndef view():\n    return f.jsonify(tb.format_exc())\n", True),
    "from_import.py": ("from flask import jsonify\nfrom traceback import format_exc\n\n"
                       "def view():\n    return jsonify(format_exc())\n", True),
    "fstring_route.py": ('@bp.route(f"/{PREFIX}/x")\ndef view():' + HANDLER, True),
    "stacked.py": ('@login_required\n@cache(timeout=5)\n@bp.post("/x")\ndef view():' + HANDLER, True),
    "async_view.py": ('@api.put("/x")\nasync def view():' + HANDLER, True),
    # no source: cannot match, so it may be left out
    "no_source.py": ('@bp.route("/x")\ndef view():\n    return {"ok": True}\n', False),
    # a source but no sink: plain decorators, no framework
    "no_sink.py": ("import functools\n\n@property\ndef view():" + HANDLER, False),
    # decorators with arguments that end on their own line and name no route word: no sink
    "no_sink_args.py": ('@deprecated("use view2 (faster)", since=[1, 2])\n@lru_cache(maxsize=None)  # (cached\n'
                        "def view():" + HANDLER, False),
}
MUST_SKIP = {"no_source.py", "no_sink.py", "no_sink_args.py"}


def _prefiltered_file() -> adapter.RuleFile:
    (rule,) = adapter.rule_files(RULE)
    assert rule.prefilters is not None, "stack-trace-in-response ships with a prefilter"
    return rule


@pytest.mark.skipif(SEMGREP is None, reason="semgrep is a dependency of readiness-gate")
def test_every_file_semgrep_reports_is_one_the_prefilter_keeps(tmp_path: Path) -> None:
    for name, (text, _) in CASES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    out = subprocess.run([SEMGREP, "scan", "--metrics=off", "--disable-version-check", "--json", "--disable-nosem",
                          "--config", str(RULE), *sorted(CASES)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"})
    assert out.returncode == 0, out.stderr[-2000:]
    reported = {r["path"] for r in json.loads(out.stdout)["results"]}
    # the cases say what semgrep does; if semgrep stops matching one, the case proves nothing
    assert reported == {n for n, (_, hit) in CASES.items() if hit}
    rule = _prefiltered_file()
    kept = {n for n in CASES if rule.wants((tmp_path / n).read_bytes().decode("utf-8"))}
    assert reported <= kept, sorted(reported - kept)
    assert not kept & MUST_SKIP, "the prefilter must leave out files that cannot match"
    assert "cr_line_breaks.py" in kept


def test_prefilter_keeps_the_rules_own_examples() -> None:
    text = (RULES_DIR / "stack-trace-in-response.py").read_text(encoding="utf-8")
    assert _prefiltered_file().wants(text)


def test_unreadable_text_is_always_handed_over() -> None:
    assert _prefiltered_file().wants(None)


def test_plan_runs_splits_only_prefiltered_rule_files(tmp_path: Path) -> None:
    texts = {"a.py": CASES["one_line.py"][0], "b.py": "x = 1\n"}
    runs = adapter.plan_runs(RULES_DIR, ["b.py", "a.py", "a.py"], lambda p: texts[p])
    everything, taint = runs
    assert everything[1] == ["a.py", "b.py"]
    assert str(RULE) not in everything[0] and len(everything[0]) == len(list(RULES_DIR.glob("*.yml"))) - 1
    assert taint == ((str(RULE),), ["a.py"])
    # a file with no prefilters runs as before: one run, the config as given
    plain = RULES_DIR / "silent-except.yml"
    assert adapter.plan_runs(plain, ["b.py"], lambda p: None) == [((str(plain),), ["b.py"])]
    assert adapter.plan_runs(RULES_DIR, [], lambda p: None) == []


@pytest.mark.parametrize("line, continues", [
    ("@app.route('/x')", False),
    ("@property", False),
    ("@deprecated('a (b')", False),
    ("@cached  # (", False),
    ("@(app", True),
    ("@make('cfg',", True),
    ("@app \\", True),
    ('@registry("""', True),
    ("@reg('abc\\", True),
    ("@app(')", True),
])
def test_a_decorator_line_continues_only_as_python_says(line: str, continues: bool) -> None:
    assert adapter._continues(line) is continues


def test_a_broken_prefilter_is_an_installation_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - id: x\n    metadata:\n      readiness-prefilter: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(adapter.ToolError, match="cannot read rule file bad.yml"):
        adapter.rule_files(bad)
    for entry in ("'not a list'", "[{decorator-with: ['a b']}]", "[{regex: 1}]", "[{other: x}]", "[{}]", "[3]"):
        bad.write_text(f"rules:\n  - id: x\n    metadata:\n      readiness-prefilter: {entry}\n", encoding="utf-8")
        with pytest.raises(adapter.ToolError):
            adapter.rule_files(bad)


def test_a_hostile_file_of_decorators_is_not_tokenized_line_by_line() -> None:
    """Past MAX_TOKENIZED_LINES decorator lines the prefilter stops and hands the file over."""
    text = "raise Exception\n" + "@a(1)\n" * (adapter.MAX_TOKENIZED_LINES + 1)
    assert _prefiltered_file().wants(text)
    few = "raise Exception\n" + "@a(1)\n" * 100
    assert not _prefiltered_file().wants(few)
