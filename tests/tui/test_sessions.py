"""The session panel (s): create with every field (by keyboard at 80x24), each invalid field
(nothing sent), server errors that keep the form, the masked secret, literal API text.

Real HTTP to the local server; the app's and the server's clocks are the same settable clock.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Input, TextArea

from chatkit_tui.server.faults import Faults
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.tui.sessions.render import MASK
from chatkit_tui.tui.sessions.screen import SessionScreen
from tests.tui.helpers import FIXED_NOW, burst, notifications, screen_text, wait_for
from tests.tui.session_helpers import (
    create,
    detail_text,
    error_of,
    fill,
    form_status,
    open_panel,
    session_app,
)


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
        await wait_for(pilot, lambda: len(app.context.session_book) == 1, what="session")
        await pilot.pause()

        session = app.context.session_book.sessions[0]
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


async def test_a_burst_of_keys_across_fields_lands_field_by_field(
    local_server: BackgroundServer,
) -> None:
    """Keys delivered at once (a paste, a fast typist over SSH), tabs among them."""
    app = session_app(local_server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_panel(pilot, app)
        burst(app, *"u42", "tab", *"wf_s", "tab", *"1.2", "shift+tab")
        fields = [
            screen.form.query_one(f"#field-{n}", Input) for n in ("user", "workflow", "version")
        ]
        await wait_for(pilot, lambda: fields[2].value == "1.2" and fields[1].has_focus)
        assert [f.value for f in fields] == ["u42", "wf_s", "1.2"]
        await pilot.pause()  # let the burst's last events drain before the app closes


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
        assert len(app.context.session_book) == 0
        # fixed: the messages go and the request is sent
        fill(form, **VALID)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: local_server.store.count_sessions() == 1)
        await wait_for(pilot, lambda: len(app.context.session_book) == 1)
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
        assert server.store.count_sessions() == 0 and len(app.context.session_book) == 0


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
        assert screen.form.busy and len(app.context.session_book) == 0  # and still under way
        await wait_for(
            pilot, lambda: len(app.context.session_book) == 1, what="created while closed"
        )
        assert server.store.count_sessions() == 1
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen is screen)
        session = app.context.session_book.sessions[0]
        assert screen.session_list.selected_id == session.id
        assert session.id in detail_text(screen) and not screen.form.busy
