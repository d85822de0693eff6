"""The inventory reads that the evidence checks' literal index relies on (``Inventory.read_bytes``).

The read path was made leaner (a bare descriptor instead of a buffered file object); these pin
what it returns when a file changed after the walk, and that it never follows a swapped-in
symlink or reads a swapped-in FIFO.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write_tree

from gate.inventory import InventoryError, build_inventory


def test_reads_what_the_file_holds_now_up_to_the_cap(tmp_path: Path) -> None:
    write_tree(tmp_path, {"grows.txt": "abc", "grows-past-cap.txt": "abc", "shrinks.txt": "abcdef", "same.txt": "x" * 100})
    inv = build_inventory(tmp_path, max_file_size=10, use_git=False)
    (tmp_path / "grows.txt").write_text("abcdefgh")
    (tmp_path / "grows-past-cap.txt").write_text("0123456789abcdef")
    (tmp_path / "shrinks.txt").write_text("ab")
    assert inv.read_bytes("grows.txt") == b"abcdefgh"
    assert inv.read_bytes("grows-past-cap.txt") == b"0123456789"
    assert inv.read_bytes("shrinks.txt") == b"ab"
    assert inv.get("same.txt") is None  # over the cap at walk time: never listed


def test_a_symlink_or_fifo_swapped_in_after_the_walk_is_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.sh": "pg_dump db\n", "b.sh": "pg_dump db\n", "secret": "s3cr3t\n"})
    inv = build_inventory(tmp_path, use_git=False)
    (tmp_path / "a.sh").unlink()
    os.symlink(tmp_path / "secret", tmp_path / "a.sh")
    (tmp_path / "b.sh").unlink()
    os.mkfifo(tmp_path / "b.sh")
    with pytest.raises(InventoryError, match="a.sh: cannot read"):
        inv.read_bytes("a.sh")
    with pytest.raises(InventoryError, match="b.sh: not a regular file"):
        inv.read_bytes("b.sh")
    (tmp_path / "b.sh").unlink()
    with pytest.raises(InventoryError, match="b.sh: cannot read"):
        inv.read_text("b.sh")
