"""``readiness-gate validate [FILE]``: check readiness.yml against the schema, nothing else."""

from __future__ import annotations

import argparse
from pathlib import Path

from gate.cli.common import print_config_error
from gate.exitcodes import EXIT_READY, EXIT_USAGE
from gate.config import ConfigError, find_config, load_config_text, read_config_file

HELP = "Validate readiness.yml (schema, dates, check ids) without running any check."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``FILE`` defaults to the readiness.yml found in ``--path``."""
    p.add_argument("file", nargs="?", help="file to validate (default: the readiness.yml found in --path)")
    p.add_argument("--path", default=".", help="repository to look in when FILE is not given (default: .)")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when valid, 2 when invalid or missing."""
    try:
        if args.file:
            path, display = Path(args.file), args.file
        else:
            root = Path(args.path)
            found = find_config(root)
            if found is None:
                print(f"readiness-gate: no readiness.yml in {args.path} (looked for readiness.yml, "
                      ".github/readiness.yml); run `readiness-gate init` to write one")
                return EXIT_USAGE
            path, display = found, found.relative_to(root).as_posix()
        config = load_config_text(read_config_file(path, display), display)
    except ConfigError as exc:
        print_config_error(exc)
        return EXIT_USAGE
    n = len(config.deferrals)
    print(f"{display}: valid (extends {config.profile}; {len(config.owners)} owner(s), "
          f"{len(config.approvers)} approver(s), {n} deferral{'s' if n != 1 else ''})")
    return EXIT_READY
