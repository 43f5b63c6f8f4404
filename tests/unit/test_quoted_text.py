"""chatkit-python's ``quoted_text`` (what the user answers) is shown in the app and written
in the Markdown transcript, as untrusted text: literally, controls made visible."""

from __future__ import annotations

import io

from rich.console import Console

from chatkit_tui.client.decoding import decode_item, decode_thread
from chatkit_tui.core.transcript import to_markdown
from chatkit_tui.tui.threads.render_items import render_user_message

ITEM = (
    b'{"id":"msg_1","thread_id":"thr_1","created_at":"2026-11-20T12:00:17Z","type":"user_message",'
    b'"content":[{"type":"input_text","text":"Can you help?"}],"attachments":[],'
    b'"quoted_text":"Your order [b]#4411[/b] was delivered \\u202e\\u001b[31m.",'
    b'"inference_options":{}}'
)
THREAD = b'{"id":"thr_1","created_at":"2026-11-20T12:00:00Z","status":{"type":"active"}}'


def test_the_app_shows_what_the_user_quoted() -> None:
    item = decode_item(ITEM)
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(render_user_message(item))  # type: ignore[arg-type]
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Your order [b]#4411[/b] was delivered" in shown  # literal, not markup
    assert "\u202e" not in shown and "\x1b" not in shown
    assert shown.index("Your order") < shown.index("Can you help?")


def test_the_transcript_quotes_it() -> None:
    markdown = to_markdown(decode_thread(THREAD), [decode_item(ITEM)])
    line = next(ln for ln in markdown.splitlines() if "Your order" in ln)
    assert line.startswith(">") and "U+202E" in line and "\u202e" not in markdown
    assert "\x1b" not in markdown
