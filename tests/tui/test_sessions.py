"""The session panel (s): create (valid, every invalid field, server errors), every field of
the answer, the masked secret, the countdown, cancel (confirmed, declined, failing), read-only.

Real HTTP to the local server; the app's and the server's clocks are the same settable clock.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from rich.console import Console
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static, TextArea

from chatkit_tui.client import AsyncChatKit
from chatkit_tui.client.models import ChatSession, WorkflowParam
from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.app import ChatKitApp
from chatkit_tui.tui.render_sessions import MASK
from chatkit_tui.tui.screens.help import HelpScreen, help_sections
from chatkit_tui.tui.screens.session_cancel import ConfirmCancelSessionScreen
from chatkit_tui.tui.screens.sessions import SessionScreen
from chatkit_tui.tui.widgets.session_form import SessionForm
from tests.tui.helpers import FIXED_NOW, loaded, notifications, screen_text, wait_for


class Clock:
    def __init__(self, t: float = FIXED_NOW) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def session_app(
    server: BackgroundServer, clock: Clock | None = None, *, read_only: bool = False
) -> ChatKitApp:
    clock = clock or Clock()
    server.store.clock = clock  # the server stamps expires_at with the same time
    client = AsyncChatKit(api_key="test-key", base_url=server.base_url, max_retries=0)
    return ChatKitApp(client, endpoint_label="local test server", read_only=read_only, now=clock)


async def open_panel(pilot: Pilot[None], app: ChatKitApp) -> SessionScreen:
    await loaded(pilot, app)
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="session panel")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SessionScreen)
    return screen


def fill(form: SessionForm, **values: str | bool) -> None:
    for name, value in values.items():
        widget = form.control(name)
        if isinstance(widget, Checkbox):
            assert isinstance(value, bool)
            widget.value = value
        elif isinstance(widget, TextArea):
            assert isinstance(value, str)
            widget.text = value
        else:
            assert isinstance(widget, Input) and isinstance(value, str)
            widget.value = value


def detail_text(screen: SessionScreen) -> str:
    """The detail view as rendered (on a wide console: no wrapping to undo)."""
    content = screen.detail.query_one("#session-detail-body", Static).content
    console = Console(width=300, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def error_of(form: SessionForm, name: str) -> str:
    error = form.query_one(f"#error-{name}", Static)
    if not error.display:
        return ""
    content = error.content
    return content.plain if isinstance(content, Text) else str(content)


def form_status(form: SessionForm) -> str:
    content = form.query_one("#form-status", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def create(pilot: Pilot[None], app: ChatKitApp, screen: SessionScreen, **values: str | bool):  # type: ignore[no-untyped-def]
    """Fill the form (user and workflow by default), ctrl+s, wait for the session."""
    before = len(app.session_book)
    fill(screen.form, **({"user": "user_1", "workflow": "wf_1"} | values))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: len(app.session_book) > before, what="created session")
    await pilot.pause()
    return app.session_book.sessions[-1]


async def test_create_by_keyboard_at_80x24_shows_every_field_and_masks_the_secret(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_panel(pilot, app)
        assert screen.showing_form and app.focused is screen.form.control("user")
        await pilot.press(*"u42", "tab", *"wf_s", "tab", *"1.2", "tab")
        await pilot.press(*'p = "x"', "enter", *"v = true", "enter", *"n = 12")
        await pilot.press("tab", "space")  # tracing: on -> off
        await pilot.press("tab", *"120", "tab", *"30", "tab", "space")  # titling -> off
        await pilot.press("tab", "space", "tab", "3", "tab", *"20")  # file upload on
        await pilot.press("tab", "tab", "5")  # history stays on, 5 recent threads
        assert screen.form.control("recent_threads").has_focus
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "form-create"
        assert "Create" in screen_text(app)  # reachable on screen at 80x24
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.session_book) == 1, what="session")
        await pilot.pause()

        session = app.session_book.sessions[0]
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.client_secret == session.client_secret
        assert stored.workflow.state_variables == {"p": "x", "v": True, "n": 12}
        assert stored.workflow.version == "1.2" and stored.workflow.tracing.enabled is False
        assert stored.expires_at == FIXED_NOW + 120
        config = stored.chatkit_configuration
        assert config.automatic_thread_titling.enabled is False
        assert (config.file_upload.enabled, config.file_upload.max_files) == (True, 3)
        assert config.file_upload.max_file_size == 20
        assert (config.history.enabled, config.history.recent_threads) == (True, 5)

        text = detail_text(screen)
        for expected in (
            session.id,
            "status  active",
            "user  u42",
            "in 2:00",
            "per minute  30 requests",
            "id  wf_s",
            "version  1.2",
            "tracing  off",
            'p = "x"',
            "v = true",
            "n = 12",
            "auto titling  off",
            "file upload  on  max files 3, max size 20 MB",
            "history  on  recent threads 5",
            MASK + session.client_secret[-4:],
        ):
            assert expected in text, expected
        assert session.client_secret not in text
        assert session.client_secret not in screen_text(app)
        assert app.focused is screen.session_list
        assert "Session created" in "".join(n.title for n in app._notifications)


async def test_reveal_and_copy_the_secret(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen)
        secret = session.client_secret
        assert secret not in screen_text(app) and MASK in screen_text(app)
        await pilot.press("v")
        await pilot.pause()
        assert secret in screen_text(app)
        await pilot.press("v")
        await pilot.pause()
        assert secret not in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == secret
        assert any("copied" in m for m in notifications(app))
        assert all(secret not in m for m in notifications(app))
        assert secret not in screen_text(app)


# (field values, field, message shown under it); other fields valid
INVALID: list[tuple[dict[str, str | bool], str, str]] = [
    ({"user": "  "}, "user", "User is required"),
    ({"workflow": ""}, "workflow", "Workflow id is required"),
    ({"workflow": "wf 1"}, "workflow", "Workflow id must not contain spaces"),
    ({"state": "novalue"}, "state", "State variables: line 1: expected key = value"),
    ({"state": "a = 1\na = 2"}, "state", "line 2: 'a' is given twice"),
    ({"state": " = 1"}, "state", "line 1: the key is empty"),
    ({"expires_after": "ten"}, "expires_after", "Expires after must be a whole number"),
    ({"expires_after": "601"}, "expires_after", "must be between 1 and 600, got 601"),
    ({"rpm": "0"}, "rpm", "Requests/min must be at least 1, got 0"),
    ({"max_files": "2.5", "file_upload": True}, "max_files", "max files must be a whole number"),
    ({"max_file_size": "513", "file_upload": True}, "max_file_size", "between 1 and 512"),
    ({"recent_threads": "-1"}, "recent_threads", "recent threads must be at least 1"),
    ({"max_files": "3"}, "file_upload", "File upload: max files / max file size need file upload"),
    ({"history": False, "recent_threads": "4"}, "history", "History: recent threads needs history"),
]
VALID: dict[str, str | bool] = {
    "user": "user_1",
    "workflow": "wf_1",
    "version": "",
    "state": "",
    "expires_after": "",
    "rpm": "",
    "max_files": "",
    "max_file_size": "",
    "recent_threads": "",
    "file_upload": False,
    "history": True,
}


async def test_each_invalid_field_has_its_message_and_sends_nothing(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_panel(pilot, app)
        form = screen.form
        for values, name, message in INVALID:
            fill(form, **(VALID | values))
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert message in error_of(form, name), (name, error_of(form, name))
            others = [f for f in VALID if f != name and error_of(form, f)]
            assert others == [], f"{name}: unexpected errors in {others}"
            assert "Not sent: 1 field to fix" in form_status(form)
            assert app.focused is form.control(name)  # the invalid field gets the focus
            assert form.query_one(f"#row-{name}").has_class("-invalid")
            for field, value in values.items():  # nothing typed is lost
                control = form.control(field)
                if isinstance(control, Input):
                    assert control.value == value
        # every problem at once
        fill(form, **(VALID | {"user": "", "expires_after": "0", "rpm": "x", "state": "?"}))
        await pilot.press("ctrl+s")
        await pilot.pause()
        for name in ("user", "expires_after", "rpm", "state"):
            assert error_of(form, name), name
        assert "Not sent: 4 fields to fix" in form_status(form)
        assert app.focused is form.control("user")
        await pilot.pause(0.1)
        assert local_server.store.count_sessions() == 0  # no request ever reached the server
        assert len(app.session_book) == 0
        # fixed: the messages go and the request is sent
        fill(form, **VALID)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: local_server.store.count_sessions() == 1)
        await wait_for(pilot, lambda: len(app.session_book) == 1)
        assert all(not error_of(form, name) for name in VALID)


async def test_server_error_is_shown_and_the_form_keeps_what_was_typed(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(faults=Faults(error_rate=1.0))
    app = session_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("500" in m for m in notifications(app)))
        await pilot.press("s")  # the thread list failed to load: the panel still opens
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        form = screen.form
        fill(form, user="user_9", workflow="wf_9", state="a = 1", rpm="7")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not created" in form_status(form), what="error shown")
        status = form_status(form)
        assert "500" in status and "request id req_" in status
        assert any("500" in m and "request id" in m for m in notifications(app))
        assert screen.showing_form and not form.busy
        assert form.control("user").value == "user_9"  # type: ignore[attr-defined]
        assert form.query_one("#field-state", TextArea).text == "a = 1"
        assert server.store.count_sessions() == 0 and len(app.session_book) == 0


async def test_unreachable_server_on_create(make_server: Callable[..., BackgroundServer]) -> None:
    server = make_server(seed=3)
    app = session_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_panel(pilot, app)
        server.stop()
        fill(screen.form, user="user_1", workflow="wf_1")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not created" in form_status(screen.form), limit=10)
        assert "Connect" in form_status(screen.form) or "connect" in form_status(screen.form)
        assert screen.form.control("workflow").value == "wf_1"  # type: ignore[attr-defined]


async def test_cancel_confirmed_updates_list_detail_and_server(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        first = await create(pilot, app, screen, user="user_a")
        await pilot.press("n")
        second = await create(pilot, app, screen, user="user_b")
        assert screen.session_list.selected_id == second.id
        await pilot.press("up")  # select the first one
        await pilot.pause()
        assert screen.session_list.selected_id == first.id
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
        dialog = app.screen
        assert dialog.focused is not None and dialog.focused.id == "keep"
        assert first.id in screen_text(app) and "Cancel this session?" in screen_text(app)
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: app.session_book.get(first.id).status == "cancelled",  # type: ignore[union-attr]
        )
        await pilot.pause()
        stored = local_server.store.get_session(first.id)
        assert stored is not None and stored.status == "cancelled"
        other = local_server.store.get_session(second.id)
        assert other is not None and other.status == "active"
        assert "status  cancelled" in detail_text(screen)
        row = screen.session_list.get_option(first.id).prompt
        assert isinstance(row, Text) and row.plain.startswith("cancelled")
        assert any("now cancelled" in m for m in notifications(app))


async def test_cancel_declined_keeps_the_session(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen)
        for key in ("escape", "n", "enter"):  # enter presses the focused button: Keep
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause(0.1)
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "active"
        assert app.session_book.get(session.id) == session
        assert "status  active" in detail_text(screen)


async def _session_elsewhere(server: BackgroundServer) -> ChatSession:
    async with AsyncChatKit(api_key="k", base_url=server.base_url, max_retries=0) as client:
        return await client.sessions.create(user="user_x", workflow=WorkflowParam(id="wf_x"))


@pytest.mark.parametrize("kind", ["404", "500"])
async def test_cancel_failures_are_notified_with_status_and_request_id(
    kind: str, local_server: BackgroundServer, make_server: Callable[..., BackgroundServer]
) -> None:
    # a session the app's server does not know (404), or a server that fails every request
    session = await _session_elsewhere(make_server() if kind == "404" else local_server)
    target = local_server if kind == "404" else make_server(faults=Faults(error_rate=1.0))
    app = session_app(target)
    app.session_book.put(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "main", what="main screen")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert not screen.showing_form and screen.session_list.selected_id == session.id
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelSessionScreen))
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any(session.id in m for m in notifications(app)), what="error"
        )
        message = next(m for m in notifications(app) if session.id in m)
        assert kind in message and "request id req_" in message
        assert app.session_book.get(session.id) == session  # unchanged, still active
        assert app.screen is screen and not screen.pending
        assert "status  active" in detail_text(screen)


async def test_countdown_ticks_and_ends_in_expired(local_server: BackgroundServer) -> None:
    clock = Clock()
    app = session_app(local_server, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen, expires_after="90")
        assert session.expires_at == FIXED_NOW + 90
        assert "in 1:30" in detail_text(screen)
        clock.t += 25
        await wait_for(pilot, lambda: "in 1:05" in detail_text(screen), what="tick")
        row = screen.session_list.get_option(session.id).prompt
        assert isinstance(row, Text) and "1:05" in row.plain
        clock.t += 65  # exactly at expires_at
        await wait_for(pilot, lambda: "expired" in detail_text(screen), what="expired")
        assert "status  active (server said active; expired by now)" in detail_text(screen)
        await wait_for(
            pilot,
            lambda: str(screen.session_list.get_option(session.id).prompt).startswith("expired"),
        )
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "expired"  # the server agrees


async def test_panel_keeps_sessions_and_form_when_closed_and_reopened(
    local_server: BackgroundServer,
) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        session = await create(pilot, app, screen, user="user_keep", rpm="12")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionScreen))
        # the command palette opens it too
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Sessions")
        hits = app.screen.query_one(CommandList)

        def first_hit() -> str:
            option = hits.get_option_at_index(0) if hits.option_count else None
            return str(option.prompt) if option is not None else ""

        await wait_for(pilot, lambda: "Sessions…" in first_hit(), what="palette hit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="reopened")
        assert app.screen is screen
        assert screen.session_list.selected_id == session.id
        assert session.id in detail_text(screen)
        await pilot.press("n")
        assert screen.form.control("user").value == "user_keep"  # type: ignore[attr-defined]
        assert screen.form.control("rpm").value == "12"  # type: ignore[attr-defined]


async def test_api_text_is_shown_literally(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    hostile = "[@click=app.quit]x[/] [bold]b[/bold] \x1b[31mred"
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_panel(pilot, app)
        await create(pilot, app, screen, user=hostile, state='k = "\x07bell"')
        shown = "[@click=app.quit]x[/] [bold]b[/bold] ␛[31mred"
        assert f"user  {shown}" in detail_text(screen)
        row = screen.session_list.get_option(screen.session_list.selected_id or "").prompt
        assert isinstance(row, Text) and shown in row.plain
        assert "[@click=app.quit]x[/]" in screen_text(app)
        assert "\x1b" not in detail_text(screen)
        assert 'k = "\\u0007bell"' in detail_text(screen)
        assert app.is_running


async def test_read_only_hides_create_and_cancel(local_server: BackgroundServer) -> None:
    session = await _session_elsewhere(local_server)
    app = session_app(local_server, read_only=True)
    app.session_book.put(session)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_panel(pilot, app)
        assert not screen.query(SessionForm)  # no form at all
        assert session.id in detail_text(screen)
        text = screen_text(app)
        assert "Reveal" in text and "Cancel" not in text and "New" not in text
        for key in ("n", "ctrl+s", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        assert not screen.showing_form
        stored = local_server.store.get_session(session.id)
        assert stored is not None and stored.status == "active"
        assert screen.check_action("cancel_session", ()) is False
        assert screen.check_action("new", ()) is False
        assert screen.check_action("create", ()) is False
        ids = {row[2] for _, rows in help_sections({}, read_only=True) for row in rows}
        assert "sessions.reveal" in ids and "sessions.copy_secret" in ids
        for hidden in ("sessions.new", "sessions.create", "sessions.cancel", "cancel_session.keep"):
            assert hidden not in ids


async def test_help_lists_the_session_bindings(local_server: BackgroundServer) -> None:
    app = session_app(local_server)
    async with app.run_test(size=(100, 120)) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        text = screen_text(app)
        for binding_id in (
            "main.sessions",
            "sessions.close",
            "sessions.new",
            "sessions.create",
            "sessions.cancel",
            "sessions.reveal",
            "sessions.copy_secret",
            "cancel_session.keep",
            "cancel_session.confirm",
        ):
            assert binding_id in text, binding_id


async def test_closing_the_panel_does_not_lose_a_create_under_way(
    make_server: Callable[..., BackgroundServer],
) -> None:
    server = make_server(seed=3, faults=Faults(latency_ms=1500))  # time to close the panel
    app = session_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "main", what="main screen")
        await pilot.press("s")  # (the first page of threads is still on its way)
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), what="panel")
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        fill(screen.form, user="user_1", workflow="wf_1")
        await pilot.press("ctrl+s")
        assert screen.form.busy  # the request is under way
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionScreen))
        assert screen.form.busy and len(app.session_book) == 0  # and still under way
        await wait_for(pilot, lambda: len(app.session_book) == 1, what="created while closed")
        assert server.store.count_sessions() == 1
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen is screen)
        session = app.session_book.sessions[0]
        assert screen.session_list.selected_id == session.id
        assert session.id in detail_text(screen) and not screen.form.busy
