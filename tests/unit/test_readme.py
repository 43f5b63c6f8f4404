"""The README stays true: its first commands, its config example, its keys table, and every
example command that can run on the demo data finds something there."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatkit_tui.config import parse_config_text

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_first_lines_give_the_demo_and_the_test_command():
    first_block = README.split("```", 2)[1]
    assert "chatkit-tui --demo" in first_block
    assert "bash .ci/run" in first_block
    # .ci/run ends with the test command itself
    ci_lines = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln.strip()]
    assert ci_lines[-1] == "python -m pytest"


def test_the_config_example_is_a_valid_config_file(tmp_path: Path):
    blocks = re.findall(r"```toml\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 2, "the README has no config example"
    from chatkit_tui.backends import backend_options

    for block in blocks:  # each is a valid file: the self-hosted profile's, the Store's too
        parse_config_text(block, tmp_path / "config.toml", backend_options())
    config = parse_config_text(_config_example(), tmp_path / "config.toml")
    assert config.profiles and config.keys


def _app_binding_ids() -> set[str]:
    from chatkit_tui.tui.keys.registry import help_sections

    return {row[2] for _, rows in help_sections({}, read_only=False) for row in rows}


def test_the_keys_table_names_every_binding_and_only_real_ones():
    section = README.split("## Keys", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", section))
    ids = _app_binding_ids()
    assert named - ids == set(), "the README names bindings the app does not have"
    assert ids - named == set(), "bindings missing from the README's keys table"


def test_the_config_example_names_only_real_bindings_and_a_real_theme(tmp_path: Path):
    """What the app checks before it starts (an unknown id or theme is refused)."""
    import argparse

    from chatkit_tui.config import load_config
    from chatkit_tui.tui.run import check_app_names

    path = tmp_path / "config.toml"
    path.write_text(_config_example())
    args = argparse.Namespace(config=str(path), profile=None, base_url=None, demo=True)
    config = load_config(args, env={})
    assert config.keys and config.theme
    check_app_names(config)


# --- every example runs on the demo data and finds something -------------------------------
#
# Which examples: the lines of the README's ``sh`` blocks that begin with ``chatkit-tui``,
# are concrete (a synopsis, with metavariables in capitals, ``[optional]`` parts, ``a|b`` or
# ``...``, is not an example) and change nothing upstream: ``search`` (reads the mirror),
# ``threads list/show/items``, ``threads purge ... --dry-run`` (reads the deployment) and
# ``mirror`` (reads the deployment, writes its own file: here a new one in a temporary
# directory). Left out, as they cannot run on demo data as written or change it: the app
# (``chatkit-tui``, ``--profile prod``), ``serve``, deletes and purges without
# ``--dry-run``, ``sessions``. The demo data is what ``chatkit-tui --demo`` (and a first
# ``chatkit-tui serve``) shows: DEMO_THREADS threads seeded up to SEED_AGE ago (so the
# content is fixed and ``--since 7d`` is relative to now, as for a user), mirrored once per
# session by the real ``mirror`` command.

_SYNOPSIS = re.compile(r"^[A-Z][A-Z_.]*$|\[|\||\.\.\.")


def _config_example() -> str:
    """The Configuration section's example (the one with ``[keys]``)."""
    return next(b for b in re.findall(r"```toml\n(.*?)```", README, flags=re.S) if "[keys]" in b)


SAMPLE_URL = "http://127.0.0.1:8790/chatkit"  # where the README starts the chatkit-python sample


def _own_store_module() -> str:
    """The README's ``mystore.py`` (the "Your own Store" section's Python block)."""
    section = README.split("## Your own Store", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert block.startswith("# mystore.py\n")
    return block


def _examples() -> list[list[str]]:
    found: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] != ["chatkit-tui"] or any(_SYNOPSIS.search(w) for w in words[1:]):
                continue
            command = words[1:]
            reads = command[:1] in (["search"], ["mirror"]) or command[:2] in (
                ["threads", "list"],
                ["threads", "show"],
                ["threads", "items"],
            )
            if reads or (command[:2] == ["threads", "purge"] and "--dry-run" in command):
                found.append(command)
    return found


EXAMPLES = _examples()


def test_the_readme_examples_are_found():
    """The selection is not empty by accident: the README's searches and dry run are in."""
    kinds = [" ".join(c[:2]) if c[0] == "threads" else c[0] for c in EXAMPLES]
    assert kinds.count("search") >= 2 and "threads purge" in kinds and "mirror" in kinds, kinds
    assert ["search", "QUERY..."] not in [c[:2] for c in EXAMPLES]  # no synopsis


@dataclass(frozen=True)
class Demo:
    base_url: str
    mirror: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    from chatkit_tui.core.local import DEMO_THREADS, SEED_AGE
    from chatkit_tui.server.run import BackgroundServer

    home = tmp_path_factory.mktemp("demo-home")
    path = home / "demo-mirror.sqlite3"
    seeded = int(time.time()) - SEED_AGE
    with BackgroundServer(db=":memory:", seed=DEMO_THREADS, seed_time=seeded) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHATKIT_"))}
        env |= {f"XDG_{d}_HOME": str(home / d.lower()) for d in ("CONFIG", "DATA", "CACHE")}
        env |= {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "demo"}
        done = subprocess.run(
            [sys.executable, "-m", "chatkit_tui", "mirror", "--db", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=100,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f"mirrored {DEMO_THREADS} threads" in done.stdout, done.stdout
        yield Demo(server.base_url, path)


@pytest.fixture
def _sample() -> Iterator[object]:
    """The chatkit-python sample the README starts (``python -m tests.fixtures.chatkit_python``)."""
    from tests.fixtures.chatkit_python import ChatKitPythonSample

    with ChatKitPythonSample() as sample:
        yield sample


@pytest.mark.parametrize("command", EXAMPLES, ids=[" ".join(c) for c in EXAMPLES])
def test_every_readme_example_finds_something_on_the_demo_data(
    command: list[str],
    request: pytest.FixtureRequest,
    demo: Demo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    from chatkit_tui.cli import main

    monkeypatch.setenv("OPENAI_BASE_URL", demo.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "demo")
    if SAMPLE_URL in command:  # the self-hosted journey: on the sample it starts, for real
        from tests.fixtures.chatkit_python import ADMIN_TOKEN, ChatKitPythonSample

        sample = request.getfixturevalue("_sample")
        assert isinstance(sample, ChatKitPythonSample)
        admin = f"Authorization: Bearer {ADMIN_TOKEN}"
        command = [sample.url if w == SAMPLE_URL else admin if w == "$K" else w for w in command]
    if "--store" in command:  # the operator's mystore.py, beside them: the README's, for real
        (tmp_path / "mystore.py").write_text(_own_store_module())
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "path", list(sys.path))  # the loader puts the cwd first
        monkeypatch.delitem(sys.modules, "mystore", raising=False)
    if command[0] == "search":
        code = main([*command, "--db", str(demo.mirror)])
        out, err = capsys.readouterr()
        assert code == 0, err
        hits = out.splitlines()[0 if "--json" in command else 1 :]
        assert hits and "no matches" not in err, f"no hits for {command}: {out}{err}"
    elif command[0] == "mirror" and "--check" in command:  # reads a mirror: the demo's
        given = command.index("--db") if "--db" in command else len(command)
        code = main([*command[:given], *command[given + 2 :], "--db", str(demo.mirror)])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "no damage found" in out and "threads" in out, out
    elif command[0] == "mirror":
        code = main([*command, "--db", str(tmp_path / "copy.sqlite3")])
        out, err = capsys.readouterr()
        assert code == 0, err
        match = re.search(r"mirrored ([\d,]+) threads", out)
        assert match and int(match.group(1).replace(",", "")) > 0, out
    elif command[:2] == ["threads", "purge"]:
        code = main(command)
        out, err = capsys.readouterr()
        assert code == 0, err
        match = re.search(r"a real run would delete ([\d,]+) threads?", out + err)
        assert match and int(match.group(1).replace(",", "")) > 0, out + err
    else:  # threads list / show / items: a row at least
        code = main(command)
        out, err = capsys.readouterr()
        assert code == 0 and out.strip(), err
