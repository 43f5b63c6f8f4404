"""Configuration: the TOML file + the environment + the flags -> one frozen :class:`Config`.

The file (``config.toml`` in platformdirs' user config directory, or ``$CHATKIT_TUI_CONFIG``,
or ``--config PATH``) is validated strictly: unknown keys, wrong types and bad values are
:class:`ConfigError` naming the file and the line. Precedence, highest first: flags,
environment variables, the selected profile in the file. Never imports Textual.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from chatkit_tui import APP_NAME
from chatkit_tui.config.file import (
    ConfigError,
    ConfigFile,
    ProfileFile,
    known_profiles,
    read_config_file,
    url_problem,
)

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

    def __repr__(self) -> str:
        key = "'***'" if self.api_key else "None"
        return (
            f"Config(api_key={key}, api_key_source={self.api_key_source!r}, "
            f"base_url={self.base_url!r}, organization={self.organization!r}, "
            f"project={self.project!r}, profile={self.profile!r}, "
            f"config_path={self.config_path!r}, theme={self.theme!r}, keys={self.keys!r}, "
            f"read_only={self.read_only!r})"
        )

    __str__ = __repr__


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


def run_key_command(command: str, profile: str) -> str:
    """Run ``api_key_command`` without a shell; its stripped first line is the key."""
    argv = shlex.split(command)
    what = f"profile {profile!r}: api_key_command {argv[0]!r}"
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


def resolve(
    file: ConfigFile,
    *,
    env: Mapping[str, str],
    profile_flag: str | None = None,
    base_url_flag: str | None = None,
    resolve_key: bool = True,
) -> Config:
    """Combine the file, the environment and the flags (flags win, then env, then file)."""
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
    env_base_url = env.get(ENV_BASE_URL)
    # checked like the flag when it is the one used (the demo uses its own server)
    if (
        resolve_key
        and not base_url_flag
        and env_base_url
        and (problem := url_problem(f"${ENV_BASE_URL}", env_base_url))
    ):
        raise ConfigError(problem)
    base_url = base_url_flag or env_base_url or profile.base_url
    organization = env.get(ENV_ORG) or profile.organization
    project = env.get(ENV_PROJECT) or profile.project

    api_key: str | None = None
    source: str | None = None
    if env.get(ENV_API_KEY, "").strip():
        api_key, source = env[ENV_API_KEY].strip(), f"${ENV_API_KEY}"
    elif resolve_key and profile_name and _has_key_source(profile):
        api_key, source = _profile_key(profile, profile_name, env)

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
    )


def _has_key_source(profile: ProfileFile) -> bool:
    return any(
        v is not None for v in (profile.api_key_env, profile.api_key_command, profile.api_key)
    )


def load_config(args: Any, env: Mapping[str, str] | None = None) -> Config:
    """Resolve the Config for parsed command-line ``args``.

    Reads ``args.config``, ``args.profile``, ``args.base_url`` when present. With
    ``args.demo`` or ``args.mirror`` the key is not resolved (the demo server and a mirror
    need none), so a failing key command does not stop them.
    """
    environ = os.environ if env is None else env
    path, required = config_path(getattr(args, "config", None), environ)
    file = read_config_file(path, required=required)
    return resolve(
        file,
        env=environ,
        profile_flag=getattr(args, "profile", None),
        base_url_flag=getattr(args, "base_url", None),
        resolve_key=not (getattr(args, "demo", False) or getattr(args, "mirror", None) is not None),
    )
