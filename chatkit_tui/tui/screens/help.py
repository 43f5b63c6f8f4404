"""The help screen: every key binding, as currently mapped (keymap overrides applied)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "escape": "esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "delete": "Del",
}

DESTRUCTIVE = {"main.delete", "confirm.delete", "main.bulk_delete"} | {
    # read-only mode removes creating and cancelling sessions too
    "sessions.new",
    "sessions.create",
    "sessions.cancel",
    "cancel_session.confirm",
}


def key_label(keys: str) -> str:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    return " ".join(_KEY_NAMES.get(k, k) for k in parts)


def binding_rows(
    bindings: Iterable[BindingType], keymap: Mapping[str, str], *, read_only: bool
) -> list[tuple[str, str, str]]:
    """(keys, what it does, binding id) for each binding with an id."""
    rows: list[tuple[str, str, str]] = []
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.id is None:
            continue
        if read_only and binding.id in DESTRUCTIVE:
            continue
        keys = keymap.get(binding.id, binding.key)
        rows.append((key_label(keys), binding.description, binding.id))
    return rows


def help_sections(
    keymap: Mapping[str, str], *, read_only: bool
) -> list[tuple[str, list[tuple[str, str, str]]]]:
    from chatkit_tui.tui.app import ChatKitApp
    from chatkit_tui.tui.screens.confirm import ConfirmCancelSessionScreen, ConfirmDeleteScreen
    from chatkit_tui.tui.screens.main import MainScreen
    from chatkit_tui.tui.screens.sessions import SessionScreen
    from chatkit_tui.tui.screens.user_filter import UserFilterScreen
    from chatkit_tui.tui.widgets.thread_list import ThreadList
    from chatkit_tui.tui.widgets.thread_view import ThreadView

    sections = [
        ("Everywhere", ChatKitApp.BINDINGS),
        ("Main screen", MainScreen.BINDINGS),
        ("Thread list", ThreadList.BINDINGS),
        ("Thread view (arrows, PgUp, PgDn too)", ThreadView.BINDINGS),
    ]
    if not read_only:
        sections.append(("Delete dialog", ConfirmDeleteScreen.BINDINGS))
        sections.extend(_bulk_sections())
    sections.append(("User filter dialog (u)", UserFilterScreen.BINDINGS))
    sections.append(("Session panel (s)", SessionScreen.BINDINGS))
    if not read_only:
        sections.append(("Cancel-session dialog", ConfirmCancelSessionScreen.BINDINGS))
    return [(title, binding_rows(b, keymap, read_only=read_only)) for title, b in sections]


def _bulk_sections() -> list[tuple[str, list[BindingType]]]:
    from chatkit_tui.tui.screens.bulk import BulkDeleteScreen, ConfirmBulkDeleteScreen

    return [
        ("Delete marked: confirmation", ConfirmBulkDeleteScreen.BINDINGS),
        ("Delete marked: progress", BulkDeleteScreen.BINDINGS),
    ]


def all_binding_ids() -> set[str]:
    """Every binding id a keymap may name (read-only mode or not)."""
    ids = {b.id for b in HelpScreen.BINDINGS if isinstance(b, Binding) and b.id}
    for _, rows in help_sections({}, read_only=False):
        ids.update(binding_id for _, _, binding_id in rows)
    return ids


def _lost_keys(keymap: Mapping[str, str]) -> dict[str, str]:
    """Binding id -> a short note on the keys it loses to a remap (see key_conflicts)."""
    from chatkit_tui.tui.key_conflicts import app_contexts, key_conflicts

    winners: dict[str, dict[str, list[str]]] = {}  # loser -> key -> winners
    for conflict in key_conflicts(app_contexts(), keymap) if keymap else []:
        for loser in conflict.losers:
            on_key = winners.setdefault(loser, {}).setdefault(key_label(conflict.key), [])
            on_key.append(conflict.winner)
    return {
        loser: "; ".join(f"{key} → {', '.join(dict.fromkeys(w))}" for key, w in keys.items())
        for loser, keys in winners.items()
    }


def _conflict_text(keymap: Mapping[str, str]) -> Text:
    from chatkit_tui.tui.key_conflicts import app_contexts, key_conflicts

    text = Text("Key conflicts from the config file's [keys] (marked ! below):", style="bold")
    for conflict in key_conflicts(app_contexts(), keymap):
        text.append(f"\n• {conflict.message()}", style="")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        from chatkit_tui.tui.app import ChatKitApp

        app: object = self.app  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        keymap = app.keymap_overrides if isinstance(app, ChatKitApp) else {}
        read_only = app.read_only if isinstance(app, ChatKitApp) else False
        lost = _lost_keys(keymap)
        tables: list[Table] = []
        for title, rows in help_sections(keymap, read_only=read_only):
            table = Table.grid(padding=(0, 2))
            table.title = title
            table.title_style = "bold underline"
            table.title_justify = "left"
            table.add_column(justify="right", style="bold", no_wrap=True, width=14)
            table.add_column(width=14)
            table.add_column(style="dim", no_wrap=True)
            for keys, description, binding_id in rows:
                ident = Text(binding_id)
                if binding_id in lost:
                    ident.append(f"  ! {lost[binding_id]}", style="bold")
                table.add_row(Text(keys), Text(description), ident)
            tables.append(table)
        notes = Text(
            "\nBinding ids can be remapped in the config file's [keys] table.\n"
            "ctrl+p: jump to a thread by id, set the user filter, flip the order, "
            "refresh, export, open the session panel, change theme.\n"
            "y copies with OSC 52 (inside tmux: set -s set-clipboard on).\n"
            "space marks threads, D deletes the marked ones, esc in the list unmarks them.",
            style="dim",
        )
        with VerticalScroll(id="help-dialog"):
            title = Text("Keys", style="bold")
            title.append("  (escape closes)", style="dim")
            if read_only:
                title.append("  · Read-only mode: destructive bindings are removed")
            yield Static(title, id="help-title")
            if lost:
                yield Static(_conflict_text(keymap), id="help-conflicts")
            for table in tables:
                yield Static(table, classes="help-section")
            yield Static(notes)

    def action_close(self) -> None:
        self.dismiss(None)
