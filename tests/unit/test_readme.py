"""The README stays true: its first commands, its config example and its keys table."""

from __future__ import annotations

import re
from pathlib import Path

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
    assert blocks, "the README has no config example"
    config = parse_config_text(blocks[0], tmp_path / "config.toml")
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
    path.write_text(re.findall(r"```toml\n(.*?)```", README, flags=re.S)[0])
    args = argparse.Namespace(config=str(path), profile=None, base_url=None, demo=True)
    config = load_config(args, env={})
    assert config.keys and config.theme
    check_app_names(config)
