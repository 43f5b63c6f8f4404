"""Unit tests of the renderers (and the text and time helpers they use): pure functions, no app."""

from __future__ import annotations

import io

import pytest
from rich.console import Console, RenderableType

from chatkit_tui.client.decoding import decode_item, decode_item_page
from chatkit_tui.client.models import ClosedStatus, Thread, UnknownItem
from chatkit_tui.core import text, times
from chatkit_tui.tui.threads import render, render_items


def plain(renderable: RenderableType, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mb", "a␛[31mb"),
        ("bell\x07", "bell␇"),
        ("nul\x00", "nul␀"),
        ("del\x7f", "del␡"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("cr\rx", "cr␍x"),
        ("crlf\r\nx", "crlf\nx"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("rtl \u202eolleh\u202c", "rtl <U+202E>olleh<U+202C>"),
    ],
)
def test_clean_makes_control_characters_visible(raw: str, shown: str) -> None:
    assert text.visible(raw) == shown


def test_one_line_folds_whitespace() -> None:
    assert text.one_line("a\n b\t\tc\x1b") == "a b c␛"


@pytest.mark.parametrize(
    ("age", "short", "long"),
    [
        (0, "now", "just now"),
        (42, "42s", "42 seconds ago"),
        (60, "1m", "1 minute ago"),
        (7200, "2h", "2 hours ago"),
        (3 * 86400, "3d", "3 days ago"),
        (20 * 86400, "2w", "2 weeks ago"),
        (100 * 86400, "3mo", "3 months ago"),
        (800 * 86400, "2y", "2 years ago"),
        (-3600, "soon", "in the future"),
    ],
)
def test_relative_times(age: int, short: str, long: str) -> None:
    now = 1_800_000_000.0
    assert times.relative_short(int(now) - age, now) == short
    assert times.relative_long(int(now) - age, now) == long


def test_columns_fit_80_and_keep_the_id() -> None:
    cols = render.columns_for(78)
    assert cols.total <= 80 and cols.title >= 24 and cols.id >= 12 and cols.user >= 12
    narrow = render.columns_for(30)
    assert narrow.total <= 32 and narrow.title > 0


def test_thread_cells_untitled_and_status() -> None:
    thread = Thread(id="cthr_1", created_at=0, user="u\x1b", status=ClosedStatus(reason="r"))
    cells = render.thread_cells(thread, 3600.0, render.columns_for(78))
    texts = [text.strip() for text, _ in cells]
    assert texts[0] == "Untitled" and texts[1] == "u␛" and texts[2] == "closed"
    assert texts[3] == "1h" and texts[4] == "cthr_1"
    assert sum(len(text) for text, _ in cells) == render.columns_for(78).total - 2


def test_fit_cuts_with_an_ellipsis() -> None:
    assert render.fit("abcdefgh", 6) == "abcd… "
    assert render.fit("ab", 6) == "ab    "
    assert render.fit("漢字漢字漢字", 6) == "漢字… "


def test_thread_header_has_reason_and_both_times() -> None:
    thread = Thread(
        id="cthr_1",
        created_at=1_700_000_000,
        user="u",
        title="[b]T[/b]",
        status=ClosedStatus(reason="spam"),
    )
    text = plain(render.thread_header(thread, 1_700_000_000 + 7200))
    assert "[b]T[/b]" in text and "closed: spam" in text
    assert "2023-11-14 22:13:20 UTC (2 hours ago)" in text


def test_markdown_shows_html_and_link_targets_literally() -> None:
    item = decode_item(
        b'{"type":"chatkit.assistant_message","id":"i","thread_id":"t","created_at":0,'
        b'"content":[{"type":"output_text","text":"<script>x</script> [a](https://e.x) '
        b'[red]r[/red]","annotations":[]}]}'
    )
    text = plain(render_items.render_item(item))
    assert "<script>x</script>" in text and "a (https://e.x)" in text and "[red]r[/red]" in text


def test_tool_call_raw_when_not_json() -> None:
    item = decode_item(
        b'{"type":"chatkit.client_tool_call","id":"i","thread_id":"t","created_at":0,'
        b'"status":"in_progress","call_id":"c","name":"n","arguments":"{bad","output":null}'
    )
    text = plain(render_items.render_item(item))
    assert "arguments:  (not valid JSON, shown raw)" in text and "{bad" in text
    assert "output: (none yet)" in text


def test_unknown_item_keeps_raw_json_and_says_so() -> None:
    item = decode_item(
        b'{"type":"x.new","id":"i","thread_id":"t","created_at":0,"k":"\\u001b\\u009b"}'
    )
    assert isinstance(item, UnknownItem)
    text = plain(render_items.render_item(item))
    assert "UNKNOWN" in text and "x.new" in text and "raw JSON" in text
    # json.dumps escapes C0 itself; C1 (kept raw by ensure_ascii=False) is made visible
    assert '"k": "\\u001b\\x9b"' in text
    assert "\x1b" not in text and "\x9b" not in text


def test_every_kind_has_a_distinct_heading() -> None:
    import msgspec

    from tests.tui.helpers import every_item_type

    headings = set()
    for raw in every_item_type("t"):
        raw = {"thread_id": "t", "created_at": 0, "object": "chatkit.thread_item", **raw}
        item = decode_item(msgspec.json.encode(raw))
        first_line = plain(render_items.render_item(item)).splitlines()[0]
        headings.add(first_line.split("  ")[0].strip())
        assert render_items.item_kind(item)
    assert len(headings) == 7


def test_malformed_lazy_fields_of_a_chatkit_python_page_render() -> None:
    """A chatkit-python page decodes its bulky fields on first read (client/lazy.py): one
    that turns out malformed then is shown as what could be read and the raw JSON, like
    an odd piece the tolerant reader kept, never an exception."""
    import json

    from chatkit_tui.client.decoding import decode_item_page

    def ck(kind: str, i: int, **fields: object) -> dict[str, object]:
        at = "2024-05-01T10:00:00Z"
        return {"id": f"i{i}", "thread_id": "t", "created_at": at, "type": kind, **fields}

    body = json.dumps(
        {
            "data": [
                ck("user_message", 0, content=[{"type": "input_text", "text": "hi"}, 7]),
                ck("assistant_message", 1, content="\x1b[31mnot a list"),
                ck("workflow", 2, workflow={"type": "custom", "tasks": {"no": "list"}}),
                ck("widget", 3, widget=[1, 2]),
                ck("structured_input", 4, inputs=None),
            ],
            "has_more": False,
        }
    ).encode()
    items = decode_item_page(body, dialect="chatkit-python").data
    assert not any(isinstance(item, UnknownItem) for item in items)
    shown = [plain(render_items.render_item(item)) for item in items]
    assert "hi" in shown[0] and "content part without a type" in shown[0] and "7" in shown[0]
    assert "raw JSON" in shown[1] and "not a list" in shown[1] and "\x1b" not in shown[1]
    assert "task without a type" in shown[2] and '"no": "list"' in shown[2]
    assert "WIDGET" in shown[3] and "[\n  1,\n  2\n]" in shown[3]
    assert "input without a type" in shown[4] and "null" in shown[4]


def test_hidden_context_is_dimmed_throughout_not_highlighted() -> None:
    """Hidden context (a Store shows it) keeps the item's muted look: its JSON content is
    not coloured as other JSON is, so nothing in it reads as what the end user saw."""
    page = decode_item_page(
        b'{"data": [{"type": "hidden_context_item", "id": "hc_1", "thread_id": "thr_1",'
        b' "created_at": "2026-11-20T12:00:34Z", "content": {"customer_tier": "gold",'
        b' "order_id": 4411}}], "has_more": false}',
        dialect="chatkit-python",
    )
    shown = render_items.render_item(page.data[0])
    assert "customer_tier" in plain(shown)
    texts = [r for r in getattr(shown, "renderables", []) if hasattr(r, "spans")]
    body = [t for t in texts if "customer_tier" in t.plain]
    assert body and all(not t.spans for t in body), [t.spans for t in body]
