"""The benchmark's own measuring tools (``benchmarks/run.py``), behaviour only: the memory
sampler counts grandchildren, the synthetic tree has the advertised size, the PR branch changes
exactly N files, and the pinned corpus set is installed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git_init, write_tree

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = mod  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop("bench_run", None)


def test_peak_memory_counts_the_whole_process_tree(bench) -> None:
    # A child that starts a grandchild holding 150 MiB: both measures must see it.
    grandchild = "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(1.5)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    m = bench.measure("tree", [sys.executable, "-c", child], sample_rss=True)
    assert m.returncode == 0
    assert m.peak_tree_rss >= 150 * 2**20, m.peak_tree_rss
    assert m.max_single_rss >= 150 * 2**20, m.max_single_rss
    assert m.cpu_s > 0 and m.wall_s > 0


def test_failing_command_stops_the_benchmark(bench) -> None:
    with pytest.raises(SystemExit, match="exit status 3"):
        bench.measure("fails", [sys.executable, "-c", "import sys; sys.exit(3)"])


def test_synthetic_tree_has_the_requested_number_of_files(bench, tmp_path: Path) -> None:
    bench.build_synthetic(tmp_path, 300)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 300
    assert (tmp_path / "README.md").is_file() and (tmp_path / ".github/workflows/ci.yml").is_file()


def test_pr_branch_changes_exactly_n_files(bench, tmp_path: Path) -> None:
    write_tree(tmp_path, {f"pkg/m{i}.py": f"x = {i}\n" for i in range(50)} | {"README.md": "# r\n"})
    git_init(tmp_path)
    changed = bench.make_pr_branch(tmp_path, 20)
    diff = subprocess.run(["git", "-C", str(tmp_path), "diff", "--name-only", "main", "bench-pr"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert sorted(diff) == sorted(changed) and len(changed) == 20
    assert all(p.endswith(".py") for p in changed)


def test_pinned_corpus_packages_are_installed(bench) -> None:
    pins = bench.pinned_distributions()
    assert set(pins) == set(bench.PACKAGES)
    assert all(version for _, version in pins.values())


def test_secrets_ratio_is_read_from_the_secrets_bench_output(bench) -> None:
    text = "plain ...\nratio plain/check: cold 19.3x wall (18.0x CPU), warm 235.5x wall\n"
    assert bench._secrets_ratio(text) == 19.3
    assert bench._secrets_ratio("no ratio here") == 0.0
