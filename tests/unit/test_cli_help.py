"""The command line without a server: --help everywhere, usage and config errors, text safety."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.core.text import cell_len, escaped, fit
from chatkit_tui.scripting.common import format_row

COMMANDS = [
    [],
    ["threads"],
    ["threads", "list"],
    ["threads", "show"],
    ["threads", "items"],
    ["threads", "delete"],
    ["threads", "export"],
    ["sessions"],
    ["sessions", "create"],
    ["sessions", "cancel"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "app")
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {' '.join(['chatkit-tui', *command])}")
    if command and command[0] in ("threads", "sessions"):
        assert "exit codes:" in text
        assert "  130  interrupted (Ctrl-C)" in text
        assert "--profile NAME" in text and "--config PATH" in text


def test_app_help_lists_exit_codes_and_global_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for flag in ("--profile NAME", "--config PATH", "--base-url", "--demo", "--read-only"):
        assert flag in text
    assert "  3    not found (404)" in text


@pytest.mark.parametrize("group", ["threads", "sessions"])
def test_group_without_action_is_a_usage_error(
    group: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([group]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"usage: chatkit-tui {group}" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["threads", "list", "--limit", "many"], "expected a whole number, got 'many'"),
        (["threads", "list", "--limit", "-1"], "expected a number >= 0, got -1"),
        (["threads", "list", "--order", "up"], "invalid choice: 'up'"),
        (["threads", "list", "--user", ""], "a user is 1 to 512 characters"),
        (["threads", "delete"], "the following arguments are required: ID"),
        (["sessions", "create", "--user", "u"], "required: --workflow"),
        (["threads", "list", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_flags_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_config_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[profiles.prod]\nbase_url = 'https://x/v1'\napi_kee = 'oops'\n")
    assert main(["--config", str(config), "threads", "list"]) == 2
    err = capsys.readouterr().err
    assert f"chatkit-tui: error: config: {config}, line 3: profile 'prod': unknown key" in err


def test_config_flag_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("theme = 1\n")
    assert main(["threads", "list", "--config", str(config)]) == 2
    assert "line 1: theme: expected a string" in capsys.readouterr().err


def test_unknown_profile_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile", "nope", "threads", "list"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


def test_app_path_checks_the_config_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[keys\n")
    assert main(["--config", str(config)]) == 2
    assert "line 1: not valid TOML" in capsys.readouterr().err


# --- text safety and tables -------------------------------------------------------------------


def test_safe_escapes_controls_and_bidi() -> None:
    assert escaped("a\x1b[31mb\nc\td\x07\x9b\u202e") == "a\\x1b[31mb\\nc\\td\\x07\\x9b\\u202e"
    assert escaped("plain — ünïcode 漢字") == "plain — ünïcode 漢字"
    # the text \x1b[31m (four characters, then [31m) and a real escape print differently
    assert escaped(r"\x1b[31m") == r"\\x1b[31m" != escaped("\x1b[31m")


def test_cell_width_and_fit() -> None:
    assert cell_len("漢字") == 4
    assert cell_len("e\u0301") == 1
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("漢字漢字", 5) == "漢字…"
    assert fit("漢字漢字", 6) == "漢字… "
    assert cell_len(fit("漢字漢字", 5)) == 5


def test_format_row_never_cuts_the_last_cell() -> None:
    assert format_row(["a", "b", "long last cell"], [3, 2]) == "a    b   long last cell"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_last_cell_fits_the_terminal_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    long = "x" * 50
    assert format_row(["abc", long], [5]) == "abc    " + long  # not a terminal: whole
    monkeypatch.setattr(sys, "stdout", _Terminal())
    row = format_row(["abc", long], [5])
    assert row == "abc    " + "x" * 12 + "…"
    assert cell_len(row) == 20


def test_ctrl_c_before_a_command_starts_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C while the command's modules are still importing: no traceback."""
    import chatkit_tui.cli as cli

    def interrupted(argv: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "parse_app_args", interrupted)
    assert main(["threads", "list"]) == 130
    assert capsys.readouterr().err == "chatkit-tui: interrupted\n"
