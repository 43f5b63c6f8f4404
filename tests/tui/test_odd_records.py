"""The app against a deployment that sends what the spec does not say: every thread is
listed (the ones that do not decode too, as unreadable rows), every item is shown (in a
look of its own, or raw), and an unreadable thread with an id can be deleted."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
from chatkit_tui.tui.threads.render_items import render_item
from chatkit_tui.tui.threads.thread_view import ItemView
from tests.fixtures.odd import RICH, THREADS, UNREADABLE, rich_items, serve_odd_deployment
from tests.fixtures.scripted import ScriptedServer
from tests.tui.helpers import loaded, make_app, notifications, view_done, wait_for
from tests.tui.test_render import plain


def archives(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


async def test_every_thread_is_listed_and_every_item_shown(
    scripted_server: ScriptedServer,
) -> None:
    serve_odd_deployment(scripted_server)
    app = make_app(scripted_server, thread_page_size=3)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await loaded(pilot, app)
        await wait_for(pilot, lambda: len(tl.threads) == len(THREADS), what="all threads")
        assert [t.id for t in tl.threads] == [t.get("id") for t in THREADS]
        rows = ["".join(s.text for s in tl.render_line(y)) for y in range(len(THREADS))]
        assert "archi…" in rows[1]  # the unknown status, as sent
        assert "Broken <U+202E>eulav" in rows[2] and "cthr_odd_unre" in rows[2]
        assert "Unreadable thread" in rows[3] and "(no id)" in rows[3]
        await pilot.press("enter")
        view = await view_done(pilot, app, RICH)
        kinds = [next(c for c in v.classes if c.startswith("-")) for v in view.query(ItemView)]
        assert kinds == [
            "-user", "-assistant", "-widget", "-tool", "-workflow", "-image", "-input",
            "-hidden", "-hidden", "-end-of-turn", "-unknown",
        ]  # fmt: skip
        assert len(kinds) == len(rich_items())
        shown = "\n".join(plain(render_item(v.item)) for v in view.query(ItemView))
        for words in ("WORKFLOW", "GENERATED IMAGE", "STRUCTURED INPUT", "HIDDEN CONTEXT"):
            assert words in shown
        for raw in ("input_audio", "output_refusal", "footnote", "hologram", "teleport"):
            assert raw in shown  # the pieces nobody knows, shown raw in place


async def test_an_unreadable_thread_shows_its_json_and_can_be_deleted(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    deployment = serve_odd_deployment(scripted_server)
    app = make_app(scripted_server, archive_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await loaded(pilot, app)
        assert tl.select_thread(UNREADABLE)
        await pilot.press("enter")
        view = await view_done(pilot, app, UNREADABLE)
        header = str(view.query_one("#view-header", Static).render())
        assert "did not decode" in header and '"created_at": "yesterday"' in header
        assert "<U+202E>" in header  # its title's bidi control, visible
        await pilot.press("escape", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDeleteScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: deployment.deleted == [UNREADABLE], what="the DELETE")
        (archive,) = archives(tmp_path)
        assert json.loads(archive.read_text(encoding="utf-8"))["thread"] == THREADS[2]


async def test_a_thread_without_an_id_is_neither_deleted_nor_marked(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    deployment = serve_odd_deployment(scripted_server)
    app = make_app(scripted_server, archive_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tl = await loaded(pilot, app)
        await pilot.press("j", "j", "j")
        assert tl.current is not None and tl.current.id is None
        await pilot.press("d")
        await wait_for(pilot, lambda: any("no id" in m for m in notifications(app)))
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("space")
        assert not tl.marked
        assert deployment.deleted == [] and not archives(tmp_path)
