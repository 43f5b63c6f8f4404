"""A mirror named by a ``postgresql://`` URL: what it is, how it is shown, how it connects.

Textual-free; imports nothing else of ours. A mirror is named by a file path or by a
libpq URL (``postgresql://user[:password]@host[:port]/database[?...]``, ``postgres://``
the same). :class:`MirrorUrl` keeps the URL as given for connecting and shows it
redacted everywhere (``str()``, ``repr()``): the password, and any ``password=`` query
parameter, become ``***``. Where the password comes from when the URL has none is
libpq's affair (``PGPASSWORD``, ``~/.pgpass``), or a command's
(:attr:`MirrorUrl.password_command`, a profile's ``mirror_password_command``).

:func:`redact` (:mod:`chatkit_tui.mirrorfile`, shared with ``serve``) takes any text (an
error message from psycopg, which can echo the connection string) and removes every
password a URL in it carries, and the known password itself wherever it stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from chatkit_tui.mirrorfile import (
    KEYWORD_STRING,
    URL_PASSWORD,
    is_keyword_string,
    is_mirror_url,
    libpq_url,
    redact,
)

__all__ = ["MirrorTarget", "MirrorUrl", "is_mirror_url", "mirror_target", "redact"]

_HIDDEN = "***"


@dataclass(frozen=True, slots=True, eq=False)
class MirrorUrl:
    """A PostgreSQL mirror's URL. ``str()`` is the URL without its password."""

    url: str = field(repr=False)
    password_command: str | None = field(default=None, repr=False)
    """A shell command whose first line of output is the password (when the URL has none)."""

    def __post_init__(self) -> None:
        if not is_mirror_url(self.url):
            raise ValueError(f"not a postgresql:// URL: {redact(self.url)}")
        # libpq reads only the lower case (POSTGRESQL:// was "missing '=' after ... in
        # connection info string", the URL repeated)
        object.__setattr__(self, "url", libpq_url(self.url))

    @property
    def password(self) -> str | None:
        """The password the URL carries (in its user part or a ``password=`` parameter)."""
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 (raises for a port that is not a number)
        except ValueError:  # not a URL Python reads (libpq will say why): take it by hand
            found = URL_PASSWORD.search(self.url)
            return None if found is None else found.group(2)
        if parts.password is not None:
            return unquote(parts.password)
        for key, value in parse_qsl(parts.query):
            if key == "password":
                return value
        return None

    @property
    def shown(self) -> str:
        """The URL with its password (and any ``password=`` parameter) as ``***``."""
        try:
            parts = urlsplit(self.url)
        except ValueError:  # not a URL Python reads: every password-like part hidden
            return redact(self.url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:{_HIDDEN}@{host}" if ":" in userinfo else f"{user}@{host}"
        query = parts.query
        if query and any(_secret(k) for k, _ in parse_qsl(query)):  # else as given
            pairs = [(k, _HIDDEN if _secret(k) else v) for k, v in parse_qsl(query)]
            query = urlencode(pairs, safe="*/:")
        return _joined(parts.scheme, netloc, parts.path, query, parts.fragment)

    @property
    def database(self) -> str:
        return unquote(urlsplit(self.url).path.lstrip("/"))

    def with_password(self, password: str) -> str:
        """The URL to connect with, ``password`` put in its user part."""
        parts = urlsplit(self.url)
        userinfo, _, host = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{quote(password, safe='')}@{host}"
        return _joined(parts.scheme, netloc, parts.path, parts.query, parts.fragment)

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"MirrorUrl({self.shown!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MirrorUrl) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


def _secret(key: str) -> bool:
    """A query parameter that holds a secret: ``password``, and ``sslpassword`` (the
    client key's passphrase)."""
    return "password" in key.lower()


def _joined(scheme: str, netloc: str, path: str, query: str, fragment: str) -> str:
    """The URL of these parts, ``//`` kept when there is no host (``postgresql:///db``,
    a local socket): ``urlunsplit`` drops it for a scheme it does not know, which made
    the URL shown ``postgresql:/db``."""
    url = f"{scheme}://{netloc}{path}"
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


MirrorTarget = Path | MirrorUrl
"""What names a mirror: a file, or a PostgreSQL database."""


def mirror_target(name: str | Path, *, password_command: str | None = None) -> MirrorTarget:
    """A path (``~`` expanded) or a :class:`MirrorUrl` from what the user wrote.

    ValueError for a libpq keyword string (``host=... dbname=...``): it was taken for a
    file name, so "no mirror at ..." repeated it, password and all. It is refused, and
    never repeated."""
    if isinstance(name, Path):
        return name.expanduser()
    if is_mirror_url(name):
        return MirrorUrl(name, password_command)
    if is_keyword_string(name):
        raise ValueError(KEYWORD_STRING)
    return Path(name).expanduser()
