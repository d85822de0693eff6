"""The repository inventory: the files of the scanned tree, walked once and shared by every check.

No check walks the tree itself (``docs/architecture.md``, "one walk"). The inventory decides, once, which files
may be examined at all, and lists every other path with the reason (promise 5, "every skip is
named"; ``docs/threats.md`` row 7):

* a symlink whose target leaves the repository, or does not exist, is skipped and never read
  (a runbook linked to ``/etc/passwd`` is not evidence and its content never leaks);
* a symlink inside the repository to a regular file is listed under its own name and read
  through its (in-tree) target;
* anything that is not a regular file (FIFO, device, socket) is skipped: reading
  ``/dev/urandom`` or a FIFO would hang or never end;
* a file larger than the size cap (default 2 MiB) is skipped;
* a file with a NUL byte in its first 8 KiB is *binary*: it stays in the inventory (its
  existence can matter) but is never read as text, and it is listed as skipped for content
  checks (with its format when its first bytes and its name agree on one, :data:`BINARY_FORMATS`);
* a file name that is not valid UTF-8 is skipped (it could not be reported faithfully);
* an unreadable file is skipped with the OS error;
* a submodule (a gitlink) is listed as an unscanned submodule, never entered.

Skips that hide content which is there (too large, unreadable, a NUL byte in a file of no known
binary format, an undecodable name, past the file cap, a checked-out submodule) are also in
:attr:`Inventory.hidden`: a check that needed such a file blocks on it (:mod:`gate.unscanned`).

In a git work tree the file list comes from ``git ls-files`` (tracked plus untracked files that
are not ignored, git started through :mod:`gate.git`), so ignored build output is not scanned; elsewhere, from a walk of the
directory that never follows directory symlinks and never enters ``.git``.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Mapping, Optional, Sequence

from gate import git
from gate.globs import GLOB_FLAGS, match_globs  # noqa: F401 - match_globs is the inventory's public API
from gate.model import SkippedPath

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
"""Default size cap in bytes (2 MiB): larger files are skipped. ``readiness.yml``
``limits.max-file-size`` overrides it. Source: source files above a few hundred KiB are almost
always generated or vendored; 2 MiB keeps a hostile 200 MB file from costing memory or time."""

BINARY_SNIFF_BYTES = 8192
"""How many leading bytes are searched for a NUL byte to call a file binary (the heuristic git
and detect-secrets use)."""

TEXT_CACHE_BYTES = 64 * 1024 * 1024
"""Decoded text of files read through :meth:`Inventory.read_text` is kept up to this many bytes
in total, so the checks that read the same sources (rollback, backups, load-test,
observability, ...) read each file from disk once. Past it, reads are not cached."""

GITLINK_MODE = "160000"
"""git's mode for a submodule entry."""

MAX_FILES = 500_000
"""Hard cap on inventory size; past it the rest of the tree is skipped with a reason."""

BINARY_FORMATS: tuple[tuple[int, bytes, str, tuple[str, ...]], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG image", (".png", ".apng")),
    (0, b"\xff\xd8\xff", "JPEG image", (".jpg", ".jpeg", ".jpe", ".jfif")),
    (0, b"GIF87a", "GIF image", (".gif",)), (0, b"GIF89a", "GIF image", (".gif",)),
    (0, b"\x00\x00\x01\x00", "icon", (".ico", ".cur")),
    (0, b"wOFF", "WOFF font", (".woff",)), (0, b"wOF2", "WOFF2 font", (".woff2",)),
    (0, b"\x00\x01\x00\x00", "TrueType font", (".ttf", ".ttc")), (0, b"OTTO", "OpenType font", (".otf",)),
    (0, b"%PDF-", "PDF document", (".pdf",)),
    (0, b"PK\x03\x04", "zip archive", (".zip", ".jar", ".war", ".whl", ".egg", ".apk", ".docx", ".xlsx",
                                       ".pptx", ".odt", ".ods", ".nupkg", ".vsix", ".xpi")),
    (0, b"PK\x05\x06", "zip archive", (".zip",)),
    (0, b"\x1f\x8b", "gzip archive", (".gz", ".tgz", ".svgz")), (0, b"BZh", "bzip2 archive", (".bz2", ".tbz2")),
    (0, b"\xfd7zXZ\x00", "xz archive", (".xz", ".txz")), (0, b"7z\xbc\xaf\x27\x1c", "7-zip archive", (".7z",)),
    (257, b"ustar", "tar archive", (".tar",)),
    (0, b"\x7fELF", "ELF binary", ("", ".so", ".o", ".a", ".elf", ".bin", ".node")),
    (0, b"\xca\xfe\xba\xbe", "Java class or Mach-O binary", (".class", "", ".dylib")),
    (0, b"\xcf\xfa\xed\xfe", "Mach-O binary", ("", ".dylib", ".so", ".bundle")),
    (0, b"MZ", "Windows executable", (".exe", ".dll", ".sys", ".pyd", ".ocx", ".scr")),
    (0, b"\x00asm", "WebAssembly module", (".wasm",)),
    (0, b"SQLite format 3\x00", "SQLite database", (".db", ".sqlite", ".sqlite3")),
    (0, b"RIFF", "RIFF media (WebP, WAV, AVI)", (".webp", ".wav", ".avi")),
    (4, b"ftyp", "MP4/HEIF media", (".mp4", ".m4a", ".m4v", ".mov", ".heic", ".heif", ".avif", ".3gp")),
    (0, b"OggS", "Ogg media", (".ogg", ".oga", ".ogv", ".opus")), (0, b"ID3", "MP3 audio", (".mp3",)),
    (0, b"fLaC", "FLAC audio", (".flac",)), (0, b"\x1aE\xdf\xa3", "Matroska/WebM media", (".mkv", ".webm")),
    (0, b"II*\x00", "TIFF image", (".tif", ".tiff")), (0, b"MM\x00*", "TIFF image", (".tif", ".tiff")),
    (0, b"\x89HDF", "HDF5 data", (".h5", ".hdf5", ".hdf")), (0, b"\x93NUMPY", "NumPy array", (".npy",)),
    (0, b"PAR1", "Parquet data", (".parquet",)),
)
"""``(offset, magic, name, suffixes)`` of the binary formats a repository holds as assets
(images, fonts, archives, compiled code, media, data). A file with a NUL byte that starts with
one of them *and* whose name ends with one of its suffixes (``""``: no suffix, for executables)
is that format, not text hiding behind a NUL byte: a ``creds.txt`` that starts with ``MZ`` is
not a Windows executable (sources: each format's specification; ``file(1)``'s magic
database)."""

class InventoryError(Exception):
    """Raised when a file cannot be read through the inventory (not listed, binary, gone)."""


@dataclass(frozen=True)
class FileEntry:
    """One examinable file of the repository."""

    path: str
    """Repository-relative POSIX path, the file's own name (for an in-tree symlink, the link's)."""
    size: int
    """Size in bytes at inventory time."""
    is_binary: bool
    """True when the first 8 KiB contain a NUL byte; binary files are never read as text."""
    target: Optional[str] = None
    """For an in-tree symlink, the repository-relative path of its target; else None."""
    binary_format: Optional[str] = None
    """For a binary file, the format its first bytes name (:data:`BINARY_FORMATS`: ``PNG
    image``); None for text, or for a binary file of no known format (which may be text with a
    NUL byte hiding what follows)."""

    @property
    def name(self) -> str:
        """The final path component."""
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        """The file extension including the dot, lower-cased (``.py``), or ``""``."""
        name = self.path.rpartition("/")[2]
        dot = name.rfind(".")
        # Same as PurePosixPath(name).suffix, without building a path object per call.
        return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


class Inventory:
    """The examinable files of one repository, plus every skipped path with its reason.

    Build one with :func:`build_inventory`. Instances are read-only and safe to share between
    threads.
    """

    def __init__(
        self,
        root: Path,
        files: Iterable[FileEntry],
        skipped: Iterable[SkippedPath],
        *,
        is_git: bool,
        max_file_size: int,
        hidden: Optional[Mapping[str, str]] = None,
        submodules: frozenset[str] = frozenset(),
    ) -> None:
        self.root: Path = root
        """Absolute, resolved path of the scanned directory."""
        self.files: tuple[FileEntry, ...] = tuple(sorted(files, key=lambda f: f.path))
        """Examinable files, sorted by path."""
        self.skipped: tuple[SkippedPath, ...] = tuple(sorted(skipped, key=lambda s: s.path))
        """Paths not examined, with reasons, sorted by path."""
        self.is_git: bool = is_git
        """True when the list came from ``git ls-files``."""
        self.max_file_size: int = max_file_size
        """The size cap in bytes that was applied."""
        self.hidden: Mapping[str, str] = dict(hidden or {})
        """Path -> reason for every file of the repository whose *content* nobody examined
        although it is there (larger than the size cap, a NUL byte in a file of no known binary
        format, unreadable, a name that is not UTF-8, past the file cap, a checked-out
        submodule, an untracked nested repository): what a check that needed it must not pass
        over (:mod:`gate.unscanned`). Excluded paths, symlinks and special files are not here."""
        self.submodules: frozenset[str] = submodules
        """Paths of the checked-out submodules (gitlinks whose directory holds files), also in
        :attr:`hidden`: another repository's files, which no check examined."""
        self._root_text = str(root)
        self._by_path = {f.path: f for f in self.files}
        self._skipped_paths = {s.path for s in self.skipped}
        self._text_cache: dict[str, str] = {}
        self._text_cache_bytes = 0
        self._text_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[FileEntry]:
        return iter(self.files)

    def get(self, path: str) -> Optional[FileEntry]:
        """The entry for repository-relative ``path``, or None when absent or skipped."""
        return self._by_path.get(path)

    def was_skipped(self, path: str) -> bool:
        """True when ``path`` exists in the tree but was skipped (symlink out, too big, ...)."""
        return path in self._skipped_paths

    def glob(self, *patterns: str) -> list[FileEntry]:
        """Entries whose path matches any pattern (see :func:`match_globs`), in path order."""
        return [f for f in self.files if match_globs(f.path, patterns)]

    def text_files(self) -> list[FileEntry]:
        """Entries that may be read as text (not binary), in path order."""
        return [f for f in self.files if not f.is_binary]

    def under(self, directory: str) -> list[FileEntry]:
        """Entries below repository-relative ``directory`` (``""`` for all), in path order."""
        d = directory.strip("/")
        if not d:
            return list(self.files)
        prefix = d + "/"
        return [f for f in self.files if f.path.startswith(prefix)]

    def abspath(self, entry: FileEntry | str) -> Path:
        """Absolute path to read ``entry`` from (an in-tree symlink's target)."""
        e = self._entry(entry)
        return self.root / (e.target or e.path)

    def read_bytes(self, entry: FileEntry | str) -> bytes:
        """Read a listed file's bytes, at most the size cap.

        Raises :class:`InventoryError` when the path is not in the inventory or cannot be read;
        the message names the path but never its content.
        """
        e = self._entry(entry)
        # A string join and a bare descriptor, not Path and a buffered file object: this runs
        # once per file read by every check, and those were a third of its time.
        full = os.path.join(self._root_text, e.target or e.path)
        try:
            # O_NOFOLLOW: the file we read is the regular file we listed, not a symlink swapped
            # in since (the inventory already resolved in-tree links to their targets).
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise InventoryError(f"{e.path}: not a regular file")
                # Read what the file holds (up to the cap) rather than asking for a cap-sized
                # buffer for every small file: half the time on 10,000-file trees.
                want = min(e.size, self.max_file_size) + 1
                data = _read_up_to(fd, want)
                if len(data) == want and len(data) <= self.max_file_size:
                    data += _read_up_to(fd, self.max_file_size + 1 - len(data))  # it grew since the walk
                return data[: self.max_file_size]
            finally:
                os.close(fd)
        except OSError as exc:
            raise InventoryError(f"{e.path}: cannot read ({exc.strerror or exc.__class__.__name__})") from None

    def read_text(self, entry: FileEntry | str) -> str:
        """Read a listed text file as UTF-8 (undecodable bytes replaced).

        Raises :class:`InventoryError` for binary or unlisted files, or read errors.
        """
        e = self._entry(entry)
        if e.is_binary:
            raise InventoryError(f"{e.path}: binary file")
        cached = self._text_cache.get(e.path)
        if cached is not None:
            return cached
        text = self.read_bytes(e).decode("utf-8", errors="replace")
        with self._text_lock:
            if self._text_cache_bytes + e.size <= TEXT_CACHE_BYTES:
                self._text_cache[e.path] = text
                self._text_cache_bytes += e.size
        return text

    def _entry(self, entry: FileEntry | str) -> FileEntry:
        if isinstance(entry, FileEntry):
            return entry
        found = self._by_path.get(entry)
        if found is None:
            raise InventoryError(f"{entry}: not in the repository inventory")
        return found


def _read_up_to(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``fd``, fewer only at end of file (what ``BufferedReader.read``
    returns; ``os.read`` alone may return less)."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _git_files(root: Path) -> Optional[tuple[list[str], frozenset[str]]]:
    """``(paths, submodules)`` from ``git ls-files`` (tracked + untracked-not-ignored; the
    tracked entries of mode ``160000``, gitlinks), or None if ``root`` is not the top of a work
    tree (git runs hardened: :mod:`gate.git`)."""
    # Only when ``root`` is the top of the work tree: a sub-directory of a repository is
    # scanned as a plain directory so paths stay relative to what the user named.
    if not git.is_top(root):
        return None
    try:
        staged = git.run_git(root, ["ls-files", "-z", "--cached", "--stage"], timeout=300)
        others = git.run_git(root, ["ls-files", "-z", "--others", "--exclude-standard"], timeout=300)
    except git.GitError:
        return None
    # a repository inside the work tree that git does not track is listed as "name/"
    names: set[str] = {p.rstrip("/") for p in git.split_z(others.stdout_bytes)}
    gitlinks: set[str] = set()
    for record in git.split_z(staged.stdout_bytes):
        meta, tab, path = record.partition("\t")  # "<mode> <object> <stage>\t<path>"
        if not tab:
            return None
        names.add(path)
        if meta.startswith(GITLINK_MODE + " "):
            gitlinks.add(path)
    return sorted(names), frozenset(gitlinks)


def _walk(root: Path, skipped: list[SkippedPath]) -> list[str]:
    """Every path below ``root`` without following directory symlinks or entering ``.git``.

    Iterative (deeply nested trees cannot exhaust the recursion limit).
    """
    out: list[str] = []
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        directory, rel = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError as exc:
            skipped.append(SkippedPath(rel or ".", f"unreadable directory: {exc.strerror or exc}"))
            continue
        for de in entries:
            child_rel = f"{rel}/{de.name}" if rel else de.name
            try:
                is_dir = de.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if de.name == ".git":
                    continue
                stack.append((Path(de.path), child_rel))
            else:
                out.append(child_rel)
    return sorted(out)


def _classify(root: Path, rel: str, max_file_size: int) -> tuple[FileEntry | SkippedPath, bool]:
    """Decide whether ``rel`` is examinable; never reads more than :data:`BINARY_SNIFF_BYTES`.

    Returns the entry or the skip, and True when a skip *hides* a file that is there (too
    large, unreadable): its content matters, nobody read it (:attr:`Inventory.hidden`)."""
    full = root / rel
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return SkippedPath(rel, "listed by git but missing from the work tree"), False
    except OSError as exc:
        return SkippedPath(rel, f"unreadable: {exc.strerror or exc}"), True
    target: Optional[str] = None
    if stat.S_ISLNK(st.st_mode):
        try:
            resolved = full.resolve(strict=True)
        except (OSError, RuntimeError):
            return SkippedPath(rel, "symlink to a missing target (or a symlink loop)"), False
        try:
            target = resolved.relative_to(root).as_posix()
        except ValueError:
            return SkippedPath(rel, "symlink leaves the repository"), False
        try:
            st = os.stat(resolved)
        except OSError as exc:
            return SkippedPath(rel, f"unreadable: {exc.strerror or exc}"), True
        full = resolved
    if stat.S_ISDIR(st.st_mode):
        if target is not None:
            return SkippedPath(rel, "symlink to a directory (not followed)"), False
        if os.path.lexists(full / ".git"):
            # git lists a repository it does not track, inside its work tree, as one entry
            return SkippedPath(rel, "a git repository inside the work tree, not tracked (not scanned)"), True
        # a tracked file replaced by a directory: git lists the directory's files on their own
        return SkippedPath(rel, "a directory where git tracks a file"), False
    if not stat.S_ISREG(st.st_mode):
        return SkippedPath(rel, "not a regular file"), False
    if st.st_size > max_file_size:
        return SkippedPath(rel, f"larger than the size cap ({st.st_size} > {max_file_size} bytes)"), True
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            head = fh.read(BINARY_SNIFF_BYTES)
    except OSError as exc:
        return SkippedPath(rel, f"unreadable: {exc.strerror or exc}"), True
    binary = b"\0" in head
    return FileEntry(rel, st.st_size, binary, target, binary_format(head, rel) if binary else None), False


def binary_format(head: bytes, path: str) -> Optional[str]:
    """The name of the :data:`BINARY_FORMATS` entry ``head`` (a file's first bytes) starts with
    and ``path``'s suffix agrees with; None when there is none."""
    suffix = PurePosixPath(path).suffix.lower()
    for offset, magic, name, suffixes in BINARY_FORMATS:
        if head[offset:offset + len(magic)] == magic and suffix in suffixes:
            return name
    return None


def _printable_name(rel: str) -> Optional[str]:
    """``rel`` when it is valid UTF-8 (no lone surrogates from ``os.fsdecode``), else None."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return rel


def build_inventory(
    root: str | os.PathLike[str],
    *,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    exclude: Sequence[str] = (),
    use_git: bool = True,
) -> Inventory:
    """Walk ``root`` once and classify every path.

    Args:
        root: directory to scan.
        max_file_size: size cap in bytes; larger files are skipped.
        exclude: glob patterns (readiness.yml ``exclude``) of paths to leave out; each is
            listed as skipped with reason ``excluded by configuration``.
        use_git: use ``git ls-files`` when ``root`` is the top of a git work tree.

    Raises:
        NotADirectoryError: ``root`` is not a directory.
    """
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise NotADirectoryError(f"{root}: not a directory")
    skipped: list[SkippedPath] = []
    hidden: dict[str, str] = {}

    def hide(path: str, reason: str) -> None:
        skipped.append(SkippedPath(path, reason))
        hidden[path] = reason

    listed = _git_files(root_path) if use_git else None
    is_git = listed is not None
    names, gitlinks = listed if listed is not None else (_walk(root_path, skipped), frozenset())
    checked_out: set[str] = set()
    files: list[FileEntry] = []
    for raw in names:
        rel = _printable_name(raw)
        if rel is None:
            hide(display_name(raw), "file name is not valid UTF-8")
            continue
        if len(files) >= MAX_FILES:
            hide(rel, f"inventory cap of {MAX_FILES} files reached")
            continue
        if exclude and match_globs(rel, exclude):
            skipped.append(SkippedPath(rel, "excluded by configuration"))
            continue
        if rel in gitlinks:
            if _non_empty_dir(root_path / rel):
                hide(rel, "submodule (checked out): another repository's files, not scanned")
                checked_out.add(rel)
            else:
                skipped.append(SkippedPath(rel, "submodule (not checked out): not scanned"))
            continue
        item, hides = _classify(root_path, rel, max_file_size)
        if isinstance(item, SkippedPath):
            if hides:
                hidden[rel] = item.reason
            skipped.append(item)
        else:
            files.append(item)
            if item.is_binary:
                if item.binary_format:
                    skipped.append(SkippedPath(rel, f"binary file ({item.binary_format}; not scanned as text)"))
                else:
                    hide(rel, "binary file (a NUL byte in its first 8 KiB, no known binary format; "
                              "not scanned as text)")
    return Inventory(root_path, files, skipped, is_git=is_git, max_file_size=max_file_size, hidden=hidden,
                     submodules=frozenset(checked_out))


def display_name(raw: str) -> str:
    """How a file name that is not valid UTF-8 (``os.fsdecode`` surrogates) is reported: its
    undecodable bytes as ``\\xNN``."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _non_empty_dir(path: Path) -> bool:
    try:
        with os.scandir(path) as it:
            return any(True for _ in it)
    except OSError:
        return False
