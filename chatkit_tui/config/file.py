"""The config file: read it, validate it strictly, and name the line of every error.

Resolving it with the environment and the flags is :mod:`chatkit_tui.config.resolve`.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import msgspec

from chatkit_tui.config.lines import find_line
from chatkit_tui.config.options import BackendOption
from chatkit_tui.mirrorfile import redact


class ConfigError(Exception):
    """A configuration problem, worded for the user; names the file and line when known."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}, line {line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")


# --- the file's schema -----------------------------------------------------------------


class ProfileFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One ``[profiles.NAME]`` table."""

    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    api_key_env: str | None = None
    api_key_command: str | None = None
    api_key: str | None = None
    read_only: bool = False
    """No deleting or cancelling with this profile: the app has no such keys, and
    ``threads purge`` refuses to run."""
    chatkit_url: str | None = None
    """A self-hosted deployment: the operator's chatkit-python endpoint (no API key)."""
    headers: dict[str, str] = {}
    """Headers sent to ``chatkit_url`` with every request, by name: the value itself."""
    header_env: dict[str, str] = {}
    """... the value from an environment variable (``Authorization = "SUPPORT_AUTH"``)."""
    header_command: dict[str, str] = {}
    """... the value printed by a command (run without a shell, like api_key_command)."""
    mirror: str | None = None
    """This deployment's mirror, when not the default file: a path, or a
    ``postgresql://`` URL (a database a team shares)."""
    mirror_password_command: str | None = None
    """The mirror database's password, printed by a command (run without a shell), when
    the URL, ``PGPASSWORD`` and ``~/.pgpass`` do not give it."""

    def __repr__(self) -> str:  # the key and header values must not leak through a repr
        return (
            f"ProfileFile(base_url={self.base_url!r}, api_key_env={self.api_key_env!r}, "
            f"api_key_command={self.api_key_command!r}, "
            f"api_key={'***' if self.api_key else None}, read_only={self.read_only!r}, "
            f"chatkit_url={self.chatkit_url!r}, headers={sorted(self.headers)!r}, "
            f"header_env={self.header_env!r}, header_command={sorted(self.header_command)!r},"
            f" mirror={_shown_mirror(self.mirror)!r})"
        )


def _shown_mirror(mirror: str | None) -> str | None:
    """A profile's mirror as it may be shown: a URL without its password (in its user
    part or a ``password=`` / ``sslpassword=`` parameter)."""
    return None if mirror is None else redact(mirror)


class _FileTop(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    default_profile: str | None = None
    theme: str | None = None
    keys: dict[str, Any] = {}
    profiles: dict[str, Any] = {}


class ConfigFile(msgspec.Struct, kw_only=True, frozen=True):
    """The validated contents of a config file (nothing resolved yet)."""

    path: str | None = None
    default_profile: str | None = None
    theme: str | None = None
    keys: dict[str, str] = {}
    profiles: dict[str, ProfileFile] = {}
    profile_options: dict[str, dict[str, str]] = {}
    """Each profile's keys that a backend declares (``store``), by profile: key -> value."""
    key_flaws: dict[str, tuple[str, int | None]] = {}
    """Each profile whose ``api_key`` cannot be sent: why, and its line. Raised only when
    that profile's key is used (:func:`key_flaw`): another profile still runs."""


def key_flaw(file: ConfigFile, profile: str) -> ConfigError | None:
    """Why ``profile``'s ``api_key`` in ``file`` cannot be sent, naming the file and
    line, or None."""
    flaw = file.key_flaws.get(profile)
    if flaw is None:
        return None
    return ConfigError(flaw[0], path=Path(file.path) if file.path else None, line=flaw[1])


def _split_msgspec_error(text: str) -> tuple[str, list[str]]:
    """'Expected `str`, got `int` - at `$.base_url`' -> (message, ['base_url'])."""
    message, sep, where = text.rpartition(" - at `")
    if not sep:
        message, where = text, ""
    where = where.rstrip("`")
    parts = [p for p in where.removeprefix("$").split(".") if p]
    if message.startswith("Object contains unknown field `"):
        name = message.removeprefix("Object contains unknown field `").rstrip("`")
        return f"unknown key {name!r}", [*parts, name]
    expected = re.match(r"Expected `([^`]*)`, got `([^`]*)`$", message)
    if expected:
        want = " or ".join(
            _TYPE_WORDS.get(t, t) for t in expected.group(1).split(" | ") if t != "null"
        )
        got = _TYPE_WORDS.get(expected.group(2), expected.group(2))
        message = f"expected {want}, got {got}"
    if parts:
        message = f"{'.'.join(parts)}: {message}"
    return message, parts


_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "object": "a table",
    "array": "an array",
    "datetime": "a date-time",
    "date": "a date",
    "time": "a time",
}


def url_problem(what: str, url: str) -> str | None:
    """Why ``url`` cannot be ``what`` (a base URL), or None. Never repeats a password."""
    if "@" in urlsplit(url).netloc:
        # httpx would send them as Basic auth in place of the bearer key, and the URL is
        # shown in the top bar and in every connection error
        return (
            f"{what} must not hold a user name or password; "
            "the API key goes in OPENAI_API_KEY or a profile's api_key_env / api_key_command"
        )
    if not (url.startswith(("http://", "https://")) and len(url) > len("https://")):
        return f"{what} must start with http:// or https://, got {url!r}"
    return None


@dataclass
class _Reader:
    path: Path
    text: str

    def fail(self, message: str, key_path: list[str]) -> ConfigError:
        return ConfigError(message, path=self.path, line=find_line(self.text, key_path))


def _flat_keys(table: dict[str, Any], prefix: list[str]) -> Iterator[tuple[list[str], object]]:
    """``main.delete = "x"`` (a dotted key, a nested table to TOML) is the id ``main.delete``."""
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flat_keys(cast(dict[str, Any], value), [*prefix, name])
        else:
            yield [*prefix, name], value


def _backend_keys(
    reader: _Reader, name: str, raw: object, options: Sequence[BackendOption]
) -> tuple[object, dict[str, str]]:
    """A profile's table without the keys the backends declare, and those keys' values
    (checked: a string, the option's own check, one deployment per profile)."""
    declared = {o.profile_key: o for o in options if o.profile_key is not None}
    if not isinstance(raw, dict) or not declared:
        return cast(object, raw), {}
    table = dict(cast(dict[str, Any], raw))
    found: dict[str, str] = {}
    for key, option in declared.items():
        if key not in table:
            continue
        value = table.pop(key)
        where = ["profiles", name, key]
        if not isinstance(value, str):
            got = _TYPE_WORDS.get(type(value).__name__, type(value).__name__)
            raise reader.fail(f"profile {name!r}: {key}: expected a string, got {got}", where)
        if option.check is not None and (problem := option.check(value)):
            raise reader.fail(f"profile {name!r}: {key}: {problem}", where)
        others = [k for k in ("base_url", "chatkit_url") if table.get(k) is not None]
        others += [k for k in found if declared[k].names_deployment]
        if option.names_deployment and others:
            raise reader.fail(
                f"profile {name!r} sets {others[0]} and {key}: a profile names one deployment",
                where,
            )
        found[key] = value
    return table, found


def parse_config_text(text: str, path: Path, options: Sequence[BackendOption] = ()) -> ConfigFile:
    """Validate a config file's text; errors name the line. ``options``: the profile keys
    the backends declare (``chatkit_tui.backends.backend_options()``); without them such
    a key is unknown."""
    reader = _Reader(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = None
        marker = " (at line "
        if marker in message:
            head, _, tail = message.rpartition(marker)
            number = tail.split(",")[0].rstrip(")")
            if number.isdigit():
                line = int(number)
                message = head
        raise ConfigError(f"not valid TOML: {message}", path=path, line=line) from None
    try:
        top = msgspec.convert(data, _FileTop)
    except msgspec.ValidationError as exc:
        message, parts = _split_msgspec_error(str(exc))
        raise reader.fail(message, parts) from None

    keys: dict[str, str] = {}
    for parts, value in _flat_keys(top.keys, []):
        binding = ".".join(parts)
        if not isinstance(value, str) or not all(
            part.strip() and " " not in part.strip() for part in value.split(",")
        ):
            raise reader.fail(
                f'keys.{binding} must be keys separated by commas, e.g. "ctrl+d,delete", '
                f"got {value!r}",
                ["keys", *parts],
            )
        keys[binding] = value

    profiles: dict[str, ProfileFile] = {}
    profile_options: dict[str, dict[str, str]] = {}
    key_flaws: dict[str, tuple[str, int | None]] = {}
    for name, raw_table in top.profiles.items():
        raw, found = _backend_keys(reader, name, raw_table, options)
        if found:
            profile_options[name] = found
        try:
            profile = msgspec.convert(raw, ProfileFile)
        except msgspec.ValidationError as exc:
            message, parts = _split_msgspec_error(str(exc))
            raise reader.fail(f"profile {name!r}: {message}", ["profiles", name, *parts]) from None
        sources = [
            k
            for k in ("api_key_env", "api_key_command", "api_key")
            if getattr(profile, k) is not None
        ]
        if len(sources) > 1:
            raise reader.fail(
                f"profile {name!r} sets {' and '.join(sources)}: choose one source for the key",
                ["profiles", name, sources[1]],
            )
        if profile.base_url is not None and (problem := url_problem("base_url", profile.base_url)):
            raise reader.fail(f"profile {name!r}: {problem}", ["profiles", name, "base_url"])
        _check_self_hosted(reader, name, profile)
        if profile.mirror_password_command is not None and profile.mirror is None:
            raise reader.fail(
                f"profile {name!r}: mirror_password_command is for the mirror, which it does"
                ' not set (mirror = "postgresql://...")',
                ["profiles", name, "mirror_password_command"],
            )
        if profile.mirror is not None and not profile.mirror.strip():
            raise reader.fail(f"profile {name!r}: mirror is empty", ["profiles", name, "mirror"])
        if (
            profile.mirror is not None
            and profile.mirror_password_command is not None
            and redact(profile.mirror) != profile.mirror  # the URL carries a password
        ):
            raise reader.fail(  # the URL's won, and the command was never run: say so
                f"profile {name!r}: mirror's URL carries a password and"
                " mirror_password_command gives one too: choose one (the command keeps it"
                " out of the file)",
                ["profiles", name, "mirror_password_command"],
            )
        if profile.api_key_command is not None:
            try:
                argv = shlex.split(profile.api_key_command)
            except ValueError as exc:
                raise reader.fail(
                    f"profile {name!r}: api_key_command cannot be split into words: {exc}",
                    ["profiles", name, "api_key_command"],
                ) from None
            if not argv:
                raise reader.fail(
                    f"profile {name!r}: api_key_command is empty",
                    ["profiles", name, "api_key_command"],
                )
        if profile.api_key_env is not None and not profile.api_key_env.strip():
            raise reader.fail(
                f"profile {name!r}: api_key_env is empty", ["profiles", name, "api_key_env"]
            )
        if profile.api_key is not None:
            # trimmed, as a key from the environment or a command is (spaces around a
            # key are how it was copied); one that is empty or cannot be sent is refused
            # when this profile's key is used, with the file and line (not here: a
            # placeholder key in another profile must not stop every command)
            profile.api_key = profile.api_key.strip()
            why = None
            if not profile.api_key:
                why = "is empty"
            elif flaw := unsendable(profile.api_key, spaces=False):
                why = f"holds {flaw}, which an API key cannot: check how it was copied"
                why += " (the key is not shown)"
            if why is not None:
                line = find_line(reader.text, ["profiles", name, "api_key"])
                key_flaws[name] = (f"profile {name!r}: api_key {why}", line)
        profiles[name] = profile

    if top.default_profile is not None and top.default_profile not in profiles:
        raise reader.fail(
            f"default_profile {top.default_profile!r} is not a profile in this file"
            f" ({known_profiles(profiles)})",
            ["default_profile"],
        )
    return ConfigFile(
        path=str(path),
        default_profile=top.default_profile,
        theme=top.theme,
        keys=keys,
        profiles=profiles,
        profile_options=profile_options,
        key_flaws=key_flaws,
    )


HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)


def header_problem(name: str, value: str | None = None) -> str | None:
    """Why ``name: value`` cannot be sent as a header, or None. Never repeats the value."""
    if not HEADER_NAME.fullmatch(name):
        return f"{name!r} is not a header name (letters, digits and -, no spaces)"
    if value is not None and not value.strip():
        return f"the value of header {name!r} is empty"
    if value is not None and (flaw := unsendable(value, spaces=True)):
        return f"the value of header {name!r} holds {flaw}"
    return None


def unsendable(value: str, *, spaces: bool) -> str | None:
    """What in ``value`` an HTTP header cannot carry, in words that never repeat it (a
    line break would end the header, and httpx's error would quote the whole value; a
    character that is not ASCII, which httpx cannot encode), or None. ``spaces``: inner
    spaces and tabs are allowed (a header value), else refused too (an API key has none)."""
    for position, char in enumerate(value, 1):
        if char in "\r\n":
            return f"a line break (character {position})"
        if char in " \t":
            if not spaces:
                return f"{'a tab' if char == chr(9) else 'a space'} (character {position})"
            continue
        if not " " < char < "\x7f":
            kind = (
                "a control character"
                if char < " " or char == "\x7f"
                else "a character that is not ASCII"
            )
            return f"{kind} (character {position})"
    return None


def _check_self_hosted(reader: _Reader, name: str, profile: ProfileFile) -> None:
    where = ["profiles", name]
    if profile.chatkit_url is not None:
        if profile.base_url is not None:
            raise reader.fail(
                f"profile {name!r} sets base_url and chatkit_url: a profile names one deployment",
                [*where, "chatkit_url"],
            )
        if problem := url_problem("chatkit_url", profile.chatkit_url):
            raise reader.fail(f"profile {name!r}: {problem}", [*where, "chatkit_url"])
    tables = {"headers": profile.headers, "header_env": profile.header_env}
    tables["header_command"] = profile.header_command
    seen: dict[str, str] = {}
    for table, entries in tables.items():
        for header, value in entries.items():
            key = [*where, table, header]
            if profile.chatkit_url is None:
                raise reader.fail(
                    f"profile {name!r}: {table} is sent to chatkit_url, which it does not set",
                    key,
                )
            if problem := header_problem(header, value if table == "headers" else None):
                raise reader.fail(f"profile {name!r}: {table}: {problem}", key)
            if header.lower() in seen:
                raise reader.fail(
                    f"profile {name!r}: header {header!r} is set in {seen[header.lower()]} "
                    f"and in {table}: choose one",
                    key,
                )
            seen[header.lower()] = table
            if table == "header_command":
                try:
                    argv = shlex.split(value)
                except ValueError as exc:
                    raise reader.fail(
                        f"profile {name!r}: header_command {header!r} cannot be split into "
                        f"words: {exc}",
                        key,
                    ) from None
                if not argv:
                    raise reader.fail(f"profile {name!r}: header_command {header!r} is empty", key)


def known_profiles(profiles: Mapping[str, object]) -> str:
    if not profiles:
        return "it defines no profiles"
    return "known: " + ", ".join(sorted(profiles))


def _check_private(path: Path) -> None:
    """Refuse a file holding a key that others can read (POSIX only)."""
    if os.name != "posix":
        return
    info = path.stat()
    if info.st_uid != os.getuid():
        raise ConfigError(
            "holds an api_key or headers but is not owned by you; refusing to use it", path=path
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            "holds an api_key or headers but is readable by others "
            f"(mode {stat.filemode(info.st_mode)}); run: chmod 600 {shlex.quote(str(path))}  "
            "(better: use api_key_env / api_key_command, header_env / header_command, "
            "instead of the secret itself)",
            path=path,
        )


def read_config_file(
    path: Path, *, required: bool, options: Sequence[BackendOption] = ()
) -> ConfigFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError("no such file", path=path) from None
        return ConfigFile()
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from None
    parsed = parse_config_text(text, path, options)
    if any(p.api_key is not None or p.headers for p in parsed.profiles.values()):
        _check_private(path)
    return parsed
