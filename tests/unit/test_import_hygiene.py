"""Nothing below tui/ imports Textual (client, server, core, config, scripting): proven
in a fresh interpreter, beside import-linter's static contracts in pyproject.toml.

Every module of those packages is found with pkgutil, so the check grows with them.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import chatkit_tui.client
import chatkit_tui.config
import chatkit_tui.core
import chatkit_tui.scripting
import chatkit_tui.server

TEXTUAL_FREE = [
    chatkit_tui.client,
    chatkit_tui.server,
    chatkit_tui.core,
    chatkit_tui.config,
    chatkit_tui.scripting,
]

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, sys
names = json.loads(sys.argv[1])
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "imported": [n for n in names if n in sys.modules],
    "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")),
}))
"""


def probe_imports(names: list[str]) -> dict[str, list[str]]:
    """Import ``names`` in a fresh interpreter: which were imported, which Textual modules came."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _modules(package: object) -> list[str]:
    path: list[str] = list(package.__path__)  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return [info.name for info in pkgutil.walk_packages(path, prefix)]


def test_nothing_below_tui_imports_textual() -> None:
    names = [package.__name__ for package in TEXTUAL_FREE]
    for package in TEXTUAL_FREE:
        names += _modules(package)
    # the walk really finds modules
    assert {"chatkit_tui.client.client", "chatkit_tui.core.delete"} <= set(names)
    report = probe_imports(names)
    assert report["imported"] == names
    assert report["textual"] == [], f"Textual was imported: {report['textual'][:5]}"


def test_the_probe_can_fail() -> None:
    """The same probe does see Textual when something imports it."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["textual.app"])],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert "textual.app" in json.loads(result.stdout)["textual"]
