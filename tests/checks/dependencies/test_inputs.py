"""Reading dependency inputs into pins (``gate.deps``): formats, includes, hostile content.

These tests read real fixture repositories through the real inventory; no scanner runs.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.deps import discover
from gate.deps.interface import Pin, Unauditable, make_pin
from gate.deps.lockfiles import parse_lockfile, parse_pyproject
from gate.deps.requirements import classify, logical_lines
from gate.inventory import build_inventory
from helpers import write_tree


def read(root: Path, exclude=()):
    return discover(build_inventory(root), exclude)


def pins(found):
    return [(p.name, p.version, p.path, p.line) for p in found.pins]


def problems(found):
    return [(u.rule, u.path, u.line) for u in found.unauditable]


def test_requirement_classification():
    assert classify("requests==2.19.1", "r.txt", 1) == Pin("requests", "2.19.1", "r.txt", 1, "requirements")
    assert classify("PyYAML[extra]===5.3 ; sys_platform == 'win32'", "r.txt", 1).key == ("pyyaml", "5.3")
    assert classify("Django>=3,==3.2.1", "r.txt", 1).key == ("django", "3.2.1")
    for spec in ("requests", "requests>=2", "requests~=2.19", "requests==2.*", "requests!=2.0"):
        item = classify(spec, "r.txt", 3)
        assert isinstance(item, Unauditable) and item.rule == "unpinned-requirement", spec
        assert item.name == "requests"
    for spec in (".", "./localpkg", "../x", "/abs/pkg", "git+https://h/x.git#egg=x", "https://h/x.whl",
                 "pkg.tar.gz", "x @ https://h/x.zip", "x==${VERSION}", "not a requirement !!"):
        item = classify(spec, "r.txt", 3)
        assert isinstance(item, Unauditable) and item.rule == "unauditable-requirement", spec


def test_logical_lines_follow_pip_rules():
    text = "a==1 \\\n  --hash=sha256:00\n# comment\n\nb==2  # trailing\nc==3#not-a-comment\n"
    assert logical_lines(text) == [(1, "a==1    --hash=sha256:00"), (5, "b==2"), (6, "c==3#not-a-comment")]


def test_make_pin_refuses_smuggled_options_and_bad_versions():
    assert isinstance(make_pin("x\n--index-url", "1", "p", 1, "s"), Unauditable)
    assert isinstance(make_pin("-r", "1", "p", 1, "s"), Unauditable)
    bad = make_pin("requests", "1.0\n--extra-index-url=http://evil", "p", 1, "s")
    assert isinstance(bad, Unauditable) and "not a PEP 440 version" in bad.reason
    assert make_pin("Foo.Bar", "01.0", "p", 1, "s") == Pin("foo-bar", "1.0", "p", 1, "s")


def test_discovery_finds_every_kind_of_file(tmp_path):
    write_tree(tmp_path, {
        "requirements.txt": "flask==3.0.0\n",
        "requirements-dev.txt": "pytest==8.0.0\n",
        "dev-requirements.txt": "mypy==1.10.0\n",
        "constraints-ci.txt": "coverage==7.5.0\n",
        "requirements/prod.txt": "gunicorn==22.0.0\n",
        "services/api/requirements.in": "attrs>=23\n",
        "services/api/pyproject.toml": '[project]\nname = "api"\ndependencies = ["attrs==23.1.0"]\n',
        "notes.txt": "requests>=2\n",
    })
    found = read(tmp_path)
    assert found.files == ("constraints-ci.txt", "dev-requirements.txt", "requirements-dev.txt", "requirements.txt",
                           "requirements/prod.txt", "services/api/pyproject.toml", "services/api/requirements.in")
    assert [p[0] for p in pins(found)] == ["attrs", "coverage", "flask", "gunicorn", "mypy", "pytest"]
    # The pip-compile input's range is resolved by nothing that pins attrs beside or above it.
    assert [(u.rule, u.path) for u in found.unauditable] == [("unpinned-requirement", "services/api/requirements.in")]
    write_tree(tmp_path, {"services/api/requirements.txt": "attrs==23.1.0\n"})
    assert read(tmp_path).unauditable == ()


def test_exclude_applies_to_files_and_includes(tmp_path):
    write_tree(tmp_path, {"requirements.txt": "-r vendor/requirements.txt\nflask==3.0.0\n",
                          "vendor/requirements.txt": "requests>=2\n"})
    found = read(tmp_path, exclude=["vendor/**"])
    assert problems(found) == []
    assert ("vendor/requirements.txt", "included from requirements.txt:1 but excluded by configuration") in found.skipped


def test_pyproject_ranges_need_a_lock(tmp_path):
    project = """
        [project]
        name = "svc"
        dependencies = ["requests>=2", "flask==3.0.0"]
        [project.optional-dependencies]
        dev = ["pytest>=8"]
        [dependency-groups]
        lint = ["ruff", {include-group = "dev"}]
    """
    write_tree(tmp_path / "a", {"pyproject.toml": project})
    found = read(tmp_path / "a")
    assert [(u.rule, u.spec, u.line) for u in found.unauditable] == [
        ("unpinned-requirement", "requests>=2", 3), ("unpinned-requirement", "pytest>=8", 5),
        ("unpinned-requirement", "ruff", 7)]
    # With a lockfile listing requests and pytest, only ruff is left unresolved.
    write_tree(tmp_path / "b", {"pyproject.toml": project, "uv.lock": """
        version = 1
        [[package]]
        name = "requests"
        version = "2.31.0"
        source = { registry = "https://pypi.org/simple" }
        [[package]]
        name = "pytest"
        version = "8.0.0"
        source = { registry = "https://pypi.org/simple" }
    """})
    found = read(tmp_path / "b")
    assert [u.spec for u in found.unauditable] == ["ruff"]
    assert ("requests", "2.31.0", "uv.lock", 3) in pins(found)


def test_dynamic_dependencies_without_a_lock_are_unauditable(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'})
    (item,) = read(tmp_path).unauditable
    assert item.rule == "unauditable-requirement" and item.line == 3 and "setup.py" in item.reason


def test_lockfile_sources():
    text = """
[[package]]
name = "local"
version = "0.1"
[package.source]
type = "directory"
url = "libs/local"

[[package]]
name = "outside"
version = "0.1"
[package.source]
type = "directory"
url = "../../elsewhere"

[[package]]
name = "fromgit"
version = "1.0"
[package.source]
type = "git"
url = "https://example.com/x.git"

[[package]]
name = "private"
version = "2.0"
[package.source]
type = "legacy"
url = "https://pypi.internal/simple"
"""
    result = parse_lockfile("poetry.lock", text)
    assert [p.key for p in result.pins] == [("private", "2.0")]
    assert [(u.name, u.line) for u in result.unauditable] == [("outside", 10), ("fromgit", 17)]
    assert result.skipped[0][0] == "poetry.lock: local"
    assert result.locked_names == {"local", "outside", "fromgit", "private"}


def test_pipfile_lock_entries():
    text = """{
    "_meta": {"hash": {"sha256": "0"}},
    "default": {
        "requests": {"version": "==2.19.1", "hashes": []},
        "myapp": {"editable": true, "path": "."},
        "vcs": {"git": "https://example.com/x.git", "ref": "abc"},
        "loose": {"version": "*"}
    }
}"""
    result = parse_lockfile("Pipfile.lock", text)
    assert [(p.key, p.line) for p in result.pins] == [(("requests", "2.19.1"), 4)]
    assert [(u.name, u.line) for u in result.unauditable] == [("vcs", 6), ("loose", 7)]
    assert [s[0] for s in result.skipped] == ["Pipfile.lock: myapp"]


def test_pylock_entries():
    text = """
lock-version = "1.0"
created-by = "x"
[[packages]]
name = "attrs"
version = "23.1.0"
[[packages]]
name = "nover"
[[packages]]
name = "fromvcs"
vcs = { type = "git", url = "https://example.com/x.git", commit-id = "0" }
"""
    result = parse_lockfile("pylock.dev.toml", text)
    assert [p.key for p in result.pins] == [("attrs", "23.1.0")]
    assert [u.name for u in result.unauditable] == ["nover", "fromvcs"]


def test_malformed_files_are_findings():
    for path, text in (("uv.lock", "[[package]\n"), ("Pipfile.lock", "{"), ("pylock.toml", "packages = 3\n"),
                       ("Pipfile.lock", "[]")):
        result = parse_lockfile(path, text)
        assert [u.rule for u in result.unauditable] == ["unreadable-dependency-file"], path
    result, _ = parse_pyproject("pyproject.toml", "[project\n")
    assert result.unauditable[0].rule == "unreadable-dependency-file"


def test_byte_order_mark_and_crlf(tmp_path):
    write_tree(tmp_path, {"requirements.txt": "\ufeffrequests==2.19.1\r\nflask==3.0.0 \\\r\n  --hash=sha256:00\r\n",
                          "Pipfile.lock": '\ufeff{"default": {"attrs": {"version": "==23.1.0"}}}'})
    found = read(tmp_path)
    assert problems(found) == []
    assert [p[:2] for p in pins(found)] == [("attrs", "23.1.0"), ("flask", "3.0.0"), ("requests", "2.19.1")]


def test_binary_requirements_file_is_a_finding(tmp_path):
    write_tree(tmp_path, {"requirements.txt": b"requests==2.19.1\n\x00\x01"})
    assert problems(read(tmp_path)) == [("unreadable-dependency-file", "requirements.txt", None)]


def test_include_chain_depth_is_bounded(tmp_path):
    files = {f"requirements/r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(30)}
    files["requirements/r30.txt"] = "flask==3.0.0\n"
    write_tree(tmp_path, files)
    found = discover(build_inventory(tmp_path), ())
    assert any(u.rule == "unauditable-include" and "deeper than" in u.reason for u in found.unauditable)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_requirements_parser_never_crashes(text):
    from gate.deps.requirements import parse_requirements

    def reader(path):
        if path == "requirements.txt":
            return text
        from gate.deps.requirements import Unavailable
        raise Unavailable("no such file in the repository")

    result = parse_requirements("requirements.txt", reader)
    for pin in result.pins:
        assert "\n" not in pin.name + pin.version and not pin.name.startswith("-")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml"]))
def test_lockfile_parser_never_crashes(text, name):
    parse_lockfile(name, text)
    parse_pyproject("pyproject.toml", text)


def test_poetry_tables_and_pipfile_without_locks(tmp_path):
    write_tree(tmp_path / "poetry", {"pyproject.toml": """
        [tool.poetry]
        name = "svc"
        [tool.poetry.dependencies]
        python = "^3.10"
        requests = "2.19.1"
        flask = "^3.0"
        lib = { path = "../lib", develop = true }
        [tool.poetry.group.dev.dependencies]
        pytest = { version = "==8.0.0" }
    """})
    found = read(tmp_path / "poetry")
    assert [p[:2] for p in pins(found)] == [("pytest", "8.0.0"), ("requests", "2.19.1")]
    assert [(u.rule, u.name, u.line) for u in found.unauditable] == [
        ("unpinned-requirement", "flask", 6), ("unauditable-requirement", "lib", 7)]
    write_tree(tmp_path / "pipenv", {"Pipfile": """
        [packages]
        requests = "==2.19.1"
        flask = "*"
        [dev-packages]
        "pytest" = {version = ">=8"}
    """})
    found = read(tmp_path / "pipenv")
    assert [p[:2] for p in pins(found)] == [("requests", "2.19.1")]
    assert [(u.spec, u.line) for u in found.unauditable] == [('flask = "*"', 3), ('pytest = ">=8"', 5)]
    # With the Pipfile.lock beside it, the lock's pins decide.
    write_tree(tmp_path / "pipenv", {"Pipfile.lock": '{"default": {"flask": {"version": "==3.0.0"}},'
                                                     ' "develop": {"pytest": {"version": "==8.0.0"}}}'})
    assert read(tmp_path / "pipenv").unauditable == ()


def test_setup_files_alone_are_findings(tmp_path):
    write_tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(install_requires=['requests'])\n",
                          "tools/helper/setup.cfg": "[options]\ninstall_requires = requests\n"})
    assert [(u.rule, u.path, u.line) for u in read(tmp_path).unauditable] == [
        ("unauditable-requirement", "setup.py", 2), ("unpinned-requirement", "tools/helper/setup.cfg", 2)]
    write_tree(tmp_path, {"requirements.txt": "requests==2.31.0\n"})
    assert read(tmp_path).unauditable == ()




def test_setup_cfg_is_read_as_setuptools_reads_it(tmp_path):
    write_tree(tmp_path, {
        "setup.cfg": """
            [metadata]
            name = svc
            [options]
            install_requires =
                requests==2.19.1
                # a comment line
                flask>=2
            [options.extras_require]
            dev = pytest==8.0.0; mypy
            docs = file: docs/requirements.txt
        """,
        "docs/requirements.txt": "sphinx==7.3.7\n"})
    found = read(tmp_path)
    assert [p[:3] for p in pins(found)] == [("pytest", "8.0.0", "setup.cfg"), ("requests", "2.19.1", "setup.cfg"),
                                             ("sphinx", "7.3.7", "docs/requirements.txt")]
    assert [(u.rule, u.spec, u.line) for u in found.unauditable] == [
        ("unpinned-requirement", "flask>=2", 7), ("unpinned-requirement", "mypy", 9)]
    write_tree(tmp_path, {"setup.cfg": "[options\ninstall_requires = x\n"})
    assert [u.rule for u in read(tmp_path).unauditable] == ["unreadable-dependency-file"]


def test_setup_py_literals_are_read_and_computed_values_are_named(tmp_path, capfd):
    write_tree(tmp_path, {"setup.py": """
        import setuptools
        REQUIRES = ["requests==2.19.1", "flask>=2"]
        setuptools.setup(name="svc", install_requires=REQUIRES,
                         extras_require={"dev": ["pytest==8.0.0"]})
    """})
    found = read(tmp_path)
    assert [p[:3] for p in pins(found)] == [("pytest", "8.0.0", "setup.py"), ("requests", "2.19.1", "setup.py")]
    (item,) = found.unauditable
    assert (item.rule, item.spec, item.line) == ("unauditable-requirement", "flask>=2", 2)
    assert "install_requires" in item.reason and "pins it" in item.reason
    # Computed, or not Python 3: a finding naming why; never a crash, never a warning on stderr.
    for body in ("from setuptools import setup\nsetup(install_requires=open('r.txt').read().split())\n",
                 "print 'python 2'\n", "x = '\\d'\nsetup(**kw)\n"):
        write_tree(tmp_path, {"setup.py": body}, dedent=False)
        (item,) = read(tmp_path).unauditable
        assert item.rule == "unauditable-requirement" and item.path == "setup.py" and "never runs" in item.reason
    assert capfd.readouterr().err == ""
    # setup() with no dependencies declares nothing.
    write_tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='svc')\n"}, dedent=False)
    assert read(tmp_path).unauditable == ()
