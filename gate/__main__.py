"""``python -m gate`` runs the CLI."""

from gate.cli import console_main

if __name__ == "__main__":
    console_main()
