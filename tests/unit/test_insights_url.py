"""``insights --db postgresql://...`` (and ``--mirror URL``): the URL is read as a URL, not
as a file path, so the answer is insights' own refusal for a mirror in PostgreSQL (exit 2)
with the password redacted; it was "no mirror at postgresql:/user:PASSWORD@...", the
password printed and the URL mangled into a path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "s3cret-Pw-91"
URL = f"postgresql://support:{SECRET}@127.0.0.1:1/team"


@pytest.mark.parametrize("flag", ["--db", "--mirror"])
def test_a_postgresql_url_is_refused_worded_and_its_password_never_shown(
    tmp_path: Path, flag: str
) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "chatkit_tui", "insights", flag, URL],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert "postgresql://support:***@127.0.0.1:1/team" in run.stderr
    assert "is in PostgreSQL" in run.stderr and "insights --db FILE" in run.stderr
