"""A Ctrl-C (twice) while ``--store``'s module is still importing (chatkit-python's models take a
second or two to build) is an interruption: exit 130, "interrupted". pydantic-core turns
one that lands while it builds a schema into a ``SchemaError`` naming it (no cause, no
context), and a library may re-raise it chained; both were reported as the module failing
to import ("importing ... raised SchemaError: ... KeyboardInterrupt:", exit 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.stores.sqlite_store import ENV

MODULE = """
import time
from pathlib import Path

interrupted = False
try:
    Path({ready!r}).touch()
    time.sleep(30)
except KeyboardInterrupt:
    interrupted = True
    if {chained!r}:
        raise RuntimeError("the schema could not be built")
if interrupted:  # outside the except block: no __context__, as pydantic-core raises it
    from pydantic_core import SchemaError

    raise SchemaError("Error building serializer:\\n  KeyboardInterrupt:")


def make_store():
    raise AssertionError("never reached")
"""

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("chained", [True, False])
def test_ctrl_c_while_the_store_module_imports_is_an_interruption(
    tmp_path: Path, chained: bool
) -> None:
    ready = tmp_path / "ready"
    (tmp_path / "slowstore.py").write_text(MODULE.format(ready=str(ready), chained=chained))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        ENV: str(tmp_path / "store.sqlite3"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatkit_tui", "threads", "list", "--store", "slowstore:make_store"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test run in the background ignores SIGINT, and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the module was never imported"
            time.sleep(0.05)
        # the user's Ctrl-C, for real, twice: under asyncio.run the first only cancels the
        # command's task (the import goes on), the second raises in the module
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "SchemaError" not in err and "raised" not in err, err
    assert out == ""
