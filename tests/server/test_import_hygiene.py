"""The server never imports Textual (it runs headless, under `serve` and in tests)."""

from __future__ import annotations

import subprocess
import sys


def test_server_modules_do_not_import_textual():
    code = (
        "import sys\n"
        "import chatkit_tui.server.app, chatkit_tui.server.run, chatkit_tui.server.seed\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
