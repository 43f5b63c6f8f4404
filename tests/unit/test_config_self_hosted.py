"""A self-hosted deployment in the config: ``chatkit_url`` and its headers (values from the
file, the environment or a command; never shown), and the ``--chatkit-url`` / ``--header``
flags that win over them."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import pytest

from chatkit_tui.config import ConfigError, load_config

SECRET = "sk-operator-secret-value-1234"
COMMAND_SECRET = "token-from-a-command-5678"

FILE = textwrap.dedent(
    """\
    default_profile = "support"

    [profiles.support]
    chatkit_url = "https://support.example.com/chatkit/"

    [profiles.support.headers]
    X-Tenant = "acme"

    [profiles.support.header_env]
    Authorization = "SUPPORT_AUTH"

    [profiles.support.header_command]
    X-Api-Token = "{python} -c 'print(\\"{command_secret}\\")'"

    [profiles.hosted]
    base_url = "https://api.openai.com/v1"
    api_key_env = "HOSTED_KEY"
    """
).format(python=sys.executable, command_secret=COMMAND_SECRET)


def args(path: Path, **kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"config": str(path), "profile": None, "base_url": None}
    base |= {"demo": False, "chatkit_url": None, "header": None}
    return argparse.Namespace(**(base | kw))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    path.chmod(0o600)
    return path


def test_a_profile_names_the_endpoint_and_its_headers_from_file_env_and_command(
    config_file: Path,
) -> None:
    env = {"SUPPORT_AUTH": f"Bearer {SECRET}", "OPENAI_API_KEY": "sk-hosted-key-not-sent"}
    config = load_config(args(config_file), env)
    assert config.chatkit_url == "https://support.example.com/chatkit"
    assert dict(config.headers) == {
        "X-Tenant": "acme",
        "Authorization": f"Bearer {SECRET}",
        "X-Api-Token": COMMAND_SECRET,
    }
    # the OpenAI key is not the operator's server's to see, and no hosted base URL applies
    assert config.api_key is None and config.base_url is None
    shown = repr(config) + str(config)
    assert SECRET not in shown and COMMAND_SECRET not in shown and "acme" not in shown
    assert "Authorization: ***" in shown


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        (f"Bearer {SECRET}\r\nX-Evil: 1", "line break"),
        ("Bearer s3crét", "character that is not ASCII"),
    ],
)
def test_a_header_from_the_environment_that_cannot_be_sent_is_refused_unquoted(
    config_file: Path, value: str, flaw: str
) -> None:
    """Checked where the file's own values are, before any request (httpx would quote it)."""
    with pytest.raises(
        ConfigError, match=f"profile 'support': the value of header 'Authorization' holds a {flaw}"
    ) as info:
        load_config(args(config_file), {"SUPPORT_AUTH": value})
    assert SECRET not in str(info.value) and "s3cr" not in str(info.value)


def test_a_missing_header_variable_is_a_config_error_naming_it(config_file: Path) -> None:
    with pytest.raises(ConfigError, match=r"header 'Authorization' from \$SUPPORT_AUTH"):
        load_config(args(config_file), {})


def test_flags_win_and_name_one_deployment(config_file: Path) -> None:
    env = {"SUPPORT_AUTH": f"Bearer {SECRET}"}
    config = load_config(
        args(
            config_file,
            chatkit_url="http://127.0.0.1:9/chatkit",
            header=["X-User: alice", "authorization: Bearer other-token-999"],
        ),
        env,
    )
    # the flag's endpoint is not the profile's: the profile's headers are not sent to it
    assert config.chatkit_url == "http://127.0.0.1:9/chatkit"
    assert dict(config.headers) == {"X-User": "alice", "authorization": "Bearer other-token-999"}
    hosted = load_config(args(config_file, base_url="http://127.0.0.1:9/v1"), env)
    assert hosted.chatkit_url is None and hosted.headers == ()
    with pytest.raises(ConfigError, match="name two deployments"):
        load_config(args(config_file, base_url="http://a.test/v1", chatkit_url="http://b.test/c"))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("no colon here s3cret-value-zz", "'Name: value'"),
        ("Bad Name: s3cret-value-zz", "not a header name"),
        ("X-Empty:   ", "empty"),
        ("X-Break: s3cret-value-zz\r\nX-Evil: 1", "line break"),
        ("X-Accent: s3cret-valué-zz", "not ASCII"),
        ("X-Bell: s3cret-value\x07zz", "control character"),
    ],
)
def test_a_bad_header_flag_is_refused_without_repeating_its_value(
    config_file: Path, header: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(args(config_file, chatkit_url="http://127.0.0.1:9/c", header=[header]), {})
    assert "s3cret" not in str(caught.value)


def test_a_header_without_a_self_hosted_endpoint_is_refused(config_file: Path) -> None:
    with pytest.raises(ConfigError, match="which --chatkit-url names: give it"):
        load_config(args(config_file, profile="hosted", header=["X-User: a"]), {"HOSTED_KEY": "k"})


@pytest.mark.parametrize(
    ("profile", "message", "line"),
    [
        (
            'base_url = "https://a.test/v1"\nchatkit_url = "https://b.test/c"',
            "sets base_url and chatkit_url",
            3,
        ),
        ('chatkit_url = "ftp://b.test/c"', "must start with http", 2),
        ('[profiles.p.headers]\nX-User = "a"', "which it does not set", 3),
        (
            'chatkit_url = "https://b.test/c"\n[profiles.p.headers]\n"Bad Name" = "a"',
            "not a header name",
            4,
        ),
        (
            'chatkit_url = "https://b.test/c"\n[profiles.p.headers]\nX-A = "1"\n'
            '[profiles.p.header_env]\nx-a = "V"',
            "choose one",
            6,
        ),
    ],
)
def test_bad_self_hosted_profiles_name_their_line(
    tmp_path: Path, profile: str, message: str, line: int
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[profiles.p]\n{profile}\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(args(path, profile="p"), {})
    assert caught.value.line == line


def test_a_file_holding_header_values_must_be_private(config_file: Path) -> None:
    config_file.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_config(args(config_file), {"SUPPORT_AUTH": "Bearer x"})
