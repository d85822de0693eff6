"""The shortcuts behind the evidence checks' speed give the answers of the slow, obvious code.

The evidence checks find their keywords with the run's shared :class:`gate.textindex.LiteralIndex`
(pivot patterns from :func:`literal_groups`), try only the lines holding a keyword
(:func:`gate.checks.evidence._first_command`) and fold case like ``re.IGNORECASE`` does
(:func:`fold_case`). Each is
compared here with the plain computation it replaces, on examples and on generated inputs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from helpers import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.checks.backups import BACKUP_COMMANDS, BACKUP_KEYWORDS, RESTORE_COMMANDS, RESTORE_KEYWORDS
from gate.checks.load_test import DEFINITION_LITERALS, LOAD_COMMANDS, LOAD_KEYWORDS
from gate.checks.evidence import _COMMENT_LINE, _first_command, find_commands
from gate.checks.observability.libraries import PY_HINT_LITERALS
from gate.checks.registry import load_check
from gate.checks.rollback import ROLLBACK_COMMANDS, ROLLBACK_KEYWORDS
from gate.config import build_config
from gate.inventory import build_inventory
from gate.textindex import LiteralIndex, fold_bytes, fold_case, literal_groups
from gate.textindex import fold_in_place as _fold_in_place

COMMANDS = ((BACKUP_COMMANDS, BACKUP_KEYWORDS), (RESTORE_COMMANDS, RESTORE_KEYWORDS),
            (LOAD_COMMANDS, LOAD_KEYWORDS), (ROLLBACK_COMMANDS, ROLLBACK_KEYWORDS))


def index_literals() -> tuple[str, ...]:
    """Every word the evidence checks ask the run's index about (:meth:`Check.index_words`),
    under the default profile, sorted."""
    config = build_config(None, None)
    words: set[str] = set()
    for cid in ("backups", "load-test", "observability", "rollback"):
        check = load_check(cid)
        words |= check.index_words(check.parse_settings(config.settings(cid).options))
    return tuple(sorted(words))


# --------------------------------------------------------------------------- fold_case


def test_fold_case_turns_every_ignorecase_equivalent_of_an_ascii_letter_into_that_letter() -> None:
    """All of Unicode: wherever re.IGNORECASE lets a character match an ASCII letter, the folded
    text has that letter (in place, unless the character is the one that lengthens, İ)."""
    any_letter = re.compile("[a-z]", re.IGNORECASE)
    odd = [chr(cp) for cp in range(0x80, sys.maxunicode + 1) if any_letter.fullmatch(chr(cp))]
    assert odd, "expected a few non-ASCII characters that match ASCII letters"
    for char in odd:
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if re.fullmatch(letter, char, re.IGNORECASE):
                assert fold_case(f"x{char}y") == f"x{letter}y", (hex(ord(char)), letter)
                in_place = _fold_in_place(f"x{char}y")
                assert in_place is None or in_place == f"x{letter}y", (hex(ord(char)), letter)


def test_fold_in_place_keeps_positions_or_gives_up() -> None:
    assert _fold_in_place("PG_DUMP ſnapshot") == "pg_dump snapshot"
    assert _fold_in_place("İ pg_dump") is None  # lower() lengthens İ: positions would shift
    assert fold_case("İNDEX") == "index"


# --------------------------------------------------------------------------- literal_groups


def _groups_say(groups, text: str) -> bool:
    return any(group.pattern.search(text) for group in groups)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abk6-_.", min_size=1, max_size=6), min_size=1, max_size=8, unique=True),
       st.lists(st.text("abk6-_.\n", max_size=40), max_size=6))
def test_literal_groups_find_exactly_the_texts_holding_a_literal(literals: list[str], texts: list[str]) -> None:
    groups = literal_groups(tuple(sorted(literals)))
    members = [m for group in groups for m in group.members]
    assert sorted(members) == sorted(literals)  # a partition
    for text in [*texts, *literals, "".join(literals), "x".join(literals)[1:-1]]:
        assert _groups_say(groups, text) == any(lit in text for lit in literals), text
        for group in groups:
            assert bool(group.pattern.search(text)) == any(m in text for m in group.members), (group, text)
            assert sorted(group.present(text)) == sorted(m for m in group.members if m in text), (group, text)


def test_the_real_literals_group_into_few_passes_with_the_same_answers() -> None:
    literals = index_literals()
    groups = literal_groups(literals)
    assert len(groups) <= 8  # the point: a handful of passes, not one per literal
    encoded = literal_groups(literals, as_bytes=True)
    assert [g.offsets for g in encoded] == [g.offsets for g in groups]
    samples = [*literals, *(lit.upper() for lit in literals), "json.dumps(x)", "callback", "a_restore_b",
               "xtrabackup --prepare", "k 6", "rollbac k", "pg-dump", "snap shot", "ecs_loggin", " ".join(literals)]
    for text in samples:
        low = fold_case(text)
        expected = {lit for lit in literals if lit in low}
        assert {lit for group in groups for lit in group.present(low)} == expected, text
        low_bytes = fold_bytes(text.encode())
        assert {lit.decode() for group in encoded for lit in group.present(low_bytes)} == expected, text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"Pg_Dump", b"\xc5\xbf", b"\xc4\xb0", b"\xc4\xb1", b"\xe2\x84\xaa", b"\xe2\x84",
                                 b"\xc5", b"\xbf", b"\xff", b"\xf0", b"na", b"pshot", b"S", b"K6", b"rollback", b"\n",
                                 b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"I", b"ndo", b"u", b"resto", b"re"]),
                max_size=12).map(b"".join))
def test_fold_bytes_finds_what_fold_case_finds_in_the_decoded_text(data: bytes) -> None:
    """The index folds raw bytes; the literals found must be those of the decoded text."""
    text = data.decode("utf-8", errors="replace")
    for lit in ("pg_dump", "snapshot", "k6", "rollback", "undo", "restore", "si", "ik", "is", "s"):
        assert (lit.encode() in fold_bytes(data)) == (lit in fold_case(text)), (data, lit)


def test_every_keyword_the_checks_ask_about_is_indexed() -> None:
    """Otherwise LiteralIndex.any_of falls back to scanning the file again (same answer, slower)."""
    literals = set(index_literals())
    for _, keywords in COMMANDS:
        assert set(keywords) <= literals
    assert set(DEFINITION_LITERALS) <= literals
    assert {h.lower() for h in PY_HINT_LITERALS} <= literals
    assert all(lit == lit.lower() for lit in literals)


def test_literal_index_answers_like_a_substring_test_also_outside_its_literals(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "import STRUCTLOG\nx = 'Kubectl ROLLOUT undo'\n", "b.sh": "echo hi\n",
                          "c.bin": b"\0rollback", "d.txt": "ſnapshot"})
    inv = build_inventory(tmp_path)
    index = LiteralIndex(inv, index_literals())
    by_path = {e.path: e for e in inv.files}
    assert index.present(by_path["a.py"]) == {"structlog", "undo"}
    assert index.present(by_path["b.sh"]) == frozenset()
    assert index.present(by_path["c.bin"]) == frozenset()  # binary: never read as text
    assert index.present(by_path["d.txt"]) == {"snapshot"}  # ſ matches s under re.IGNORECASE
    assert index.any_of(by_path["a.py"], frozenset({"undo"}))
    assert index.any_of(by_path["b.sh"], frozenset({"echo"}))  # not an indexed literal: scanned directly
    assert not index.any_of(by_path["b.sh"], frozenset({"rollback", "bye"}))


# --------------------------------------------------------------------------- _first_command


def _first_command_slowly(text: str, pattern: "re.Pattern[str]") -> "tuple[int, str] | None":
    """The code _first_command replaces: every line, in order."""
    for n, line in enumerate(text.splitlines(), 1):
        if _COMMENT_LINE.match(line):
            continue
        m = pattern.search(line)
        if m:
            return n, m.group(0)
    return None


FRAGMENTS = ["pg_dump -Fc db", "# pg_dump in a comment", "  -- pg_restore", "PG_RESTORE -d x", "backup",
             "kubectl rollout undo deploy/api", "helm ROLLBACK api", "restore", "k6 run x.js", "ſnapshot",
             "etcdctl x ſnapshot save s.db", "İ", "aws rds\nrestore-db-x", "echo undo", "velero schedule create",
             "rem pg_dump", "x pg_dumpall", "json.dumps(x)", "restic -r r backup /d", "wal-g backup-fetch"]
LINE_ENDS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", ""]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(LINE_ENDS)), max_size=12))
def test_first_command_tries_keyword_lines_only_with_the_same_result(parts: list[tuple[str, str]]) -> None:
    text = "".join(fragment + end for fragment, end in parts)
    for pattern, keywords in COMMANDS:
        expected = _first_command_slowly(text, pattern)
        low = fold_case(text)
        present = [k for k in keywords if k in low]
        assert _first_command(text, pattern, present) == expected, (pattern.pattern[:40], text)
        assert _first_command(text, pattern, keywords) == expected
        assert _first_command(text, pattern, None) == expected


def test_find_commands_line_numbers_follow_splitlines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ops/a.sh": "# pg_dump\r\necho hi\r\npg_dump db\r\n",
                          "ops/b.sh": "x\x0cy\x0c  pg_dump db\n",
                          "ops/c.sh": "İ\n\npg_dump db\n",  # positions shift when lower-cased: slow path
                          "ops/d.sh": "etcdctl --x ſnapshot save s.db\n",
                          "ops/e.sh": "# pg_dump\necho pg_dump\n\n  # backup\nx=1 pg_dump y\npg_dump"}, dedent=False)
    inv = build_inventory(tmp_path)
    index = LiteralIndex(inv, index_literals())
    expected = [("ops/a.sh", 3, "pg_dump"), ("ops/b.sh", 3, "pg_dump"), ("ops/c.sh", 3, "pg_dump"),
                ("ops/d.sh", 1, "etcdctl --x ſnapshot save"), ("ops/e.sh", 2, "pg_dump")]
    assert find_commands(inv, BACKUP_COMMANDS, keywords=BACKUP_KEYWORDS, index=index) == expected
    assert find_commands(inv, BACKUP_COMMANDS, keywords=BACKUP_KEYWORDS) == expected
    assert find_commands(inv, BACKUP_COMMANDS) == expected


def test_hostile_repetitions_take_the_bounded_paths_with_the_same_answers() -> None:
    """A word repeated past the visit and hit bounds: the bounded paths still answer exactly."""
    group = next(g for g in literal_groups(index_literals()) if "restore" in g.members)
    text = "restore " * 200 + " ".join(m for m in group.members if m != "restore")
    assert sorted(group.present(text)) == sorted(group.members)
    many = "x restore y\n" * 12_000 + "pg_restore -d db\n"
    assert _first_command(many, RESTORE_COMMANDS, ["restore"]) == _first_command_slowly(many, RESTORE_COMMANDS) == (
        12_001, "pg_restore")
    one_line = "restore " * 20_000 + "mongorestore d"
    assert _first_command(one_line, RESTORE_COMMANDS, ["restore"]) == (1, "mongorestore")
