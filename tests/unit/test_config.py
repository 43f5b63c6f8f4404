"""The config loader: good files, each kind of bad file, and flag > env > file precedence."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from chatkit_tui.config import (
    Config,
    ConfigError,
    check_names,
    default_config_path,
    ignored_note,
    load_config,
    parse_config_text,
)
from chatkit_tui.config.lines import find_line

GOOD = textwrap.dedent(
    """\
    # chatkit-tui configuration
    default_profile = "staging"
    theme = "nord"

    [keys]
    delete = "ctrl+d"
    "thread.copy_id" = "c"

    [profiles.staging]
    base_url = "http://127.0.0.1:8787/v1"
    api_key_env = "STAGING_KEY"

    [profiles.prod]
    base_url = "https://api.openai.com/v1"
    organization = "org-123"
    project = "proj_456"
    api_key_command = "{python} -c 'print(\\"sk-from-command\\")'"
    """
).replace("{python}", sys.executable)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"config": None, "profile": None, "base_url": None, "demo": False}
    base.update(kw)
    return argparse.Namespace(**base)


def error_of(
    text: str,
    tmp_path: Path,
    mode: int = 0o600,
    env: dict[str, str] | None = None,
    **kw: object,
) -> ConfigError:
    path = write(tmp_path / "config.toml", text, mode)
    with pytest.raises(ConfigError) as info:
        load_config(args(config=str(path), **kw), env=env or {})
    return info.value


# --- good files -------------------------------------------------------------------------------


def test_good_file_default_profile_from_env_variable(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    config = load_config(args(config=str(path)), env={"STAGING_KEY": "sk-staging"})
    assert config.profile == "staging"
    assert config.api_key == "sk-staging"
    assert config.api_key_source == "$STAGING_KEY (profile 'staging')"
    assert config.base_url == "http://127.0.0.1:8787/v1"
    assert config.theme == "nord"
    assert config.keys == {"delete": "ctrl+d", "thread.copy_id": "c"}
    assert config.config_path == str(path)


def test_profile_flag_runs_key_command_without_shell(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    config = load_config(args(config=str(path), profile="prod"), env={})
    assert config.api_key == "sk-from-command"
    assert config.organization == "org-123"
    assert config.project == "proj_456"
    assert config.api_key_source == "api_key_command (profile 'prod')"


def test_a_profile_may_be_read_only(tmp_path: Path) -> None:
    text = '[profiles.audit]\nread_only = true\n\n[profiles.ops]\nbase_url = "http://x/v1"\n'
    path = write(tmp_path / "config.toml", text)
    assert load_config(args(config=str(path), profile="audit"), env={}).read_only
    assert not load_config(args(config=str(path), profile="ops"), env={}).read_only
    assert not load_config(args(config=str(path)), env={}).read_only  # no profile chosen
    error = error_of('[profiles.audit]\nread_only = "yes"\n', tmp_path, profile="audit")
    assert error.line == 2 and "read_only: expected true or false" in str(error)


def test_repr_and_str_never_show_the_key(tmp_path: Path) -> None:
    config = Config(api_key="sk-secret-value", base_url="http://x")
    assert "sk-secret-value" not in repr(config)
    assert "sk-secret-value" not in str(config)
    assert "'***'" in repr(config)


def test_config_is_frozen() -> None:
    config = Config(api_key="k")
    with pytest.raises(AttributeError):
        config.api_key = "other"  # type: ignore[misc]


def test_missing_default_file_is_an_empty_config() -> None:
    assert not default_config_path().exists()
    config = load_config(args(), env={})
    assert config == Config(config_path=None)


def test_default_path_is_in_the_user_config_dir() -> None:
    # the autouse fixture points XDG_CONFIG_HOME at a temporary directory
    assert default_config_path().parent.name == "chatkit-tui"
    assert default_config_path().name == "config.toml"
    assert str(default_config_path()).startswith(os.environ["XDG_CONFIG_HOME"])


def test_default_file_is_read_when_present() -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, 'theme = "gruvbox"\n')
    assert load_config(args(), env={}).theme == "gruvbox"


def test_env_variable_names_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path / "elsewhere.toml", 'theme = "dracula"\n')
    assert load_config(args(), env={"CHATKIT_TUI_CONFIG": str(path)}).theme == "dracula"


def test_private_file_may_hold_the_key(tmp_path: Path) -> None:
    text = '[profiles.p]\napi_key = "sk-in-file"\n'
    path = write(tmp_path / "config.toml", text, 0o600)
    config = load_config(args(config=str(path), profile="p"), env={})
    assert config.api_key == "sk-in-file"


def test_demo_does_not_run_the_key_command(tmp_path: Path) -> None:
    text = '[profiles.p]\napi_key_command = "/nonexistent/key-tool"\n'
    path = write(tmp_path / "config.toml", text)
    config = load_config(args(config=str(path), profile="p", demo=True), env={})
    assert config.api_key is None
    assert config.profile == "p"


# --- bad files: each names the line -----------------------------------------------------------


IDS = {"main.delete", "main.export", "threads.down"}
THEMES = {"nord", "gruvbox", "textual-dark"}


def names_error(text: str, tmp_path: Path) -> ConfigError:
    path = write(tmp_path / "config.toml", text)
    config = load_config(args(config=str(path)), env={})
    with pytest.raises(ConfigError) as info:
        check_names(config, binding_ids=IDS, themes=THEMES)
    return info.value


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[keys]\n"main.delete" = "x"\n"main.delet" = "y"\n', 3),  # quoted
        ('[keys]\nmain.export = "x"\n\nmain.delet = "y"\n', 4),  # dotted
        ('[keys.main]\nexport = "x"\ndelet = "y"\n', 3),  # a table of its own
        ('keys = { "main.delet" = "y" }\n', 1),  # inline
    ],
    ids=["quoted", "dotted", "table", "inline"],
)
def test_a_binding_id_nobody_has_names_its_line(text: str, line: int, tmp_path: Path) -> None:
    err = names_error(text, tmp_path)
    assert err.line == line
    assert err.message.startswith(
        "keys.main.delet: no binding has this id; did you mean 'main.delete'?"
    )


def test_a_theme_nobody_has_names_its_line_and_the_themes(tmp_path: Path) -> None:
    err = names_error('# x\ntheme = "gruvbx"\n', tmp_path)
    assert err.line == 2
    assert err.message == (
        "theme 'gruvbx' is not a theme; did you mean 'gruvbox'? (known: gruvbox, nord, "
        "textual-dark)"
    )


def test_a_theme_far_from_any_lists_them(tmp_path: Path) -> None:
    err = names_error('theme = "zzz"\n', tmp_path)
    assert err.message == "theme 'zzz' is not a theme; known: gruvbox, nord, textual-dark"


def test_known_names_pass(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'theme = "nord"\n[keys]\nmain.delete = "x"\n')
    check_names(load_config(args(config=str(path)), env={}), binding_ids=IDS, themes=THEMES)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = error_of('theme = "nord"\n\n[profiles.a]\nbase_url = \n', tmp_path)
    assert err.line == 4
    assert "not valid TOML" in str(err)
    assert str(err).startswith(f"{tmp_path / 'config.toml'}, line 4: ")


def test_unknown_top_level_key_names_the_line(tmp_path: Path) -> None:
    err = error_of('theme = "nord"\ncolour = "red"\n', tmp_path)
    assert err.line == 2
    assert "unknown key 'colour'" in str(err)


def test_unknown_profile_key_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace('organization = "org-123"', 'organisation = "org-123"')
    err = error_of(text, tmp_path, env={"STAGING_KEY": "x"})
    assert err.line == GOOD.splitlines().index('organization = "org-123"') + 1
    assert "profile 'prod': unknown key 'organisation'" in str(err)


def test_unknown_key_in_inline_table_names_the_line(tmp_path: Path) -> None:
    err = error_of('\n[profiles]\nx = { base_url = "http://a", bas_url = "b" }\n', tmp_path)
    assert err.line == 3
    assert "unknown key 'bas_url'" in str(err)


def test_wrong_type_names_the_line(tmp_path: Path) -> None:
    err = error_of('[profiles."my dev"]\n\nbase_url = 8787\n', tmp_path)
    assert err.line == 3
    assert "profile 'my dev': base_url: expected a string, got an integer" in str(err)


def test_wrong_type_top_level(tmp_path: Path) -> None:
    err = error_of("# x\ntheme = true\n", tmp_path)
    assert err.line == 2
    assert "theme: expected a string, got true or false" in str(err)


def test_wrong_type_in_keys_table(tmp_path: Path) -> None:
    err = error_of("[keys]\nquit = 'q'\ndelete = 4\n", tmp_path)
    assert err.line == 3
    assert "keys.delete" in str(err)


def test_two_key_sources_is_an_error(tmp_path: Path) -> None:
    err = error_of('[profiles.a]\napi_key_env = "A"\napi_key_command = "x"\n', tmp_path)
    assert err.line == 3
    assert "choose one source for the key" in str(err)


def test_bad_base_url_in_file(tmp_path: Path) -> None:
    err = error_of('[profiles.a]\nbase_url = "api.openai.com"\n', tmp_path)
    assert err.line == 2
    assert "http:// or https://" in str(err)


def test_bad_base_url_in_the_environment_is_a_config_error() -> None:
    """It used to reach the client: the CLI exited 5 ("network error"), the app showed a
    connection error, while the same value as --base-url was a config error."""
    with pytest.raises(ConfigError) as info:
        load_config(args(), env={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "api.openai.com"})
    assert "$OPENAI_BASE_URL must start with http:// or https://" in str(info.value)
    assert "'api.openai.com'" in str(info.value)
    # the flag wins, so a bad variable under a good flag is not used and not an error
    config = load_config(
        args(base_url="http://flag.example/v1"), env={"OPENAI_BASE_URL": "api.openai.com"}
    )
    assert config.base_url == "http://flag.example/v1"
    # the demo uses its own server: a stray variable does not stop it
    assert load_config(args(demo=True), env={"OPENAI_BASE_URL": "api.openai.com"})


@pytest.mark.parametrize("where", ["flag", "env", "file"])
def test_a_base_url_with_a_password_is_refused_without_repeating_it(
    where: str, tmp_path: Path
) -> None:
    """httpx would send user:password as Basic auth in place of the bearer key, and the
    URL is shown in the top bar and in connection errors."""
    url = "http://bob:hunter2@chatkit.example/v1"
    env = {"OPENAI_API_KEY": "k"}
    if where == "file":
        err = error_of(f'[profiles.p]\nbase_url = "{url}"\napi_key_env = "K"\n', tmp_path,
                       env={"K": "k"}, profile="p")  # fmt: skip
        assert err.line == 2
    else:
        with pytest.raises(ConfigError) as info:
            if where == "flag":
                load_config(args(base_url=url), env=env)
            else:
                load_config(args(), env={**env, "OPENAI_BASE_URL": url})
        err = info.value
    assert "must not hold a user name or password" in str(err)
    assert "hunter2" not in str(err) and "bob" not in str(err)


def test_the_client_refuses_a_base_url_with_a_password() -> None:
    from chatkit_tui.client import AsyncChatKit

    with pytest.raises(ValueError, match="user name or password") as info:
        AsyncChatKit(api_key="k", base_url="https://bob:hunter2@chatkit.example/v1")
    assert "hunter2" not in str(info.value)


def test_unknown_profile_from_flag(tmp_path: Path) -> None:
    err = error_of(GOOD, tmp_path, profile="qa")
    assert "unknown profile 'qa' (from --profile)" in str(err)
    assert "known: prod, staging" in str(err)


def test_unknown_profile_from_env(tmp_path: Path) -> None:
    err = error_of(GOOD, tmp_path, env={"CHATKIT_TUI_PROFILE": "qa"})
    assert "unknown profile 'qa' (from $CHATKIT_TUI_PROFILE)" in str(err)


def test_default_profile_must_exist(tmp_path: Path) -> None:
    err = error_of('default_profile = "nope"\n[profiles.a]\n', tmp_path)
    assert err.line == 1
    assert "default_profile 'nope'" in str(err)


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(args(config=str(tmp_path / "missing.toml")), env={})


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_in_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    err = error_of('[profiles.p]\napi_key = "sk-in-file"\n', tmp_path, mode, profile="p")
    assert "readable by others" in str(err)
    assert "chmod 600" in str(err)
    assert "sk-in-file" not in str(err)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_world_readable_file_without_key_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD, 0o644)
    assert load_config(args(config=str(path)), env={"STAGING_KEY": "k"}).api_key == "k"


def test_failing_key_command_never_shows_the_key(tmp_path: Path) -> None:
    script = tmp_path / "leaky.py"
    script.write_text(
        "import sys\nprint('sk-leaked-secret')\nprint('vault is locked', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    text = f"[profiles.p]\napi_key_command = '{sys.executable} {script}'\n"
    err = error_of(text, tmp_path, profile="p")
    assert "failed with exit status 3: vault is locked" in str(err)
    assert "sk-leaked-secret" not in str(err)


def test_missing_key_command(tmp_path: Path) -> None:
    err = error_of("[profiles.p]\napi_key_command = '/no/such/tool show'\n", tmp_path, profile="p")
    assert "'/no/such/tool' was not found" in str(err)


def test_key_command_printing_nothing(tmp_path: Path) -> None:
    text = f"[profiles.p]\napi_key_command = \"{sys.executable} -c 'pass'\"\n"
    err = error_of(text, tmp_path, profile="p")
    assert "printed nothing" in str(err)


def test_key_env_not_set(tmp_path: Path) -> None:
    err = error_of(GOOD, tmp_path)
    assert "$STAGING_KEY, which is not set" in str(err)


def test_unbalanced_quotes_in_key_command(tmp_path: Path) -> None:
    err = error_of("[profiles.p]\n\napi_key_command = 'pass \"show'\n", tmp_path)
    assert err.line == 3
    assert "cannot be split" in str(err)


# --- precedence: flag > profile > env; a profile with a key is a whole deployment ----------

ENV_DEPLOYMENT = {
    "OPENAI_API_KEY": "sk-env",
    "OPENAI_BASE_URL": "http://env.example/v1",
    "OPENAI_ORG_ID": "org-env",
    "OPENAI_PROJECT_ID": "proj-env",
}


def test_a_named_profile_with_a_key_takes_nothing_from_the_openai_variables(
    tmp_path: Path,
) -> None:
    # the variables are shared with every OpenAI tool: mixing them into --profile prod
    # would act on another deployment (or send prod's key elsewhere)
    path = write(tmp_path / "config.toml", GOOD)
    config = load_config(args(config=str(path), profile="prod"), env=ENV_DEPLOYMENT)
    assert config.api_key == "sk-from-command"
    assert config.base_url == "https://api.openai.com/v1"
    assert config.organization == "org-123"
    assert config.project == "proj_456"
    assert config.ignored_env == (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
    )
    note = ignored_note(config)
    assert note is not None
    assert "$OPENAI_API_KEY, $OPENAI_BASE_URL" in note
    assert "profile 'prod'" in note
    assert "sk-" not in note


def test_a_profile_key_without_a_base_url_goes_to_the_hosted_api_not_the_env_url(
    tmp_path: Path,
) -> None:
    text = "[profiles.p]\napi_key_env = 'P_KEY'\n"
    path = write(tmp_path / "config.toml", text)
    env = {"P_KEY": "sk-p", "OPENAI_BASE_URL": "http://elsewhere.example/v1"}
    config = load_config(args(config=str(path), profile="p"), env=env)
    assert (config.api_key, config.base_url) == ("sk-p", "https://api.openai.com/v1")
    assert config.ignored_env == ("OPENAI_BASE_URL",)


def test_the_default_profile_is_a_whole_deployment_too(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    config = load_config(args(config=str(path)), env={**ENV_DEPLOYMENT, "STAGING_KEY": "k"})
    assert (config.profile, config.api_key) == ("staging", "k")
    assert config.base_url == "http://127.0.0.1:8787/v1"
    assert config.organization is None  # not $OPENAI_ORG_ID: that is another deployment's


def test_a_profile_without_a_key_takes_the_env_key_and_keeps_its_own_settings(
    tmp_path: Path,
) -> None:
    text = "[profiles.p]\nbase_url = 'http://p.example/v1'\nproject = 'proj_p'\n"
    path = write(tmp_path / "config.toml", text)
    config = load_config(args(config=str(path), profile="p"), env=ENV_DEPLOYMENT)
    assert config.api_key == "sk-env"
    assert config.base_url == "http://p.example/v1"
    assert (config.organization, config.project) == ("org-env", "proj_p")
    assert config.ignored_env == ()


def test_no_profile_takes_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'theme = "nord"\n')
    config = load_config(args(config=str(path)), env=ENV_DEPLOYMENT)
    assert config.api_key == "sk-env"
    assert config.base_url == "http://env.example/v1"
    assert (config.organization, config.project) == ("org-env", "proj-env")


def test_flag_overrides_env_and_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    env = {"OPENAI_BASE_URL": "http://env.example/v1", "STAGING_KEY": "k"}
    # the flag names the default profile's own deployment (a trailing slash apart)
    config = load_config(args(config=str(path), base_url="http://127.0.0.1:8787/v1/"), env=env)
    assert (config.base_url, config.api_key) == ("http://127.0.0.1:8787/v1", "k")


def test_base_url_elsewhere_than_a_named_profile_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    with pytest.raises(ConfigError, match="not both") as caught:
        load_config(
            args(config=str(path), profile="prod", base_url="http://evil.example/v1"),
            env={},
        )
    assert "profile 'prod'" in str(caught.value)
    assert "https://api.openai.com/v1" in str(caught.value)
    # named by $CHATKIT_TUI_PROFILE, just as refused
    with pytest.raises(ConfigError, match="not both"):
        load_config(
            args(config=str(path), base_url="http://evil.example/v1"),
            env={"CHATKIT_TUI_PROFILE": "prod"},
        )


def test_base_url_elsewhere_than_the_default_profile_never_gets_its_key(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    flag = args(config=str(path), base_url="http://other.example/v1")
    alone = load_config(flag, env={"STAGING_KEY": "k"})
    assert (alone.base_url, alone.api_key) == ("http://other.example/v1", None)
    with_env = load_config(flag, env={"STAGING_KEY": "k", "OPENAI_API_KEY": "sk-env"})
    assert (with_env.api_key, with_env.api_key_source) == ("sk-env", "$OPENAI_API_KEY")


def test_profile_flag_overrides_env_profile_and_default(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    env = {"CHATKIT_TUI_PROFILE": "staging", "STAGING_KEY": "k"}
    assert load_config(args(config=str(path), profile="prod"), env=env).profile == "prod"
    assert load_config(args(config=str(path)), env=env).profile == "staging"


def test_env_profile_overrides_default_profile(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", GOOD)
    config = load_config(args(config=str(path)), env={"CHATKIT_TUI_PROFILE": "prod"})
    assert config.profile == "prod"
    assert config.base_url == "https://api.openai.com/v1"


def test_config_flag_overrides_env_config(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", 'theme = "a"\n')
    b = write(tmp_path / "b.toml", 'theme = "b"\n')
    config = load_config(args(config=str(b)), env={"CHATKIT_TUI_CONFIG": str(a)})
    assert config.theme == "b"


def test_a_named_profile_runs_its_key_command_even_with_an_env_key(tmp_path: Path) -> None:
    text = "[profiles.p]\napi_key_command = '/no/such/tool'\n"
    path = write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match="was not found"):
        load_config(args(config=str(path), profile="p"), env={"OPENAI_API_KEY": "sk-env"})


def test_the_default_base_url_is_the_clients() -> None:
    from chatkit_tui.client.client import DEFAULT_BASE_URL as CLIENTS
    from chatkit_tui.config.resolve import DEFAULT_BASE_URL

    assert DEFAULT_BASE_URL == CLIENTS


def test_bad_base_url_flag() -> None:
    with pytest.raises(ConfigError, match="--base-url must start with"):
        load_config(args(base_url="localhost:8787"), env={})


# --- the line locator -------------------------------------------------------------------------


def test_find_line_skips_multiline_strings_and_handles_quoted_keys() -> None:
    text = textwrap.dedent(
        '''\
        a = """
        b = 1
        """
        [t."x.y"]
        b = 2
        c.d = 3
        '''
    )
    assert find_line(text, ["b"]) is None
    assert find_line(text, ["t", "x.y", "b"]) == 5
    assert find_line(text, ["t", "x.y", "c", "d"]) == 6
    assert find_line(text, ["t", "x.y", "missing"]) == 4


def test_parse_config_text_directly() -> None:
    parsed = parse_config_text(GOOD, Path("c.toml"))
    assert sorted(parsed.profiles) == ["prod", "staging"]
    assert parsed.default_profile == "staging"


@pytest.mark.parametrize("value", ["''", "'ctrl+d,'", "'ctrl d'", "4", "['d']"])
def test_bad_key_binding_values(tmp_path: Path, value: str) -> None:
    err = error_of(f"[keys]\n\ndelete = {value}\n", tmp_path)
    assert err.line == 3
    assert "keys.delete must be keys separated by commas" in str(err)


def test_several_keys_for_one_binding(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[keys]\ndelete = 'ctrl+d,delete'\n")
    assert load_config(args(config=str(path)), env={}).keys == {"delete": "ctrl+d,delete"}


# --- a key that cannot be sent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "flaw"),
    [
        ("sk-s3cret\nmore", "a line break (character 10)"),
        ("sk-s3cret\r\nX-Evil: 1", "a line break (character 10)"),
        ("sk-s3cré", "a character that is not ASCII (character 8)"),
        ("sk-s3cret\x01", "a control character (character 10)"),
        ("sk-s3c ret", "a space (character 7)"),
        ("sk-s3c\tret", "a tab (character 7)"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_by_its_source_never_quoted(
    tmp_path: Path, key: str, flaw: str
) -> None:
    """httpx would refuse it while sending and quote the whole header, key and all (or
    fail with a UnicodeEncodeError): it is refused first, where it came from named."""
    with pytest.raises(ConfigError) as info:
        load_config(args(), env={"OPENAI_API_KEY": key})
    assert str(info.value).startswith(f"the API key from $OPENAI_API_KEY holds {flaw}")
    assert "s3c" not in str(info.value)
    path = write(tmp_path / "config.toml", '[profiles.p]\napi_key_env = "P_KEY"\n')
    with pytest.raises(ConfigError) as info:
        load_config(args(config=str(path), profile="p"), env={"P_KEY": key})
    assert f"$P_KEY (profile 'p') holds {flaw}" in str(info.value)
    assert "s3c" not in str(info.value)
    # the key itself in the file: refused as the file is read, its file and line named
    # a JSON string is a TOML basic string (\n, \t, \u00e9 escapes)
    path = write(tmp_path / "key.toml", f"[profiles.p]\n\napi_key = {json.dumps(key)}\n")
    with pytest.raises(ConfigError) as info:
        load_config(args(config=str(path), profile="p"), env={})
    assert info.value.line == 3 and str(path) in str(info.value)
    assert f"profile 'p': api_key holds {flaw}" in str(info.value)
    assert "s3c" not in str(info.value)


def test_a_bad_key_in_another_profile_stops_only_that_profile(tmp_path: Path) -> None:
    """A placeholder key left in an old profile is refused when that profile is used, not
    as the file is read: every other profile, and a command that needs no key, run."""
    text = (
        '[profiles.old]\napi_key = "PASTE YOUR KEY HERE"\n\n[profiles.good]\napi_key = "sk-ok"\n'
        '\n[profiles.blank]\napi_key = "  "\n'
    )
    path = write(tmp_path / "config.toml", text)
    assert load_config(args(config=str(path), profile="good"), env={}).api_key == "sk-ok"
    with pytest.raises(ConfigError) as info:
        load_config(args(config=str(path), profile="old"), env={})
    assert info.value.line == 2 and "api_key holds a space (character 6)" in str(info.value)
    assert "PASTE" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(args(config=str(path), profile="blank"), env={})
    assert info.value.line == 8 and "profile 'blank': api_key is empty" in str(info.value)
    # a command that reads a mirror only resolves no key: the profile's deployment, no error
    assert load_config(args(config=str(path), profile="old"), env={}, key=False).api_key is None


def test_spaces_around_a_key_are_trimmed_wherever_it_comes_from(tmp_path: Path) -> None:
    """Spaces around a key are how it was copied: trimmed from the environment, a
    variable, a command and (it was refused) the config file alike."""
    path = write(tmp_path / "config.toml", '[profiles.p]\napi_key = "  sk-spaced\t"\n')
    assert load_config(args(config=str(path), profile="p"), env={}).api_key == "sk-spaced"
    assert load_config(args(), env={"OPENAI_API_KEY": " sk-spaced "}).api_key == "sk-spaced"
