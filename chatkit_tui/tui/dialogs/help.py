"""The help screen: every key binding, as currently mapped (keymap overrides applied).

What it lists comes from :mod:`chatkit_tui.tui.keys.registry` and the key conflicts
from :mod:`chatkit_tui.tui.keys.conflicts`; the app hands both in (this module imports
neither: the registry imports it). Keys are named as the footer names them. Only what is
offered is listed (:mod:`chatkit_tui.tui.keys.offered`): the notes too name no key the
deployment cannot use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from chatkit_tui.tui.keys.labels import key_label
from chatkit_tui.tui.keys.offered import Offer

if TYPE_CHECKING:
    from chatkit_tui.tui.keys.registry import Row


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(
        self,
        sections: Sequence[tuple[str, Sequence[Row]]],
        *,
        read_only: bool,
        offer: Offer | None = None,
        conflicts: Sequence[str] = (),
        lost: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.sections = sections
        self.read_only = read_only
        self.offer = offer if offer is not None else Offer(read_only=read_only)
        self.conflicts = conflicts  # one sentence per remapped key that collides
        self.lost = dict(lost or {})  # binding id -> the keys it lost, and to what

    def compose(self) -> ComposeResult:
        read_only, lost = self.read_only, self.lost
        app: App[Any] = self.app  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        tables: list[Table] = []
        for title, rows in self.sections:
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
                table.add_row(Text(key_label(app, keys)), Text(description), ident)
            tables.append(table)
        notes = Text(
            "\nBinding ids can be remapped in the config file's [keys] table.\n"
            f"ctrl+p: {', '.join(self._palette())}.\n"
            "y copies with OSC 52 (inside tmux: set -s set-clipboard on).\n"
            + (
                "space marks threads, D deletes the marked ones, esc in the list unmarks them."
                if self.offer.deletes
                else "space marks threads, esc in the list unmarks them."
            ),
            style="dim",
        )
        with VerticalScroll(id="help-dialog"):
            title = Text("Keys", style="bold")
            title.append("  (escape closes)", style="dim")
            if read_only:
                title.append("  · Read-only mode: destructive bindings are removed")
            if (left_out := self.offer.left_out()) is not None:
                title.append(f"  · {left_out[0].upper()}{left_out[1:]}")
            yield Static(title, id="help-title")
            if self.conflicts:
                text = Text(
                    "Key conflicts from the config file's [keys] (marked ! below):", style="bold"
                )
                for sentence in self.conflicts:
                    text.append(f"\n• {sentence}", style="")
                yield Static(text, id="help-conflicts")
            for table in tables:
                yield Static(table, classes="help-section")
            yield Static(notes)

    def _palette(self) -> list[str]:
        """What ctrl+p offers, for the notes."""
        offer = self.offer
        return [
            "jump to a thread by id",
            *(["set the user filter"] if offer.user_filter else []),
            "flip the order",
            "refresh",
            "export",
            *(["open the session panel"] if offer.sessions else []),
            "change theme",
        ]

    def action_close(self) -> None:
        self.dismiss(None)
