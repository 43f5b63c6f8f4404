"""``migrate``'s flags checked as ``threads``, ``mirror`` and ``insights`` check theirs: an
empty ``--user ''`` (a variable that was not set) is refused, exit 2, before the Store is
loaded or anything read; it ran, matched no thread, and said "0 threads" with exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatkit_tui.cli import main
from chatkit_tui.scripting.common import EXIT_USAGE


def test_an_empty_user_is_refused_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    report = tmp_path / "r.jsonl"
    argv = ["migrate", "--to-store", "nosuchmodule:make", "--from-mirror", str(tmp_path / "m")]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--user", "", "--report", str(report)])
    assert exit_.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "argument --user: a user is 1 to 512 characters" in err
    assert not report.exists()
