"""What the app's start-up imports, proven in a fresh interpreter, so start-up cannot slow
down unnoticed (tests/benchmarks/bench_tui.py measures the time; this locks in the cuts).

The probe runs the real ``chatkit_tui.cli.main`` for the plain app invocation, all the
way to the app object (client built, first page requested from a closed loopback
port), with ``ChatKitApp.run_async`` replaced by a report of ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatkit_tui.cli import build_parser, parse_app_args

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import chatkit_tui.tui.run as run

real_app_class = run._app_class

def app_class():
    cls = real_app_class()

    async def report(self):  # instead of running: what start-up has imported by now
        for name in sys.argv[2:]:  # extra imports: lets a test show the probe can fail
            __import__(name)
        print(json.dumps(sorted(sys.modules)))

    cls.run_async = report
    return cls

run._app_class = app_class
from chatkit_tui.cli import main
sys.exit(main(json.loads(sys.argv[1])))
"""

# Not needed before the first frame of the app (nor by it at all, for the server).
NOT_AT_START = (
    "uvicorn",
    "starlette",
    "chatkit_tui.server",
    "chatkit_tui.scripting.threads",
    "chatkit_tui.scripting.sessions",
    "chatkit_tui.scripting.mirror",
    "chatkit_tui.core.mirror",
    "chatkit_tui.core.export",
    "chatkit_tui.core.session_params",
    "chatkit_tui.tui.dialogs.help",
    "chatkit_tui.tui.threads.bulk",
    "chatkit_tui.tui.sessions.screen",
    "chatkit_tui.core.bulk",
    "markdown_it",
    "rich.markdown",
    # every backend's __init__ is read for its flags; what it opens is imported on use
    "chatkit",
    "chatkit_tui.backends.store.loader",
    "chatkit_tui.backends.store.deployment",
    "chatkit_tui.backends.chatkit_python.client",
)


def start_up_modules(argv: list[str], *extra: str, tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATKIT_TUI_")}
    env.update(
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",  # nothing listens: never the internet
        XDG_CONFIG_HOME=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout)
    assert "textual.app" in modules and "chatkit_tui.tui.app" in modules  # it really ran
    return modules


def unwanted(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_AT_START)]


@pytest.mark.parametrize(
    "argv", [[], ["--base-url", "http://127.0.0.1:9/v1", "--read-only"]], ids=["bare", "flags"]
)
def test_the_app_starts_without_server_or_script_modules(argv: list[str], tmp_path: Path) -> None:
    assert unwanted(start_up_modules(argv, tmp_path=tmp_path)) == []


def test_the_probe_can_fail(tmp_path: Path) -> None:
    modules = start_up_modules(
        [], "chatkit_tui.server.run", "chatkit_tui.core.export", tmp_path=tmp_path
    )
    found = unwanted(modules)
    assert "uvicorn" in found and "chatkit_tui.server.run" in found
    assert "chatkit_tui.core.export" in found


# --- the plain app invocation is parsed without the subcommands, with the same result ---

APP_ARGVS = [
    [],
    ["--demo"],
    ["--read-only", "--base-url", "http://localhost:8787/v1"],
    ["--base-url=http://x/v1", "--profile", "prod", "--config", "c.toml"],
    ["--base-url", "threads"],  # a value that looks like a subcommand is still a value
    ["--prof", "staging"],  # argparse's prefixes work as in the full parser
]


@pytest.mark.parametrize("argv", APP_ARGVS, ids=lambda a: " ".join(a) or "none")
def test_app_arguments_parse_as_the_full_parser_does(argv: list[str]) -> None:
    args = parse_app_args(argv)
    assert args is not None
    assert vars(args) == vars(build_parser().parse_args(argv))


OTHER_ARGVS = [
    ["serve"],
    ["threads", "list"],
    ["--demo", "sessions", "create"],
    ["--help"],
    ["-h"],
    ["--version"],
    ["--base-url"],  # missing value: the full parser says so
    ["--no-such-flag"],
    ["stray"],
]


@pytest.mark.parametrize("argv", OTHER_ARGVS, ids=" ".join)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert parse_app_args(argv) is None


def test_a_bad_flag_gets_the_full_parsers_message(capsys: pytest.CaptureFixture[str]) -> None:
    from chatkit_tui.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--no-such-flag"])
    assert info.value.code == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err
