"""Configuration: the TOML file + the environment + the flags -> one frozen :class:`Config`.

The file (``config.toml`` in platformdirs' user config directory, or ``$CHATKIT_TUI_CONFIG``,
or ``--config PATH``) is validated strictly: unknown keys, wrong types and bad values are
:class:`ConfigError` naming the file and the line. Precedence, highest first: flags, the
selected profile, environment variables; a profile that gives a key is a whole deployment
(its key goes only to its own base_url, and no ``OPENAI_*`` variable is mixed in). Never
imports Textual.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from chatkit_tui import APP_NAME
from chatkit_tui.config.file import (
    ConfigError,
    ConfigFile,
    ProfileFile,
    header_problem,
    key_flaw,
    known_profiles,
    read_config_file,
    unsendable,
    url_problem,
)
from chatkit_tui.config.options import SELF_RESOLVED, BackendOption

DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""The hosted API: ``chatkit_tui.client.client.DEFAULT_BASE_URL`` (a test keeps the two
equal; importing the client here would load httpx for every command)."""

ENV_CONFIG = "CHATKIT_TUI_CONFIG"
ENV_PROFILE = "CHATKIT_TUI_PROFILE"
ENV_API_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_ORG = "OPENAI_ORG_ID"
ENV_PROJECT = "OPENAI_PROJECT_ID"
KEY_COMMAND_TIMEOUT = 30.0


# --- the resolved configuration -----------------------------------------------------------


class Config(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the app and the script commands need, resolved.

    ``api_key_source`` says where the key came from (never the key), e.g.
    ``"$OPENAI_API_KEY"`` or ``"profile 'prod': api_key_command"``.
    """

    api_key: str | None = None
    api_key_source: str | None = None
    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    profile: str | None = None
    config_path: str | None = None
    theme: str | None = None
    keys: dict[str, str] = {}
    read_only: bool = False
    """The profile says ``read_only = true`` (the ``--read-only`` flag is the caller's)."""
    chatkit_url: str | None = None
    """A self-hosted (chatkit-python) deployment's endpoint; then no API key is needed."""
    headers: tuple[tuple[str, str], ...] = ()
    """Sent to ``chatkit_url`` with every request: secrets, never shown."""
    options: dict[str, str] = {}
    """The chosen backend's options, by flag name (``{"store": "mystore:make_store"}``):
    its flags', else the profile's keys (:class:`~chatkit_tui.config.BackendOption`)."""
    mirror: str | None = None
    """The profile's mirror (a path or a ``postgresql://`` URL; None: the default file)."""
    mirror_password_command: str | None = None
    ignored_env: tuple[str, ...] = ()
    """The ``OPENAI_*`` variables that are set but not used, because the profile gives its
    own deployment (its key, base_url, organization and project)."""

    def __repr__(self) -> str:
        key = "'***'" if self.api_key else "None"
        headers = ", ".join(f"{name}: ***" for name, _ in self.headers)
        return (
            f"Config(api_key={key}, api_key_source={self.api_key_source!r}, "
            f"base_url={self.base_url!r}, organization={self.organization!r}, "
            f"project={self.project!r}, profile={self.profile!r}, "
            f"config_path={self.config_path!r}, theme={self.theme!r}, keys={self.keys!r}, "
            f"read_only={self.read_only!r}, chatkit_url={self.chatkit_url!r}, "
            f"headers=[{headers}], options={self.options!r}, "
            f"mirror={'***' if self.mirror else None})"
        )

    __str__ = __repr__


def ignored_note(config: Config) -> str | None:
    """One line naming the ``OPENAI_*`` variables that are set but not used (the profile
    is its own deployment), or None: said before anything is done, so that nobody
    believes the variables are in force."""
    if not config.ignored_env:
        return None
    names = ", ".join(f"${name}" for name in config.ignored_env)
    verb = "is" if len(config.ignored_env) == 1 else "are"
    return (
        f"{names} {verb} set but not used: profile {config.profile!r} gives its own "
        f"deployment ({config.base_url})"
    )


# --- locating and reading the file --------------------------------------------------------


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def config_path(flag: str | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The file to read and whether it was asked for explicitly (then it must exist)."""
    if flag:
        return Path(flag).expanduser(), True
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser(), True
    return default_config_path(), False


# --- resolving ------------------------------------------------------------------------------


def run_key_command(command: str, profile: str, field: str = "api_key_command") -> str:
    """Run ``api_key_command`` (or a ``header_command``) without a shell; its stripped
    first line is the key."""
    argv = shlex.split(command)
    what = f"profile {profile!r}: {field} {argv[0]!r}"
    try:
        done = subprocess.run(  # noqa: S603  (the user's own command, no shell)
            argv,
            capture_output=True,
            text=True,
            timeout=KEY_COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise ConfigError(f"{what} was not found") from None
    except PermissionError:
        raise ConfigError(f"{what} is not executable") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{what} did not finish in {KEY_COMMAND_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise ConfigError(f"{what} could not run: {exc.strerror}") from None
    if done.returncode != 0:
        # stdout may hold (part of) the key: never show it. stderr is the tool's complaint.
        detail = done.stderr.strip().splitlines()
        hint = f": {detail[-1][:200]}" if detail else ""
        raise ConfigError(f"{what} failed with exit status {done.returncode}{hint}")
    lines = done.stdout.strip().splitlines()
    key = lines[0].strip() if lines else ""
    if not key:
        raise ConfigError(f"{what} printed nothing")
    return key


def checked_key(key: str, source: str) -> tuple[str, str]:
    """The key and its source, or ConfigError when it cannot be sent (a line break, a
    space, a character that is not ASCII): said before any request, naming the source
    and the position, never the key (httpx's own error would quote it whole)."""
    if flaw := unsendable(key, spaces=False):
        raise ConfigError(
            f"the API key from {source} holds {flaw}, which an API key cannot: "
            "check how it was copied (the key is not shown)"
        )
    return key, source


def _profile_key(profile: ProfileFile, name: str, env: Mapping[str, str]) -> tuple[str, str]:
    if profile.api_key_env is not None:
        value = env.get(profile.api_key_env, "").strip()
        if not value:
            raise ConfigError(
                f"profile {name!r} takes its key from ${profile.api_key_env}, which is not set"
            )
        return value, f"${profile.api_key_env} (profile {name!r})"
    if profile.api_key_command is not None:
        return (
            run_key_command(profile.api_key_command, name),
            f"api_key_command (profile {name!r})",
        )
    assert profile.api_key is not None
    return profile.api_key, f"config file (profile {name!r})"


def parse_header_flag(text: str) -> tuple[str, str]:
    """``--header 'Name: value'`` -> (name, value); ConfigError naming the name only."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise ConfigError("--header takes 'Name: value' (the value is never shown)")
    if problem := header_problem(name, value):
        raise ConfigError(f"--header: {problem}")
    return name, value


def _profile_headers(profile: ProfileFile, name: str, env: Mapping[str, str]) -> dict[str, str]:
    headers = dict(profile.headers)
    for header, variable in profile.header_env.items():
        value = env.get(variable, "").strip()
        if not value:
            raise ConfigError(
                f"profile {name!r} takes header {header!r} from ${variable}, which is not set"
            )
        headers[header] = value
    for header, command in profile.header_command.items():
        headers[header] = run_key_command(command, name, f"header_command {header!r}")
    for header, value in headers.items():
        if problem := header_problem(header, value):
            raise ConfigError(f"profile {name!r}: {problem}")
    return headers


def resolve(
    file: ConfigFile,
    *,
    env: Mapping[str, str],
    profile_flag: str | None = None,
    base_url_flag: str | None = None,
    resolve_key: bool = True,
    chatkit_url_flag: str | None = None,
    header_flags: tuple[str, ...] = (),
    option_flags: Mapping[str, str] | None = None,
    options: Sequence[BackendOption] = (),
) -> Config:
    """Combine the file, the environment and the flags (flags win, then the profile, then
    the environment; a profile with a key takes nothing from the ``OPENAI_*`` variables,
    and ``--base-url`` elsewhere than an explicitly named profile's is refused).

    ``option_flags``: the backends' flags given (``{"store": "m:f"}``), ``options``: what
    the backends declare. A flag naming a deployment wins over the profile's deployment
    (its ``base_url``, ``chatkit_url`` or a backend's key); two such flags are refused."""
    profile_name = profile_flag or env.get(ENV_PROFILE) or file.default_profile
    profile = ProfileFile()
    if profile_name:
        if profile_name not in file.profiles:
            where = file.path or "the config file"
            how = "--profile" if profile_flag else f"${ENV_PROFILE}"
            if not profile_flag and not env.get(ENV_PROFILE):
                how = "default_profile"
            raise ConfigError(
                f"unknown profile {profile_name!r} (from {how}); "
                f"{where}: {known_profiles(file.profiles)}"
            )
        profile = file.profiles[profile_name]

    if base_url_flag is not None and (problem := url_problem("--base-url", base_url_flag)):
        raise ConfigError(problem)
    env_base_url = env.get(ENV_BASE_URL) or None
    if chatkit_url_flag is not None:
        if base_url_flag is not None:
            raise ConfigError("--base-url and --chatkit-url name two deployments: give one of them")
        if problem := url_problem("--chatkit-url", chatkit_url_flag):
            raise ConfigError(problem)
    chosen = _backend_options(
        options,
        option_flags or {},
        file.profile_options.get(profile_name, {}) if profile_name else {},
        [f for f, v in (("--base-url", base_url_flag), ("--chatkit-url", chatkit_url_flag)) if v],
    )
    if chosen:  # a backend of ours named by its flag or the profile's key
        base_url_flag = None
        profile = msgspec.structs.replace(profile, base_url=None, chatkit_url=None)
        env_base_url = None
    # a flag naming the other kind of deployment wins over the profile's
    chatkit_url = chatkit_url_flag or (None if base_url_flag else profile.chatkit_url)
    explicit = bool(profile_flag or env.get(ENV_PROFILE))
    profile_key = bool(profile_name) and _has_key_source(profile)
    if chatkit_url is None and not chosen and base_url_flag and profile_key:
        # the profile's key is sent only to the profile's own deployment
        own = (profile.base_url or DEFAULT_BASE_URL).rstrip("/")
        if base_url_flag.rstrip("/") != own:
            if explicit and resolve_key:
                raise ConfigError(
                    f"--base-url {base_url_flag} is not profile {profile_name!r}'s deployment "
                    f"({own}), and its key is sent only there: give --profile or --base-url, "
                    "not both"
                )
            # a default profile's deployment (key, organization, project) gives way
            profile_key = False
            profile = msgspec.structs.replace(profile, organization=None, project=None)
    ignored: list[str] = []
    if profile_key:
        # a profile that gives a key is a whole deployment: the OPENAI_* variables are
        # another one's (they are shared with every OpenAI tool), so none of them is used
        base_url = base_url_flag or profile.base_url or DEFAULT_BASE_URL
        organization, project = profile.organization, profile.project
        ignored = [v for v in (ENV_API_KEY, ENV_BASE_URL, ENV_ORG, ENV_PROJECT) if env.get(v)]
        if base_url_flag or not env_base_url:
            ignored = [v for v in ignored if v != ENV_BASE_URL]
    else:
        # the profile's own settings, where it has them, then the environment's
        base_url = base_url_flag or profile.base_url or env_base_url
        organization = profile.organization or env.get(ENV_ORG)
        project = profile.project or env.get(ENV_PROJECT)
    from_env = not (profile_key or base_url_flag or profile.base_url or chatkit_url or chosen)
    # checked like the flag when it is the one used (the demo uses its own server)
    if resolve_key and from_env and env_base_url:
        if problem := url_problem(f"${ENV_BASE_URL}", env_base_url):
            raise ConfigError(problem)
    headers: dict[str, str] = {}
    if chatkit_url is not None:
        base_url = organization = project = None
        ignored = []
        if resolve_key and chatkit_url == profile.chatkit_url and profile_name:
            headers = _profile_headers(profile, profile_name, env)
        for flag in header_flags:
            name, value = parse_header_flag(flag)
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
    elif header_flags:
        raise ConfigError(
            "--header is sent to a chatkit-python server, which --chatkit-url names: give it "
            "too (a Store in process, --store, and the hosted API take no --header)"
        )
    if chosen:
        base_url = organization = project = None
        ignored = []

    api_key: str | None = None
    source: str | None = None
    if chatkit_url is not None or chosen:
        pass  # the OpenAI key is not the operator's server's (nor their Store's) to see
    elif profile_key and profile_name:
        if resolve_key:
            if (flaw := key_flaw(file, profile_name)) is not None:
                raise flaw
            api_key, source = checked_key(*_profile_key(profile, profile_name, env))
    elif env.get(ENV_API_KEY, "").strip():
        api_key, source = checked_key(env[ENV_API_KEY].strip(), f"${ENV_API_KEY}")

    return Config(
        api_key=api_key,
        api_key_source=source,
        base_url=base_url.rstrip("/") if base_url else None,
        organization=organization or None,
        project=project or None,
        profile=profile_name or None,
        config_path=file.path,
        theme=file.theme,
        keys=dict(file.keys),
        read_only=profile.read_only,
        chatkit_url=chatkit_url.rstrip("/") if chatkit_url else None,
        headers=tuple(headers.items()),
        options=chosen,
        mirror=profile.mirror,
        mirror_password_command=profile.mirror_password_command,
        ignored_env=tuple(ignored if resolve_key else ()),
    )


def _backend_options(
    options: Sequence[BackendOption],
    flags: Mapping[str, str],
    profile: Mapping[str, str],
    other_flags: list[str],
) -> dict[str, str]:
    """The backends' options in force: the flags', else (when no flag names another
    deployment) the profile's. Each value checked; two deployments named: refused."""
    generic = [o for o in options if o.dest not in SELF_RESOLVED]
    given = {o.dest: flags[o.dest] for o in generic if flags.get(o.dest) is not None}
    for option in generic:
        value = given.get(option.dest)
        if value is not None and option.check is not None and (problem := option.check(value)):
            raise ConfigError(f"{option.flag}: {problem}")
    naming = [*other_flags, *(o.flag for o in generic if o.names_deployment and o.dest in given)]
    if len(naming) > 1:
        raise ConfigError(f"{naming[0]} and {naming[1]} name two deployments: give one of them")
    if other_flags:
        return {}
    if given:
        return given
    return {
        o.dest: profile[o.profile_key]
        for o in generic
        if o.profile_key is not None and o.profile_key in profile
    }


def _has_key_source(profile: ProfileFile) -> bool:
    return any(
        v is not None for v in (profile.api_key_env, profile.api_key_command, profile.api_key)
    )


def load_config(
    args: Any,
    env: Mapping[str, str] | None = None,
    options: Sequence[BackendOption] = (),
    *,
    key: bool = True,
) -> Config:
    """Resolve the Config for parsed command-line ``args`` (``options``: what the backends
    declare, ``chatkit_tui.backends.backend_options()``; their flags are read from
    ``args`` by name).

    Reads ``args.config``, ``args.profile``, ``args.base_url`` when present. With
    ``args.demo`` or ``args.mirror`` the key is not resolved (the demo server and a mirror
    need none), so a failing key command does not stop them; nor with ``key=False``.
    """
    environ = os.environ if env is None else env
    path, required = config_path(getattr(args, "config", None), environ)
    file = read_config_file(path, required=required, options=options)
    return resolve(
        file,
        env=environ,
        profile_flag=getattr(args, "profile", None),
        base_url_flag=getattr(args, "base_url", None),
        resolve_key=key
        and not (getattr(args, "demo", False) or getattr(args, "mirror", None) is not None),
        chatkit_url_flag=getattr(args, "chatkit_url", None),
        header_flags=tuple(getattr(args, "header", None) or ()),
        option_flags={
            o.dest: value
            for o in options
            if o.dest not in SELF_RESOLVED and (value := getattr(args, o.dest, None)) is not None
        },
        options=options,
    )
