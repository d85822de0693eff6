"""Every renderer on a report from a real run of the gate over a fixture repository."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from helpers import run_all, write_tree

from gate.render import RENDERERS, RenderOptions, get_renderer
from gate.render.json_report import report_from_dict, validate_report_dict

SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_real_report_renders_in_every_format(tmp_path):
    root = write_tree(tmp_path / "repo", {
        "README.md": "# svc\n",
        "app.py": "print('hi')\n",
        "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
    })
    report = run_all(root, only=["security-policy", "dependency-updates"])
    assert not report.ready  # no SECURITY.md: a required check fails
    outputs = {name: get_renderer(name).render(report, RenderOptions()) for name in RENDERERS}
    doc = json.loads(outputs["json"])
    validate_report_dict(doc)
    assert report_from_dict(doc) == report
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(json.loads(outputs["sarif"]))
    assert outputs["text"].startswith("NOT READY: ")
    assert outputs["markdown"].startswith(RenderOptions().marker + "\n\n## ❌ Not ready: ")
    assert any(s["path"] == "logo.png" for s in doc["skipped"])


def test_cli_writes_every_format_and_progress_lines(tmp_path, capsys):
    from gate.cli import main

    root = write_tree(tmp_path / "repo", {"README.md": "# svc\n", "SECURITY.md": "Report to security@example.com\n"})
    out = tmp_path / "out"
    code = main(["check", str(root), "--only", "security-policy,dependency-updates", "--format", "text",
                 "--progress", "--color", "never", "--json-output", str(out / "r.json"),
                 "--sarif-output", str(out / "r.sarif"), "--markdown-output", str(out / "r.md")])
    captured = capsys.readouterr()
    assert code in (0, 1)
    assert captured.out.startswith(("READY\n", "NOT READY: "))
    progress = [line for line in captured.err.splitlines() if line.startswith(("✓", "✗", "!", "~", "-"))]
    assert any(line.startswith("✓ security-policy [required] pass") for line in progress)
    doc = json.loads((out / "r.json").read_text(encoding="utf-8"))
    validate_report_dict(doc)
    assert doc["ready"] is (code == 0)
    sarif = json.loads((out / "r.sarif").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(sarif)
    assert (out / "r.md").read_text(encoding="utf-8").startswith(RenderOptions().marker)
