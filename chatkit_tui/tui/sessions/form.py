"""The session form: every field of a new session, validated before anything is sent.

Validation is :func:`chatkit_tui.core.session_params.build_session_body` (shared with
``chatkit-tui sessions create``): every problem is shown at once, under its field. Only a
valid form posts :class:`SessionForm.Submitted`; the screen sends the request. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from chatkit_tui.client.models import CreateSessionBody
from chatkit_tui.core.session_params import (
    MAX_EXPIRES_AFTER,
    MAX_FILE_SIZE_MB,
    SessionFields,
    SessionParamsError,
    build_session_body,
)


@dataclass(frozen=True)
class Field:
    name: str  # the SessionFields attribute (and the key of SessionParamsError.errors)
    label: str
    kind: str  # "text", "lines" or "switch"
    hint: str = ""  # placeholder (text fields) or the switch's default
    default: bool = False  # switches: the server's default


FIELDS: tuple[Field, ...] = (
    Field("user", "User *", "text", "the end user, e.g. user_123"),
    Field("workflow", "Workflow id *", "text", "wf_…"),
    Field("version", "Version", "text", "latest deployed"),
    Field(
        "state",
        "State variables",
        "lines",
        'key = value, one a line; true/false and numbers typed, "quoted" stays text',
    ),
    Field("tracing", "Tracing", "switch", default=True),
    Field("expires_after", "Expires after", "text", f"seconds, 1-{MAX_EXPIRES_AFTER} (600)"),
    Field("rpm", "Requests/min", "text", "at least 1 (10)"),
    Field("titling", "Auto titling", "switch", default=True),
    Field("file_upload", "File upload", "switch", default=False),
    Field("max_files", "  max files", "text", "at least 1 (10)"),
    Field("max_file_size", "  max size MB", "text", f"1-{MAX_FILE_SIZE_MB} ({MAX_FILE_SIZE_MB})"),
    Field("history", "History", "switch", default=True),
    Field("recent_threads", "  recent threads", "text", "at least 1 (all)"),
)
LABELS = {f.name: f.label.strip(" *") for f in FIELDS}


def error_text(name: str, message: str) -> str:
    """``User is required`` / ``State variables: line 2: ...``."""
    label = LABELS.get(name, name)
    joiner = " " if message.startswith(("is ", "must ")) else ": "
    return f"{label}{joiner}{message}"


def on_off(value: bool) -> str:
    return "on" if value else "off"


class SessionForm(VerticalScroll):
    """Scrolls at 80x24; tab moves between fields, enter in a text field moves on too."""

    @dataclass
    class Submitted(Message):
        """The form is valid: ``body`` is what to send."""

        form: SessionForm
        body: CreateSessionBody

        @property
        def control(self) -> SessionForm:
            return self.form

    def __init__(self, draft: SessionFields | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.draft = draft or SessionFields()
        self.busy = False

    def compose(self) -> ComposeResult:
        draft = self.draft
        yield Static(
            Text("New session", style="bold").append(
                "  * required · an empty field gets the default in ( )",
                style="dim",
            ),
            id="form-title",
        )
        for f in FIELDS:
            with Horizontal(classes="form-row", id=f"row-{f.name}"):
                yield Label(Text(f.label), classes="form-label")
                yield from self._control(f, draft)
            yield Static("", classes="form-error", id=f"error-{f.name}")
        with Horizontal(id="form-actions"):
            yield Button("Create (ctrl+s)", id="form-create", variant="primary", compact=True)
            yield Static("", id="form-status")

    def _control(self, f: Field, draft: SessionFields) -> Iterator[Widget]:
        value = getattr(draft, f.name)
        if f.kind == "switch":
            checked = f.default if value is None else bool(value)
            yield Checkbox(on_off(checked), checked, compact=True, id=f"field-{f.name}")
        elif f.kind == "lines":
            text = value if isinstance(value, str) else "\n".join(value)
            yield TextArea(
                text, compact=True, placeholder=f.hint, soft_wrap=True, id=f"field-{f.name}"
            )
        else:
            yield Input(str(value), placeholder=f.hint, compact=True, id=f"field-{f.name}")

    # --- values --------------------------------------------------------------------------------

    def control(self, name: str) -> Widget:
        return self.query_one(f"#field-{name}")

    def fields(self) -> SessionFields:
        """The form as typed (switches always explicit: what is shown is what is sent)."""

        def text(name: str) -> str:
            return self.query_one(f"#field-{name}", Input).value

        def switch(name: str) -> bool:
            return self.query_one(f"#field-{name}", Checkbox).value

        return SessionFields(
            user=text("user"),
            workflow=text("workflow"),
            version=text("version"),
            state=self.query_one("#field-state", TextArea).text,
            tracing=switch("tracing"),
            expires_after=text("expires_after"),
            rpm=text("rpm"),
            titling=switch("titling"),
            file_upload=switch("file_upload"),
            max_files=text("max_files"),
            max_file_size=text("max_file_size"),
            history=switch("history"),
            recent_threads=text("recent_threads"),
        )

    @on(Checkbox.Changed)
    def _switched(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = on_off(event.value)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#form-create")
    def _create_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    # --- validation ----------------------------------------------------------------------------

    def submit(self) -> bool:
        """Validate; post :class:`Submitted` if valid. False (and messages shown) if not."""
        if self.busy:
            return False
        try:
            body = build_session_body(self.fields())
        except SessionParamsError as exc:
            self.show_errors(exc.errors)
            return False
        self.show_errors({})
        self.post_message(self.Submitted(self, body))
        return True

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the first invalid field gets the focus."""
        first: Widget | None = None
        for f in FIELDS:
            message = errors.get(f.name)
            error = self.query_one(f"#error-{f.name}", Static)
            row = self.query_one(f"#row-{f.name}")
            error.update(Text("✗ " + error_text(f.name, message)) if message else "")
            error.set_class(message is not None, "-shown")
            row.set_class(message is not None, "-invalid")
            if message is not None and first is None:
                first = self.control(f.name)
        unknown = [error_text(k, v) for k, v in errors.items() if k not in LABELS]
        if errors:
            count = len(errors)
            status = Text(
                f"Not sent: {count} field{'' if count == 1 else 's'} to fix", style="bold"
            )
            for line in unknown:
                status.append("\n" + line)
            self.show_status(status, error=True)
        else:
            self.show_status(Text(""))
        if first is not None:
            first.focus()
            self.scroll_to_widget(first, animate=False)

    def show_status(self, text: Text, *, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#form-create", Button).disabled = busy
        if busy:
            self.show_status(Text("Creating…", style="italic"))
