"""The one way readiness-gate runs an external program.

Every external program readiness-gate starts (semgrep, pip-audit, detect-secrets, its secret
planner, and git through :mod:`gate.git`, which adds git's hardening flags) runs through
:func:`run_tool`:

* argv lists only, never a shell;
* a timeout per call, after which the whole process group is killed (semgrep forks workers);
* stdout and stderr captured; stderr only ever reaches a message after :func:`gate.redact.redact`
  and truncation;
* each adapter states which exit codes it accepts (``ok_codes``); anything else is a
  :class:`ToolError` (carrying the finished :class:`ToolRun`, so the adapter can explain the
  status from the tool's own output) that the check turns into ``error``, never ``pass``
  (``docs/threats.md`` row 11: pip-audit exits 1 for both findings and failures, semgrep
  has exited 0 on internal errors, so adapters must also validate the output itself).

Executables are found, in order: the ``READINESS_GATE_<NAME>_BIN`` environment variable
(``READINESS_GATE_SEMGREP_BIN``, ``READINESS_GATE_PIP_AUDIT_BIN``,
``READINESS_GATE_DETECT_SECRETS_BIN``, ``READINESS_GATE_GIT_BIN``), the directory of the running Python interpreter (the
virtual environment readiness-gate is installed in), then ``PATH``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gate.redact import redact

STDERR_TAIL_CHARS = 800
"""How much of a failing tool's stderr (its end, redacted) goes into an error message."""


@dataclass(frozen=True)
class ToolRun:
    """A finished run of an external tool: what :func:`run_tool` returns when the exit status
    was acceptable, and what a :class:`ToolError` carries (``error.run``) when it was not."""

    argv: tuple[str, ...]
    returncode: int
    """Exit status; negative for a signal."""
    stdout: str
    """Standard output decoded as UTF-8 (undecodable bytes replaced)."""
    stderr: str
    """Standard error decoded as UTF-8 (undecodable bytes replaced); never shown unredacted."""
    duration_s: float
    """Wall time, seconds."""
    stdout_bytes: bytes = field(default=b"", repr=False)
    """Standard output as the tool wrote it (NUL-separated names, file contents)."""


class ToolError(Exception):
    """An external tool could not do its job: missing, timed out, crashed, or bad output.

    ``str(error)`` is a complete, actionable message for the report; it never contains
    unredacted tool output.
    """

    def __init__(
        self,
        tool: str,
        problem: str,
        *,
        hint: str = "",
        argv: Sequence[str] = (),
        returncode: int | None = None,
        stderr: str = "",
        run: ToolRun | None = None,
    ) -> None:
        self.tool = tool
        """Tool name (``semgrep``)."""
        self.problem = problem
        """What went wrong, one sentence."""
        self.hint = hint
        """What the user can do about it."""
        self.argv = tuple(argv)
        """The command that was run."""
        self.returncode = returncode
        """Exit status, negative for a signal, None when it never ran or timed out."""
        self.stderr_tail = tail(redact(stderr)) if stderr else ""
        """The redacted end of the tool's stderr."""
        self.run = run
        """The finished run when the tool ran to an exit status that was not acceptable (or was
        killed by a signal), so an adapter can read its output to explain why; else None
        (missing, could not start, timed out)."""
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.tool}: {self.problem}"]
        if self.stderr_tail:
            parts.append(f"stderr ends: {self.stderr_tail}")
        if self.hint:
            parts.append(self.hint)
        return " ".join(p if p.endswith(".") else p + "." for p in parts)


def tail(text: str, limit: int = STDERR_TAIL_CHARS) -> str:
    """The last ``limit`` characters of ``text``, one line, whitespace collapsed."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else "…" + flat[-limit:]


def env_var_for(tool: str) -> str:
    """Name of the environment variable that overrides ``tool``'s executable."""
    return "READINESS_GATE_" + tool.upper().replace("-", "_") + "_BIN"


def find_tool(tool: str) -> str | None:
    """Absolute path of ``tool``'s executable, or None (see module docstring for the order)."""
    override = os.environ.get(env_var_for(tool))
    if override:
        return override if os.path.exists(override) else None
    here = os.path.dirname(sys.executable)
    found = shutil.which(tool, path=here) or shutil.which(tool)
    return found


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            proc.kill()
        except OSError:
            pass


def run_tool(
    tool: str,
    args: Sequence[str],
    *,
    timeout: float,
    ok_codes: Sequence[int] = (0,),
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    install_hint: str = "",
    unset_env: Sequence[str] = (),
) -> ToolRun:
    """Run ``tool`` with ``args`` and return its output.

    Args:
        tool: executable name (resolved by :func:`find_tool`).
        args: arguments after the executable.
        timeout: seconds before the process group is killed.
        ok_codes: exit statuses that mean "the tool did its job" (findings or not).
        cwd: working directory.
        env: extra environment variables (added to a copy of ``os.environ``).
        stdin: bytes to feed on standard input (None: ``/dev/null``).
        install_hint: appended to the "not found" message.
        unset_env: environment variables removed from the copy of ``os.environ``.

    Raises:
        ToolError: not found, could not start, timed out, killed by a signal, or an exit
            status outside ``ok_codes`` (then ``error.run`` is the finished run).
    """
    exe = find_tool(tool)
    if exe is None:
        raise ToolError(
            tool,
            "executable not found",
            hint=install_hint
            or f"Install it in the same environment as readiness-gate (pip install readiness-gate "
            f"installs it), or set {env_var_for(tool)} to its path",
        )
    argv = (exe, *args)
    # PYTHONSAFEPATH (Python 3.11+): a Python child never puts its working directory (``-m``,
    # ``-c``) or its script's directory on sys.path. Started from inside a scanned checkout (the
    # CLI's default path ".", a Docker action's workdir), ``python -m gate.secrets.planner``
    # would otherwise import the checkout's own ``gate/`` package: code from the repository
    # (promise 2). Callers may still override it through ``env``.
    full_env = {**os.environ, "PYTHONSAFEPATH": "1", **(env or {})}
    for name in unset_env:
        full_env.pop(name, None)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=full_env,
            start_new_session=True,  # own process group, so a timeout kills its children too
        )
    except OSError as exc:
        raise ToolError(tool, f"could not start ({exc.strerror or exc})", argv=argv) from None
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        raise ToolError(
            tool,
            f"timed out after {timeout:g} s and was stopped",
            hint="Raise the check's timeout in readiness.yml (checks.<id>.timeout) or scan less "
            "(exclude globs)",
            argv=argv,
            stderr=err.decode("utf-8", "replace"),
        ) from None
    finally:
        if proc.poll() is None:  # pragma: no cover - defensive
            _kill_group(proc)
    duration = time.monotonic() - start
    run = ToolRun(tuple(argv), proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  duration, out)
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = str(-proc.returncode)
        raise ToolError(tool, f"was killed by signal {name}", argv=argv,
                        returncode=proc.returncode, stderr=run.stderr, run=run)
    if proc.returncode not in ok_codes:
        raise ToolError(tool, f"exited with status {proc.returncode}", argv=argv,
                        returncode=proc.returncode, stderr=run.stderr, run=run)
    return run


def installed_version(tool: str) -> str | None:
    """The version of the distribution named ``tool`` installed in the running interpreter's
    environment, when ``tool`` resolves to that environment's own console script (no
    ``READINESS_GATE_<TOOL>_BIN`` override, the executable in the directory of ``sys.executable``);
    else None. That script belongs to that distribution, so this is what ``tool --version``
    would print, without starting it (``pip-audit --version`` costs ~0.6 s of CPU, a third of a
    diff-mode run's own work)."""
    if os.environ.get(env_var_for(tool)):
        return None
    found = find_tool(tool)
    here = os.path.dirname(sys.executable)
    if found is None or os.path.dirname(found) != here:
        return None
    try:
        return importlib.metadata.version(tool) or None
    except importlib.metadata.PackageNotFoundError:
        return None


def tool_version(tool: str, version_arg: str = "--version", timeout: float = 60.0) -> str:
    """The version string ``tool`` prints for ``version_arg`` (first line), or ``unknown``.

    Read from the installed distribution's metadata when ``tool`` is the running environment's
    own (:func:`installed_version`), else by running the tool. Cached per process and per
    resolved executable (:func:`find_tool`): versions do not change during a run, but pointing
    ``READINESS_GATE_<TOOL>_BIN`` or ``PATH`` at another executable asks that one.
    ``tool_version.cache_clear()`` empties the cache.
    """
    return _version_of(tool, find_tool(tool), os.environ.get(env_var_for(tool)), version_arg, timeout)


@functools.cache
def _version_of(tool: str, exe: str | None, override: str | None, version_arg: str,
                timeout: float) -> str:
    """:func:`tool_version` for the executable ``exe`` (the cache key; ``override`` too, since
    it decides whether the distribution's metadata may answer)."""
    known = installed_version(tool)
    if known:
        return known
    try:
        run = run_tool(tool, [version_arg], timeout=timeout)
    except ToolError:
        return "unknown"
    text = (run.stdout.strip() or run.stderr.strip()).splitlines()
    if not text:
        return "unknown"
    first = text[0].strip()
    # Some tools print their own name first ("pip-audit 2.10.1"); the report shows name + version.
    if first.lower().startswith(tool.lower() + " "):
        first = first[len(tool) + 1:].strip()
    return first or "unknown"


tool_version.cache_clear = _version_of.cache_clear  # type: ignore[attr-defined]
