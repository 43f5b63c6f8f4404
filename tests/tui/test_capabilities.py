"""What the app offers follows the deployment's capabilities (and read-only mode), decided
in one place (tui/keys/offered.py) and asked by the footer, the keys, the help and the
palette: a mirror file read in process (no deletes, no sessions; a user filter), and the
hosted API (everything) next to it. The chatkit-python server: tests/tui/selfhosted/."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from chatkit_tui.backends.chatkit_python import CHATKIT_PYTHON
from chatkit_tui.backends.mirror import MIRROR
from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.client.deployment import HOSTED
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.dialogs.help import HelpScreen
from chatkit_tui.tui.keys.offered import DESTRUCTIVE, Offer
from chatkit_tui.tui.keys.registry import all_binding_ids, help_sections
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.user_filter import UserFilterScreen
from tests.fixtures.mirror_file import fill_mirror
from tests.tui.helpers import (
    active_keys,
    deployment_app,
    make_app,
    notifications,
    screen_text,
    settled,
    wait_for,
)


def helped(**kw: object) -> set[str]:
    return {row[2] for _, rows in help_sections({}, **kw) for row in rows}  # type: ignore[arg-type]


def test_one_place_says_what_each_deployment_offers() -> None:
    every = all_binding_ids() - {"help.close"}  # the help screen's own: not in its tables
    assert helped(read_only=False) == every  # the hosted API: everything
    gone = every - helped(read_only=True)  # and the tables of the dialogs they open
    assert DESTRUCTIVE & every <= gone and "main.sessions" not in gone
    assert {i for i in gone if i.startswith("main.")} == {i for i in DESTRUCTIVE if "main." in i}
    gone = every - helped(read_only=False, capabilities=CHATKIT_PYTHON)
    assert gone == {i for i in every if i.startswith(("sessions.", "cancel_session."))} | {
        "main.sessions",
        "main.user_filter",
        "user_filter.cancel",
    }
    gone = every - helped(read_only=True, capabilities=MIRROR)  # the app makes a copy read-only
    assert "main.user_filter" not in gone and "user_filter.cancel" not in gone
    assert {"main.delete", "main.bulk_delete", "main.mark_by_rule", "main.sessions"} <= gone
    for binding_id in every:  # help and keys ask the same question
        assert Offer(CHATKIT_PYTHON).allows(binding_id) == (
            binding_id in helped(read_only=False, capabilities=CHATKIT_PYTHON)
        )
    assert Offer(HOSTED).left_out() is None
    assert Offer(MIRROR, read_only=True).left_out() == (
        "a mirror deployment cannot create or cancel sessions: those keys are left out"
    )


async def test_the_app_on_a_mirror_file_lists_it_and_has_no_delete_or_sessions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "copy.sqlite3"
    fill_mirror(path, 30)
    app = deployment_app(MirrorDeployment.open(path))
    async with app.run_test(size=(120, 80)) as pilot:
        tl = await settled(pilot, app)
        assert len(tl.threads) == 30 and tl.threads[0].title == "Thread number 29"
        top = screen_text(app).splitlines()[0]
        assert "READ-ONLY" in top and "mirror · http://origin.invalid/v1" in top
        keys = active_keys(app)
        assert "u" in keys  # a mirror filters by user
        assert not {"d", "D", "M", "s"} & set(keys)
        for key in ("d", "D", "M", "s"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert isinstance(app.screen, MainScreen), key
        assert notifications(app) == []

        await pilot.press("u")  # offered, and works on the file
        await wait_for(pilot, lambda: isinstance(app.screen, UserFilterScreen))
        await pilot.press(*"user_3", "enter")
        await wait_for(pilot, lambda: len(tl.threads) == 4 and not tl.fetching)
        assert {t.user for t in tl.threads} == {"user_3"}

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await wait_for(pilot, lambda: "app.quit" in screen_text(app), what="the help")
        text = " ".join(screen_text(app).split())
        assert "main.user_filter" in text
        for gone in ("main.delete", "main.bulk_delete", "main.sessions", "Session panel"):
            assert gone not in text, gone
        assert "Read-only mode" in text and "cannot create or cancel sessions" in text
        await pilot.press("escape")

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_for(pilot, lambda: "Refresh threads" in screen_text(app), what="the hits")
        palette = screen_text(app)
        assert "Set user filter" in palette
        assert "Sessions…" not in palette and "Mark threads" not in palette


async def test_a_mirror_keeps_the_label_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite3"
    fill_mirror(path, 3)
    app = deployment_app(MirrorDeployment.open(path), endpoint_label="mirror copy.sqlite3")
    async with app.run_test(size=(100, 24)) as pilot:
        await settled(pilot, app)
        assert "mirror copy.sqlite3" in screen_text(app).splitlines()[0]


async def test_the_hosted_api_offers_every_key(local_server: BackgroundServer) -> None:
    app = make_app(local_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot, app)
        keys = active_keys(app)
        assert {"d", "D", "M", "s", "u"} <= set(keys)
        assert "User" in screen_text(app).splitlines()[1]  # the list's user column
