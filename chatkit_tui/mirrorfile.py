"""Reading a mirror file: what :mod:`chatkit_tui.core.mirror` and ``serve --db``
(:mod:`chatkit_tui.server.mirror`, which may not import core) share. Imports nothing else
of ours (import-linter checks it).

- :func:`connect_read_only` opens a file for reading wherever it lies, read-only media
  included.
- :func:`is_damage` tells a damaged file from the other errors SQLite raises (a lock, a
  full disk, a missing table of another layout).
- :func:`damaged_message` is what every reader says then, and how to check and repair.
- :func:`is_mirror_url` tells a ``postgresql://`` URL (a mirror in PostgreSQL) from a
  path, :func:`is_keyword_string` libpq's ``host=... password=...`` (refused: taken for a
  file name it was repeated, password and all), and :func:`redact` takes the password
  out of any text that may hold one (a URL, libpq's messages, which can echo it): what
  core and ``serve --db`` show instead.
- :func:`pg_refusal` tells from libpq's words why a connection failed: the login or a
  permission refused (exit 4), the database not reached (exit 5), or neither;
  :func:`pgpass_hint` names a password file libpq skipped (others may read it).

**Read-only media.** A mirror is a WAL-mode database. SQLite's ``mode=ro`` reads one when
it can share the WAL index: the ``-shm`` file exists and can be mapped, or can be made
beside the file. On a read-only directory (a backup volume, a read-only mount, a file
whose directory is not the reader's) it cannot ("attempt to write a readonly database",
"unable to open database file"), so the file is opened as a *read-only copy* instead:
with ``immutable=1`` (no locks, no WAL index), or, when a ``-wal`` file holds changes not
yet in the main file (``immutable`` would not see them), through the ``unix-none`` VFS in
exclusive locking mode, which keeps the WAL index in memory and needs no ``-shm``. Both
assume nothing writes the file meanwhile, which is what a read-only place means.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:  # imported where used: core/errors.py (app start-up) needs only the type
    import sqlite3

__all__ = [
    "DAMAGED_ERROR_TYPE",
    "KEYWORD_STRING",
    "URL_PASSWORD",
    "connect_read_only",
    "damaged_message",
    "is_damage",
    "is_keyword_string",
    "is_mirror_url",
    "keyword_string_refused",
    "libpq_url",
    "pg_refusal",
    "pgpass_hint",
    "redact",
]

URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)
"""The password of a ``postgresql://user:password@host`` URL (group 2)."""
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|(?:\\.|[^\s&\\])+)", re.IGNORECASE)
_SCHEMES = ("postgresql", "postgres")


def is_mirror_url(name: object) -> bool:
    """Whether ``name`` is a ``postgresql://`` (or ``postgres://``) URL, not a path."""
    if not isinstance(name, str):
        return False
    scheme, sep, _ = name.partition("://")
    return bool(sep) and scheme.lower() in _SCHEMES


def libpq_url(url: str) -> str:
    """``url`` with its scheme in the lower case libpq reads (``POSTGRESQL://`` it takes
    for a keyword string, and repeats whole, password and all, in its error)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.lower()}{sep}{rest}" if sep else url


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with the password of every ``postgresql://`` URL in it, every
    ``password=...`` (a libpq connection string, a URL's query), and each of ``secrets``
    (also as URL-quoted) replaced by ``***``."""
    text = URL_PASSWORD.sub(lambda m: m.group(1) + "***" + m.group(3), text)
    text = _KV_PASSWORD.sub(lambda m: m.group(1) + "***", text)
    for secret in secrets:
        if secret:
            for form in {secret, quote(secret, safe="")}:
                text = text.replace(form, "***")
    return text


_PG_LOGIN = re.compile(
    r"password authentication failed|no password supplied|authentication failed"
    r"|pg_hba\.conf|permission denied|not permitted to log in|role \".*\" does not exist",
    re.IGNORECASE,
)
_PG_UNREACHED = re.compile(
    r"connection refused|failed to resolve host|could not translate host name"
    r"|timeout expired|timed out|no route to host|network is unreachable"
    r"|server closed the connection unexpectedly|connection reset"
    r"|on socket \"[^\"]*\" failed: no such file or directory",
    re.IGNORECASE,
)
LOGIN_REFUSED = "login"
UNREACHED = "unreached"


def pg_refusal(message: str) -> str | None:
    """Why libpq (through psycopg) could not connect, from its message (a connection
    failure carries no SQLSTATE): :data:`LOGIN_REFUSED` (a wrong or missing password, a
    role or a ``pg_hba.conf`` rule that refuses it, no permission), :data:`UNREACHED`
    (nothing listening, an unknown host, a timeout, the connection cut), or None (a bad
    URL, a database that does not exist, anything else). A login refused wins: with
    several hosts tried, one that answered said who may not come in."""
    if _PG_LOGIN.search(message):
        return LOGIN_REFUSED
    if _PG_UNREACHED.search(message):
        return UNREACHED
    return None


def pgpass_hint(message: str) -> str | None:
    """When libpq had no password to send (``no password supplied``) and the password file
    it reads (``$PGPASSFILE``, else ``~/.pgpass``) is there with group or world access,
    which libpq skips with a warning on stderr the user may never see (the app's screen,
    a cron job's log): the sentence that says so and what to do. Else None."""
    if "no password supplied" not in message.lower():
        return None
    import os
    import shlex
    import stat

    name = os.environ.get("PGPASSFILE") or os.path.join(os.path.expanduser("~"), ".pgpass")
    try:
        mode = os.stat(name).st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    return (
        f"the password file {name} was not read: others may read it (mode"
        f" {stat.S_IMODE(mode):04o}), and libpq skips it; permissions should be u=rw"
        f" (0600) or less: chmod 600 {shlex.quote(name)}"
    )


DAMAGED_ERROR_TYPE = "mirror_damaged"
"""The error type (and code) of ``serve --db``'s answer to a request that met a damaged
page; the app and the CLI show that answer's message as it is (no "500 Server error")."""

_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_CANTOPEN = 14
_SQLITE_IOERR_READ = _SQLITE_IOERR | (1 << 8)
_SQLITE_IOERR_SHORT_READ = _SQLITE_IOERR | (2 << 8)


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` says the file is damaged: SQLite's ``SQLITE_CORRUPT`` ("database disk
    image is malformed", FTS5's "corrupt" too) or a page that could not be read from the
    medium. A lock, a busy file, a full disk or a read-only file is not damage."""
    sqlite3 = sys.modules.get("sqlite3")  # not imported: no SQLite error can have been raised
    if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = _code(exc)
    if code is None:  # raised without a code (older Python): SQLite's own words
        return "malformed" in str(exc)
    return code & 0xFF == _SQLITE_CORRUPT or code in (_SQLITE_IOERR_READ, _SQLITE_IOERR_SHORT_READ)


def damaged_message(path: str | Path, cause: BaseException | str | None = None) -> str:
    """``the mirror is damaged: PATH (what SQLite said); ...``: what to run to see what is
    damaged, and to repair it."""
    import shlex

    where = shlex.quote(str(path))
    said = " ".join(str(cause).split()) if cause is not None else ""
    why = f" ({said})" if said else ""
    return (
        f"the mirror is damaged: {path}{why}; run chatkit-tui mirror --check --db {where}"
        f" to see what; chatkit-tui mirror --full --db {where} re-fetches what is damaged"
    )


def _uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path.resolve()))}?{query}"


def _connect(uri: str) -> sqlite3.Connection:
    import sqlite3

    return sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)


def _probe(db: sqlite3.Connection) -> None:
    """Read something: SQLite opens the file, its WAL and the schema on the first query."""
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _cannot_share(exc: BaseException) -> bool:
    """``mode=ro`` failed for want of a writable place for the WAL index (not damage)."""
    code = _code(exc)
    if code is None:
        text = str(exc)
        return "readonly" in text or "unable to open" in text
    return code & 0xFF in (_SQLITE_READONLY, _SQLITE_CANTOPEN)


def connect_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to the existing file ``path`` (autocommit, usable from any
    thread) and whether it is a read-only *copy*: opened without the shared WAL index
    (see the module doc), so it sees the file as it was when opened.

    Raises ``sqlite3.Error`` as SQLite does (a damaged file, a file that is no database)."""
    import sqlite3

    db = _connect(_uri(path, "mode=ro"))
    try:
        _probe(db)
    except sqlite3.OperationalError as exc:
        db.close()
        if not _cannot_share(exc):
            raise
    else:
        return db, False
    wal = Path(f"{path}-wal")
    pending = wal.is_file() and wal.stat().st_size > 0
    # a WAL with changes in it: read it with the WAL index in memory (no -shm, no locks);
    # none: the main file is the whole database, immutable says so
    if pending:
        try:
            db = _connect(_uri(path, "mode=ro&vfs=unix-none"))
        except sqlite3.OperationalError as exc:  # a build without it: the main file alone
            if "no such vfs" not in str(exc):
                raise
        else:
            try:
                db.execute("PRAGMA locking_mode = EXCLUSIVE")  # before the first read
                _probe(db)
            except BaseException:
                db.close()
                raise
            return db, True
    db = _connect(_uri(path, "mode=ro&immutable=1"))
    try:
        _probe(db)
    except BaseException:
        db.close()
        raise
    return db, True


_KEYWORD = (  # libpq's connection keywords (PostgreSQL 15)
    r"(?:host|hostaddr|port|dbname|user|password|passfile|channel_binding|connect_timeout"
    r"|client_encoding|options|application_name|fallback_application_name|keepalives"
    r"|keepalives_idle|keepalives_interval|keepalives_count|tcp_user_timeout|replication"
    r"|gssencmode|sslmode|requiressl|sslcompression|sslcert|sslkey|sslpassword|sslrootcert"
    r"|sslcrl|sslcrldir|sslsni|requirepeer|ssl_min_protocol_version"
    r"|ssl_max_protocol_version|krbsrvname|gsslib|service|target_session_attrs)"
)
_VALUE = r"(?:'(?:[^'\\]|\\.)*+'|(?:\\.|\S)*+)"  # quoted, or up to a space (libpq's \ escapes)
_KEYWORDS = re.compile(  # key=value pairs and nothing else, the first a libpq keyword;
    # possessive, as libpq reads it: no backtracking over the ways a string splits
    rf"\s*+{_KEYWORD}\s*+=\s*+{_VALUE}(?:\s++\w++\s*+=\s*+{_VALUE})*+\s*+",
    re.IGNORECASE,
)


def keyword_string_refused(what: str = "a mirror", *, profile: bool = True) -> str:
    """Why a libpq keyword string is refused where ``what`` is named, and what to give;
    ``profile``: a profile's ``mirror_password_command`` can give the password there
    (not to ``serve``, which reads no profile)."""
    sources = (
        "mirror_password_command, PGPASSWORD or ~/.pgpass"
        if profile
        else ("PGPASSWORD or ~/.pgpass")
    )
    return (
        f"a PostgreSQL keyword string (host=... dbname=...) does not name {what}: give a"
        " URL, postgresql://USER@HOST[:PORT]/DATABASE (its password is never shown; without"
        f" one it comes from {sources}); a file whose name looks like one: ./NAME"
    )


KEYWORD_STRING = keyword_string_refused()


def is_keyword_string(name: str) -> bool:
    """``name`` is libpq's other spelling of a connection (``host=... password=...``),
    which would be taken for a file name (and repeated, password and all)."""
    return _KEYWORDS.fullmatch(name) is not None
