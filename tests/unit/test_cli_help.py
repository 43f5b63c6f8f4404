"""The command line without a server: --help everywhere, usage and config errors, text safety."""

from __future__ import annotations

import argparse
import io
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from chatkit_tui.cli import build_parser, main
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
    ["threads", "purge"],
    ["sessions"],
    ["sessions", "create"],
    ["sessions", "cancel"],
    ["mirror"],
    ["search"],
    ["serve"],
    ["migrate"],
]

# the exit codes each command can return, as its --help must list them (and no other)
API = [0, 1, 2, 3, 4, 5, 6, 130]
READS = [0, 1, 2, 3, 4, 5, 6, 9, 130]  # --mirror: a damaged mirror is 9
EXITS = {
    "threads list": READS,
    "threads show": READS,
    "threads items": READS,
    "threads export": READS,
    "threads delete": [0, 1, 2, 4, 5, 6, 7, 130],  # a 404 is "already gone": success
    "threads purge": [0, 1, 2, 3, 4, 5, 6, 7, 130],
    "sessions create": API,
    "sessions cancel": [0, 1, 2, 3, 4, 5, 6, 7, 130],
    # 4 / 5 also: a mirror in PostgreSQL that refused the login / could not be reached
    "mirror": [0, 1, 2, 4, 5, 8, 9, 10, 130],  # only a rejected key stops a run; else 8
    "search": [0, 1, 2, 4, 5, 9, 130],  # no API key; 9: a damaged file
    "serve": [0, 2, 4, 5, 9],
    # 8: threads failed (retried next run); 9: a damaged mirror; 11: --verify found differences
    "migrate": [0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 130],
    "threads": [0, 1, 2, 3, 4, 5, 6, 7, 9, 130],
    "sessions": [0, 1, 2, 3, 4, 5, 6, 7, 130],
    "": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 130],
}


def help_of(command: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def section(text: str, heading: str) -> list[str]:
    """The lines of a help section ("exit codes", "examples") up to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        body.append(line)
    return body


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "app")
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(command, capsys)
    assert text.startswith(f"usage: {' '.join(['chatkit-tui', *command])}")
    assert "exit codes" in text
    if command and command != ["serve"]:
        assert "  130  interrupted (Ctrl-C)" in text
        assert "--profile NAME" in text and "--config PATH" in text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "app")
def test_help_lists_the_exit_codes_the_command_can_return(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = section(help_of(command, capsys), "exit codes")
    listed = [int(line.split()[0]) for line in lines if re.match(r"  \d+ ", line)]
    assert listed == EXITS[" ".join(command)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "app")
def test_help_ends_with_one_or_two_examples(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(command, capsys)
    examples = section(text, "examples:")
    assert 1 <= len(examples) <= 2
    assert all(line.startswith("  chatkit-tui ") for line in examples)
    assert text.rstrip().endswith(examples[-1])  # the last thing on the page
    for line in examples:  # and each one parses
        argv = shlex.split(line.split("|")[0])[1:]
        build_parser().parse_args(argv)


def test_the_groups_have_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert "The threads of the deployment" in help_of(["threads"], capsys)
    assert "ChatKit sessions: create one" in help_of(["sessions"], capsys)


def _parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    def walk(
        name: str, parser: argparse.ArgumentParser
    ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        yield name, parser
        for action in parser._actions:
            if action.nargs == argparse.PARSER:  # the subcommands
                children: dict[str, argparse.ArgumentParser] = cast(Any, action.choices)
                for child_name, child in children.items():
                    yield from walk(f"{name} {child_name}".strip(), child)

    yield from walk("", build_parser())


# one metavar per kind of value
METAVARS = {
    "URL", "PATH", "DIR", "USER", "ID", "N", "DATE", "AGE", "DATE|AGE", "NAME", "KEY",
    "KEY=VALUE", "SECONDS", "MB", "TYPE", "QUERY", "VERSION", "HOST", "PORT", "MS[:JITTER]",
    "P", "N/min", "ACTION", "COMMAND", "HEADER", "MODULE:FACTORY",
}  # fmt: skip


def test_one_metavar_per_kind_of_value() -> None:
    """Every value shown in the help has a metavar from one short list, and an option has
    the same one wherever it appears (--user USER in every command, --db PATH, ...)."""
    seen: dict[str, set[str]] = {}
    for name, parser in _parsers():
        for action in parser._actions:
            if action.nargs == 0 or (action.choices is not None and action.metavar is None):
                continue  # a switch, or a choice shown as {a,b}
            metavar = action.metavar or (
                action.dest.upper() if action.option_strings else action.dest
            )
            assert isinstance(metavar, str) and metavar in METAVARS, (name, action.dest, metavar)
            for option in action.option_strings or [f"<{action.dest}>"]:
                seen.setdefault(option, set()).add(metavar)
    assert {option: names for option, names in seen.items() if len(names) > 1} == {}
    assert seen["--user"] == {"USER"} and seen["--db"] == {"PATH"}


def test_app_help_lists_exit_codes_and_global_flags(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of([], capsys)
    for flag in ("--profile NAME", "--config PATH", "--base-url URL", "--demo", "--read-only"):
        assert flag in text
    assert "--mirror [PATH]" in text
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
        # argparse would take -5d for an option ("expected one argument")
        (
            ["threads", "purge", "--older-than", "-5d"],
            "argument --older-than: '-5d': an age is positive, like 90d",
        ),
        (["threads", "purge", "--older-than=-5d"], "'-5d': an age is positive, like 90d"),
        (["search", "x", "--since", "-2w"], "argument --since: '-2w': an age is positive"),
        (["threads", "purge", "--older-than", "--yes"], "--older-than: expected one argument"),
        (["sessions", "cancel"], "the following arguments are required: ID"),
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
