"""The suite cannot hang: every test has a time limit (pytest-timeout, set in pyproject.toml),
so a test that loops forever fails instead of holding CI until its 90 minutes run out."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_has_a_time_limit() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < int(options["timeout"]) <= 300


def test_a_test_that_loops_forever_fails_and_the_run_goes_on(tmp_path: Path) -> None:
    """Run with this project's own settings and timeout hook (only the limit shortened): a
    sync loop and an async one (asyncio_mode = auto) each fail as a timeout, and the test
    after them passes. Several rounds: the alarm lands anywhere in the event loop's code,
    and pytest-timeout's own raise there was swallowed now and then (a hang)."""
    (tmp_path / "conftest.py").write_text("from tests.fixtures.timeouts import *  # noqa\n")
    (tmp_path / "test_loops.py").write_text(
        "import asyncio\n"
        "def test_sync_loop():\n"
        "    while True:\n"
        "        pass\n"
        "async def test_async_loop():\n"
        "    while True:\n"
        "        await asyncio.sleep(0)\n"
        "def test_after():\n"
        "    assert True\n"
    )
    for _ in range(3):
        _run_loops(tmp_path)


def _run_loops(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)),
            *("-o", "timeout=1", "-o", "testpaths=.", str(tmp_path / "test_loops.py")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed, 1 passed" in result.stdout, result.stdout
    assert result.stdout.count("Timeout") >= 2, result.stdout
