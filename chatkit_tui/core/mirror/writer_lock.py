"""One writer per mirror file, and no write into a file or directory that is read-only.

Textual-free; :meth:`~.store.Mirror.open` uses both for every writable open, so no writer
(``chatkit-tui mirror``, a test, a script) skips them. Readers take nothing here and are
never blocked.

- :func:`refuse_unwritable`: :class:`MirrorReadOnlyError` when the file, or the directory
  it is in (SQLite's WAL files and the lock live beside it), may not be written, judged
  from the mode bits as well as by :func:`os.access`: a file nobody may write
  (``chmod 444``) is refused even to root, whom the kernel would let write it. Runs before
  anything is made or opened, so a refusal changes nothing on disk.
- :class:`WriterLock`: an exclusive OS lock (``flock``, ``LOCK_EX | LOCK_NB``) on a sidecar
  file beside the mirror (``<file>.lock``, mode 0600) whose content names the holder (host,
  pid, since when) as JSON for the message a second writer gets
  (:class:`MirrorBusyError`). The kernel frees the lock when its process ends, however it
  ends (``kill -9`` included), so a dead writer holds nothing. The holder removes the
  sidecar when it lets go; a writer that finds, once it holds the lock, that the path no
  longer names the file it locked (removed and made again meanwhile) starts over, so two
  writers never hold two different files.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Holder",
    "MirrorBusyError",
    "MirrorReadOnlyError",
    "WriterLock",
    "lock_path",
    "refuse_unwritable",
]


def lock_path(mirror: Path) -> Path:
    """The sidecar a writer locks: ``<file>.lock`` beside the mirror."""
    return mirror.with_name(mirror.name + ".lock")


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a mirror for writing."""

    host: str
    pid: int
    since: float
    """Epoch seconds: when it took the lock."""

    def __str__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"pid {self.pid} on {self.host}, since {when}"

    def to_json(self) -> bytes:
        return json.dumps({"host": self.host, "pid": self.pid, "since": self.since}).encode()

    @staticmethod
    def from_json(data: bytes) -> Holder | None:
        try:
            obj = json.loads(data)
            return Holder(str(obj["host"]), int(obj["pid"]), float(obj["since"]))
        except (ValueError, TypeError, KeyError):
            return None


class MirrorBusyError(Exception):
    """Another writer holds the mirror; ``holder`` is who (None when it has not said yet)."""

    def __init__(self, path: object, holder: Holder | None) -> None:
        who = str(holder) if holder is not None else "a process that has not said who it is"
        super().__init__(f"the mirror {path} is being written by another writer ({who})")
        self.path = path
        self.holder = holder


class MirrorReadOnlyError(Exception):
    """The mirror file, or the directory it is (to be) in, may not be written."""


# --- read-only files and directories ------------------------------------------------------------


def refuse_unwritable(path: Path) -> None:
    """:class:`MirrorReadOnlyError` naming the permissions when ``path`` (an existing
    file and its directory, or the nearest existing directory a new file would be made
    under) may not be written."""
    if path.exists():
        _refuse(path, path, "the file")
        _refuse(path, path.parent, "its directory")
        return
    directory = path.parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    _refuse(path, directory, "the directory")


def _refuse(mirror: Path, target: Path, what: str) -> None:
    st = target.stat()
    where = "" if what == "the file" else f" {target}"
    if _read_only_mount(target):
        raise MirrorReadOnlyError(
            f"cannot write the mirror {mirror}: {what}{where} is on a read-only file system"
        )
    if _mode_allows_write(st) and os.access(target, os.W_OK):
        return
    perms = f"permissions {stat.filemode(st.st_mode)[1:]}, owner {_owner(st.st_uid)}"
    if not st.st_mode & 0o222:
        raise MirrorReadOnlyError(
            f"cannot write the mirror {mirror}: {what}{where} is read-only ({perms})"
        )
    raise MirrorReadOnlyError(
        f"cannot write the mirror {mirror}: {what}{where} is not writable by you ({perms})"
    )


def _mode_allows_write(st: os.stat_result) -> bool:
    """The write bit that applies to this process; for root any write bit at all (root
    may write anything, but a file nobody may write is meant to stay as it is)."""
    if sys.platform == "win32":
        return bool(st.st_mode & stat.S_IWRITE)
    euid = os.geteuid()
    if euid == 0:
        return bool(st.st_mode & 0o222)
    if st.st_uid == euid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def _read_only_mount(target: Path) -> bool:
    if sys.platform == "win32":
        return False
    try:
        return bool(os.statvfs(target).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _owner(uid: int) -> str:
    if sys.platform == "win32":
        return str(uid)
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# --- the lock -------------------------------------------------------------------------------------


class WriterLock:
    """The lock on one mirror, held by this process until :meth:`release`."""

    def __init__(self, path: Path, fd: int, holder: Holder) -> None:
        self.path = path
        """The sidecar file."""
        self.holder = holder
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, mirror: Path) -> WriterLock:
        """Take the lock on ``mirror`` (whose directory exists) at once, or raise
        :class:`MirrorBusyError` naming who holds it."""
        path = lock_path(mirror)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                if not _try_lock(fd):
                    raise MirrorBusyError(mirror, _read_holder(fd))
                if _same_file(fd, path):
                    holder = Holder(socket.gethostname(), os.getpid(), time.time())
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, holder.to_json(), 0)
                    return cls(path, fd, holder)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # removed (and perhaps made again) since it was opened: again

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go (and remove the sidecar: while it is still held, see the module's note)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _same_file(fd, self.path):
                with contextlib.suppress(OSError):
                    self.path.unlink()
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _read_holder(fd: int) -> Holder | None:
    """What the holder wrote; it writes just after it locks, so an empty file is read
    again for a moment."""
    for _ in range(20):
        data = os.pread(fd, 4096, 0)
        if data:
            return Holder.from_json(data)
        time.sleep(0.005)
    return None


def _try_lock(fd: int) -> bool:
    import fcntl  # POSIX; imported here so that reading a mirror needs none of it

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
