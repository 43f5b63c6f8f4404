"""A backend's profile keys (``store``) in the config: read when the backends declare them,
checked with their line, given way to by a flag naming another deployment, and carried in
``Config.options``; the OpenAI key is never handed to such a deployment."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from chatkit_tui.backends import backend_options
from chatkit_tui.config import ConfigError, load_config, parse_config_text

FILE = """\
default_profile = "own"

[profiles.own]
store = "mystore:make_store"
read_only = true

[profiles.hosted]
base_url = "https://api.openai.com/v1"
api_key_env = "HOSTED_KEY"
"""


def args(path: Path, **kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"config": str(path), "profile": None, "base_url": None}
    base |= {"demo": False, "chatkit_url": None, "header": None, "store": None}
    return argparse.Namespace(**(base | kw))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    return path


def test_a_profile_names_the_store_and_the_key_is_not_handed_to_it(config_file: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-hosted-secret", "OPENAI_BASE_URL": "https://a.test/v1"}
    config = load_config(args(config_file), env, backend_options())
    assert config.options == {"store": "mystore:make_store"}
    assert config.read_only and config.profile == "own"
    assert config.api_key is None and config.base_url is None and config.chatkit_url is None
    assert "options={'store': 'mystore:make_store'}" in repr(config)


def test_flags_win_over_the_profiles_store(config_file: Path) -> None:
    options = backend_options()
    flagged = load_config(args(config_file, store="other:make"), {}, options)
    assert flagged.options == {"store": "other:make"}
    hosted = load_config(args(config_file, base_url="https://b.test/v1"), {}, options)
    assert hosted.options == {} and hosted.base_url == "https://b.test/v1"
    self_hosted = load_config(args(config_file, chatkit_url="https://c.test/ck"), {}, options)
    assert self_hosted.options == {} and self_hosted.chatkit_url == "https://c.test/ck"
    env = {"HOSTED_KEY": "sk-x"}
    on_store = load_config(args(config_file, profile="hosted", store="m:f"), env, options)
    assert on_store.options == {"store": "m:f"}
    assert on_store.base_url is None and on_store.api_key is None
    with pytest.raises(ConfigError, match="--base-url and --store name two deployments"):
        load_config(args(config_file, base_url="https://b.test/v1", store="m:f"), {}, options)
    with pytest.raises(ConfigError, match="--store: expected MODULE:FACTORY"):
        load_config(args(config_file, store="nocolon"), {}, options)


@pytest.mark.parametrize(
    ("profile", "message", "line"),
    [
        ("store = 5", "profile 'p': store: expected a string, got an integer", 2),
        ('store = "nocolon"', "profile 'p': store: expected MODULE:FACTORY", 2),
        (
            'base_url = "https://a.test/v1"\nstore = "m:f"',
            "profile 'p' sets base_url and store: a profile names one deployment",
            3,
        ),
        (
            'chatkit_url = "https://a.test/ck"\nstore = "m:f"',
            "profile 'p' sets chatkit_url and store: a profile names one deployment",
            3,
        ),
    ],
    ids=["not a string", "not a spec", "with base_url", "with chatkit_url"],
)
def test_a_bad_store_key_names_its_line(
    profile: str, message: str, line: int, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text(f"[profiles.p]\n{profile}\n", tmp_path / "c.toml", backend_options())
    assert info.value.message == message or info.value.message.startswith(message)
    assert info.value.line == line


def test_without_the_backends_declarations_the_key_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'store'"):
        parse_config_text('[profiles.p]\nstore = "m:f"\n', tmp_path / "c.toml")
