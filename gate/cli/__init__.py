"""Command line: ``readiness-gate <command>``.

``main(argv) -> int`` never calls ``sys.exit``; :func:`console_main` does. Exit codes are
:mod:`gate.exitcodes` (README "Exit codes", ``docs/threats.md`` promise 1): 0 ready, 1 not
ready, 2 configuration or usage error, 3 the gate itself failed.

Subcommands are listed explicitly in :data:`COMMANDS`; each lives in its own module exposing
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Mapping, NoReturn, Optional, Sequence

from gate import __version__
from gate.exitcodes import EXIT_INTERNAL, EXIT_NOT_READY, EXIT_READY, EXIT_USAGE, UsageError
from gate.redact import redact
from gate.safe_warnings import install as install_safe_warnings

__all__ = ["EXIT_INTERNAL", "EXIT_NOT_READY", "EXIT_READY", "EXIT_USAGE", "UsageError", "main", "console_main"]

COMMANDS: Mapping[str, str] = {
    "check": "gate.cli.check",
    "validate": "gate.cli.validate",
    "list-checks": "gate.cli.info",
    "explain": "gate.cli.info",
    "schema": "gate.cli.info",
    "init": "gate.cli.init",
    "github": "gate.cli.github",
    "publish": "gate.cli.publish",
    "dashboard": "gate.cli.dashboard",
}
"""Subcommand -> module. A module may serve several subcommands: it then exposes
``add_arguments_<name>`` / ``run_<name>`` (dashes as underscores)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _hook(module: object, name: str, what: str):  # type: ignore[no-untyped-def]
    specific = getattr(module, f"{what}_{name.replace('-', '_')}", None)
    return specific or getattr(module, what)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (subcommands whose module is not installed are left out)."""
    parser = _Parser(prog="readiness-gate",
                     description="A production-readiness release gate for pull requests.")
    parser.add_argument("--version", action="version", version=f"readiness-gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        help_text = getattr(module, f"HELP_{name.replace('-', '_').upper()}", None) or module.HELP
        p = sub.add_parser(name, help=help_text, description=help_text)
        _hook(module, name, "add_arguments")(p)
        p.set_defaults(_run=_hook(module, name, "run"))
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    install_safe_warnings()  # every Python warning: one escaped line (gate/safe_warnings.py)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(args._run(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("readiness-gate: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 3, never 0
        print(f"readiness-gate: internal error: {type(exc).__name__}: {redact(str(exc))[:500]}",
              file=sys.stderr)
        return EXIT_INTERNAL


def console_main() -> None:
    """Entry point of the ``readiness-gate`` console script."""
    sys.exit(main())
