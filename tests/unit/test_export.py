"""Export: JSON as the API sent it, and a Markdown transcript that API text cannot break.

The Markdown is checked by parsing it with markdown-it-py (CommonMark, installed with
Textual/Rich): the document's headings and code blocks must be exactly the ones the
exporter meant, whatever the thread's text contains.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from chatkit_tui.client.decoding import decode_item
from chatkit_tui.client.models import (
    AssistantMessageItem,
    Attachment,
    ClientToolCallItem,
    FileAnnotation,
    FileAnnotationSource,
    InferenceOptions,
    InputText,
    LockedStatus,
    OutputText,
    QuotedText,
    TaskGroupItem,
    TaskGroupTask,
    TaskItem,
    Thread,
    ThreadItem,
    ToolChoice,
    UrlAnnotation,
    UrlAnnotationSource,
    UserMessageItem,
    WidgetItem,
)
from chatkit_tui.core.export import export_thread, to_json
from chatkit_tui.core.paths import default_export_dir, safe_filename
from chatkit_tui.core.transcript import (
    code_span,
    contain_markdown,
    escape_text,
    fenced,
    to_markdown,
)

MD = MarkdownIt("commonmark")
UNKNOWN_RAW = b'{"type":"chatkit.future_thing","id":"it_7","created_at":1700000007,"x":[1,2]}'


def thread(**kw: object) -> Thread:
    base: dict[str, object] = {
        "id": "cthr_1",
        "created_at": 1700000000,
        "user": "alice",
        "title": "Refund request",
        "status": LockedStatus(reason="abuse"),
    }
    base.update(kw)
    return Thread(**base)  # type: ignore[arg-type]


def every_item() -> list[ThreadItem]:
    common = {"thread_id": "cthr_1"}
    return [
        UserMessageItem(
            id="it_1",
            created_at=1700000001,
            content=[InputText(text="I want a refund"), QuotedText(text="Your order shipped")],
            attachments=[
                Attachment(
                    id="att_1",
                    name="receipt.png",
                    mime_type="image/png",
                    type="image",
                    preview_url="https://files.example/receipt.png",
                )
            ],
            inference_options=InferenceOptions(model="gpt-5", tool_choice=ToolChoice(id="lookup")),
            **common,
        ),
        AssistantMessageItem(
            id="it_2",
            created_at=1700000002,
            content=[
                OutputText(
                    text="Sure, **here** is the policy.",
                    annotations=[
                        FileAnnotation(source=FileAnnotationSource(filename="policy.pdf")),
                        UrlAnnotation(source=UrlAnnotationSource(url="https://example.com/p")),
                    ],
                )
            ],
            **common,
        ),
        WidgetItem(id="it_3", created_at=1700000003, widget='{"type":"Card","n":1}', **common),
        ClientToolCallItem(
            id="it_4",
            created_at=1700000004,
            status="completed",
            call_id="call_9",
            name="lookup_order",
            arguments='{"order": 42}',
            output="not json",
            **common,
        ),
        TaskItem(
            id="it_5",
            created_at=1700000005,
            task_type="thought",
            heading="Checking",
            summary="Order 42 shipped",
            **common,
        ),
        TaskGroupItem(
            id="it_6",
            created_at=1700000006,
            tasks=[TaskGroupTask(type="custom", heading="Step A", summary="done")],
            **common,
        ),
        decode_item(UNKNOWN_RAW),
    ]


def headings(markdown: str) -> list[tuple[str, str]]:
    tokens = MD.parse(markdown)
    out: list[tuple[str, str]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inline: Token = tokens[i + 1]
            out.append((token.tag, inline.content))
    return out


def fences(markdown: str) -> list[tuple[str, str]]:
    return [(t.info, t.content) for t in MD.parse(markdown) if t.type in ("fence", "code_block")]


def rendered_text(markdown: str) -> str:
    return MD.render(markdown)


# --- JSON ------------------------------------------------------------------------------------


def test_json_has_thread_and_items_as_sent() -> None:
    doc = json.loads(to_json(thread(), every_item()))
    assert doc["thread"]["id"] == "cthr_1"
    assert doc["thread"]["status"] == {"type": "locked", "reason": "abuse"}
    assert [i["type"] for i in doc["items"]] == [
        "chatkit.user_message",
        "chatkit.assistant_message",
        "chatkit.widget",
        "chatkit.client_tool_call",
        "chatkit.task",
        "chatkit.task_group",
        "chatkit.future_thing",
    ]
    # the unknown item is written back exactly as the server sent it
    assert doc["items"][6] == json.loads(UNKNOWN_RAW)
    assert doc["items"][0]["content"][1] == {"type": "quoted_text", "text": "Your order shipped"}


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_has_one_heading_per_item_in_order() -> None:
    md = to_markdown(thread(), every_item())
    found = headings(md)
    assert found[0] == ("h1", "Refund request")
    labels = [content.split(" · ")[0] for tag, content in found[1:] if tag == "h2"]
    assert labels == [
        "1. User",
        "2. Assistant",
        "3. Widget",
        "4. Tool call `lookup_order`",
        "5. Task",
        "6. Task group (1 task)",
        "7. Unknown item",
    ]
    assert len(found) == 8
    assert "`it_4`" in found[4][1]


def test_markdown_contents_of_each_item() -> None:
    md = to_markdown(thread(), every_item())
    html = rendered_text(md)
    assert "<li>Status: locked (abuse)</li>" in html
    assert "<p>I want a refund</p>" in html
    assert "<blockquote>\n<p>Your order shipped</p>\n</blockquote>" in html
    assert "receipt.png (image/png, image, id <code>att_1</code>)" in html
    assert '<a href="https://files.example/receipt.png">' in html
    assert "model <code>gpt-5</code>, tool choice <code>lookup</code>" in html
    assert "<strong>here</strong>" in html  # assistant text stays Markdown
    # annotations as numbered references
    assert '<ol>\n<li>file policy.pdf</li>\n<li><a href="https://example.com/p">' in html
    blocks = fences(md)
    assert ("json", '{\n  "type": "Card",\n  "n": 1\n}\n') in blocks
    assert ("json", '{\n  "order": 42\n}\n') in blocks
    assert ("text", "not json\n") in blocks  # output that is not JSON is shown raw
    assert ("text", "kind: thought\nheading: Checking\nsummary: Order 42 shipped\n") in blocks
    assert ("text", "kind: custom\nheading: Step A\nsummary: done\n") in blocks
    unknown = [content for _info, content in blocks if '"chatkit.future_thing"' in content]
    assert len(unknown) == 1 and json.loads(unknown[0]) == json.loads(UNKNOWN_RAW)
    assert "<li>Status: completed</li>" in html
    assert "<li>Call id: <code>call_9</code></li>" in html


def test_hostile_text_cannot_break_the_structure() -> None:
    hostile = (
        "# Injected heading\n"
        "```\n"
        "<!-- swallow everything\n"
        "<script>alert(1)</script>\n"
        "    indented code?\n"
        "- list\n"
        "1. numbered\n"
        "> quote\n"
        "===\n"
        "[link](javascript:alert(1)) *em* \x1b[31mred\x1b[0m"
    )
    t = thread(title="# Title\n## with [markup] and `ticks`", user="bob\n# x")
    items: list[ThreadItem] = [
        UserMessageItem(id="u", created_at=1, thread_id="t", content=[InputText(text=hostile)]),
        UserMessageItem(id="q", created_at=2, thread_id="t", content=[QuotedText(text=hostile)]),
        AssistantMessageItem(
            id="a", created_at=3, thread_id="t", content=[OutputText(text=hostile)]
        ),
        WidgetItem(id="w", created_at=4, thread_id="t", widget="````\n```" + hostile),
        TaskItem(id="k", created_at=5, thread_id="t", task_type="custom", summary=hostile),
    ]
    md = to_markdown(t, items)
    found = headings(md)
    # only the exporter's headings at levels 1 and 2; the assistant's is demoted to h4
    assert [tag for tag, _ in found if tag in ("h1", "h2")] == ["h1", "h2", "h2", "h2", "h2", "h2"]
    assert found[0][0] == "h1"
    assert MD.renderInline(found[0][1]) == "# Title ## with [markup] and `ticks`"
    assert ("h4", "Injected heading") in found
    html = rendered_text(md)
    assert "<script>" not in html
    assert "<!--" not in html or "&lt;!--" in html
    assert 'href="javascript' not in html
    assert "\x1b" not in md  # control characters made visible
    assert "\u241b[31mred" in md
    # the widget's fence holds all of its content, backticks and all
    widget_blocks = [c for _info, c in fences(md) if c.startswith("````\n```")]
    assert len(widget_blocks) == 1
    assert widget_blocks[0].rstrip("\n").endswith("\u241b[0m")
    # the user's text renders literally: list/quote/heading markers are text, not blocks
    user_html = rendered_text(to_markdown(t, items[:1]))
    assert "<li>" not in user_html.split("</h2>", 1)[1]
    assert "<pre>" not in user_html
    assert "# Injected heading" in user_html


def test_unclosed_fence_in_assistant_text_is_closed() -> None:
    items: list[ThreadItem] = [
        AssistantMessageItem(
            id="a", created_at=1, thread_id="t", content=[OutputText(text="```py\nprint(1)")]
        ),
        UserMessageItem(id="u", created_at=2, thread_id="t", content=[InputText(text="after")]),
    ]
    md = to_markdown(thread(), items)
    assert [tag for tag, _ in headings(md)] == ["h1", "h2", "h2"]
    assert ("py", "print(1)\n") in fences(md)


def test_untitled_thread() -> None:
    assert headings(to_markdown(thread(title=None), []))[0] == ("h1", "Untitled")


# --- helpers --------------------------------------------------------------------------------------


def test_fenced_uses_a_longer_fence() -> None:
    assert fenced("a ``` b\n`````") == "``````\na ``` b\n`````\n``````"
    assert fenced("plain", "json") == "```json\nplain\n```"


def test_code_span_survives_backticks() -> None:
    assert MD.renderInline(code_span("a`b")) == "<code>a`b</code>"
    assert MD.renderInline(code_span("`x`")) == "<code>`x`</code>"


def test_escape_text_keeps_line_breaks_and_indentation() -> None:
    html = MD.render(escape_text("one\n  two\n\nthree"))
    assert html == "<p>one<br />\n\u00a0\u00a0two</p>\n<p>three</p>\n"


def test_contain_markdown_leaves_ordinary_markdown_alone() -> None:
    text = "Some *em*\n\n- a\n- b\n\n```\ncode\n```"
    assert contain_markdown(text) == text


def test_safe_filename() -> None:
    assert safe_filename("cthr_abc") == "cthr_abc"
    assert safe_filename("../../etc/passwd") == "_.._etc_passwd"
    assert "/" not in safe_filename("a/b") and safe_filename("") == "thread"


# --- files --------------------------------------------------------------------------------------


def test_export_writes_both_files_to_the_default_directory() -> None:
    paths = export_thread(thread(), every_item())
    assert paths.json == default_export_dir() / "cthr_1.json"
    assert paths.markdown == default_export_dir() / "cthr_1.md"
    assert str(paths.json).startswith(os.environ["XDG_DATA_HOME"])
    assert json.loads(paths.json.read_text())["thread"]["id"] == "cthr_1"
    assert paths.markdown.read_text().startswith("# Refund request\n")
    assert not [p for p in paths.json.parent.iterdir() if p.name.endswith(".tmp")]


def test_export_to_a_directory_with_an_unsafe_id(tmp_path: Path) -> None:
    paths = export_thread(thread(id="../evil"), [], tmp_path / "out")
    assert paths.json.parent == tmp_path / "out"
    assert paths.json.name == "_evil.json"


def test_assistant_raw_html_and_setext_are_neutralised() -> None:
    text = "Intro\n<!-- swallow the rest\n<script>alert(1)</script>\n\nTitle?\n===\nend"
    items: list[ThreadItem] = [
        AssistantMessageItem(id="a", created_at=1, thread_id="t", content=[OutputText(text=text)]),
        UserMessageItem(id="u", created_at=2, thread_id="t", content=[InputText(text="after")]),
    ]
    md = to_markdown(thread(), items)
    html = rendered_text(md)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;!-- swallow the rest" in html
    assert [tag for tag, _ in headings(md)] == ["h1", "h2", "h2"]
    assert "<p>after</p>" in html


BIDI = "\u202e\u2066\u2067\u2068\u2069\u061c\u200e\u200f\u202a\u202b\u202c\u202d"


def test_bidi_controls_in_message_bodies_are_shown_not_passed_on(tmp_path: Path) -> None:
    """No ESC here: a body left raw would pass a check for escape sequences. Each of the
    user's text, a quote and the assistant's Markdown has its own bidi controls."""
    items: list[ThreadItem] = [
        UserMessageItem(
            id="u",
            created_at=1,
            thread_id="t",
            content=[
                InputText(text="refund to \u202eexe.fdp\u202c please"),
                QuotedText(text="quoted \u2066iso\u2069 text"),
            ],
        ),
        AssistantMessageItem(
            id="a",
            created_at=2,
            thread_id="t",
            content=[OutputText(text="**sure** \u202eevil\u202c and \u061calm \u2067rtl\u2069")],
        ),
    ]
    paths = export_thread(thread(title="plain", user="plain"), items, tmp_path)
    md = paths.markdown.read_text(encoding="utf-8")
    assert [c for c in md if c in BIDI] == []
    assert "\x1b" not in md and "\u241b" not in md  # (the bodies had no ESC)
    # plain text escapes the angle brackets; the assistant's Markdown is kept as written
    assert "refund to \\<U+202E\\>exe.fdp\\<U+202C\\> please" in md  # the user's text
    assert "quoted \\<U+2066\\>iso\\<U+2069\\> text" in md  # the quote
    assert "**sure** <U+202E>evil<U+202C> and <U+061C>alm <U+2067>rtl<U+2069>" in md
    html = rendered_text(md)  # what a reader sees
    assert "<p>refund to &lt;U+202E&gt;exe.fdp&lt;U+202C&gt; please</p>" in html
    assert "<p>quoted &lt;U+2066&gt;iso&lt;U+2069&gt; text</p>" in html
    assert "<strong>sure</strong> &lt;U+202E&gt;evil&lt;U+202C&gt; and &lt;U+061C&gt;alm" in html
