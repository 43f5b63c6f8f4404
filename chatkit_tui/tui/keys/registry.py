"""The one registry of the app's screens and their bindings: the help screen lists what it
says, the key-conflict check walks the places it names, and a keymap may name only the
binding ids it holds.

Every binding has an ``id`` (``main.delete``) so that the config file's ``[keys]`` table can
remap it (``App.set_keymap``). This module imports every screen (the app loads it on first
use: help, a keymap from the config file), and none of them imports it. Which bindings are
offered (read-only mode, the deployment's capabilities) is :mod:`.offered`'s to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from chatkit_tui.client.deployment import HOSTED, Capabilities
from chatkit_tui.tui.keys.offered import Offer

# the app's own bindings: everywhere, unless a modal screen is open
APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("question_mark", "help", "Help", id="app.help"),
    Binding("ctrl+p", "command_palette", "Commands", show=False, id="app.command_palette"),
]

Row = tuple[str, str, str]  # (keys as mapped, e.g. "d,delete"; what it does; binding id)


@dataclass(frozen=True)
class Section:
    """One table of the help screen."""

    title: str
    bindings: Sequence[BindingType]
    opened_by: str | None = None
    """The binding that opens this dialog or screen: the table is gone when it is not
    offered (read-only mode, a deployment that cannot)."""
    screen: type[DOMNode] | None = None
    """The screen (one opened from the main screen) whose own keys this table lists: help
    opened there lists it first (the main screen's tables lead the registry already)."""


@dataclass(frozen=True)
class Place:
    """Where a set of binding tables is active at once, innermost (first to try) first.

    Textual walks from the focused widget up to its screen, then the app; a modal screen
    stops the walk (the app's bindings do not reach it)."""

    name: str
    classes: tuple[type[DOMNode], ...]
    app: bool  # the app's bindings come last


def sections() -> list[Section]:
    from chatkit_tui.tui.insights.screen import InsightsScreen
    from chatkit_tui.tui.search.screen import SearchScreen
    from chatkit_tui.tui.sessions.cancel import ConfirmCancelSessionScreen
    from chatkit_tui.tui.sessions.screen import SessionScreen
    from chatkit_tui.tui.threads.bulk import BulkDeleteScreen, ConfirmBulkDeleteScreen
    from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
    from chatkit_tui.tui.threads.main import MainScreen
    from chatkit_tui.tui.threads.mark_by_rule import MarkByRuleScreen
    from chatkit_tui.tui.threads.thread_list import ThreadList
    from chatkit_tui.tui.threads.thread_view import ThreadView
    from chatkit_tui.tui.threads.user_filter import UserFilterScreen

    BULK = "main.bulk_delete"
    return [
        Section("Everywhere", APP_BINDINGS),
        Section("Main screen", MainScreen.BINDINGS),
        Section("Thread list", ThreadList.BINDINGS),
        Section("Thread view (arrows, PgUp, PgDn too)", ThreadView.BINDINGS),
        Section("Delete dialog", ConfirmDeleteScreen.BINDINGS, "main.delete"),
        Section("Delete marked: confirmation", ConfirmBulkDeleteScreen.BINDINGS, BULK),
        Section("Delete marked: progress", BulkDeleteScreen.BINDINGS, BULK),
        Section("Mark by rule dialog (M)", MarkByRuleScreen.BINDINGS, "main.mark_by_rule"),
        Section("User filter dialog (u)", UserFilterScreen.BINDINGS, "main.user_filter"),
        Section("Session panel (s)", SessionScreen.BINDINGS, "main.sessions", SessionScreen),
        Section("Search (ctrl+f)", SearchScreen.BINDINGS, screen=SearchScreen),
        Section("Insights (i)", InsightsScreen.BINDINGS, screen=InsightsScreen),
        Section("Cancel-session dialog", ConfirmCancelSessionScreen.BINDINGS, "sessions.cancel"),
    ]


def places() -> list[Place]:
    """The app's real binding contexts: each screen with the widget that may have the focus."""
    from chatkit_tui.tui.dialogs.help import HelpScreen
    from chatkit_tui.tui.insights.screen import InsightsScreen
    from chatkit_tui.tui.search.screen import SearchScreen
    from chatkit_tui.tui.sessions.cancel import ConfirmCancelSessionScreen
    from chatkit_tui.tui.sessions.screen import SessionScreen
    from chatkit_tui.tui.threads.bulk import BulkDeleteScreen, ConfirmBulkDeleteScreen
    from chatkit_tui.tui.threads.deletes import ConfirmDeleteScreen
    from chatkit_tui.tui.threads.main import MainScreen
    from chatkit_tui.tui.threads.mark_by_rule import MarkByRuleScreen
    from chatkit_tui.tui.threads.thread_list import ThreadList
    from chatkit_tui.tui.threads.thread_view import ThreadView

    return [
        Place("the thread list", (ThreadList, MainScreen), app=True),
        Place("the thread view", (ThreadView, MainScreen), app=True),
        Place("the session panel", (SessionScreen,), app=True),
        Place("the delete dialog", (ConfirmDeleteScreen,), app=False),
        Place("the delete-marked dialog", (ConfirmBulkDeleteScreen,), app=False),
        Place("the delete-marked progress", (BulkDeleteScreen,), app=False),
        Place("the mark-by-rule dialog", (MarkByRuleScreen,), app=False),
        Place("the cancel-session dialog", (ConfirmCancelSessionScreen,), app=False),
        Place("the help screen", (HelpScreen,), app=False),
        Place("the search screen", (SearchScreen,), app=False),
        Place("the insights screen", (InsightsScreen,), app=True),
    ]


def binding_rows(
    bindings: Iterable[BindingType], keymap: Mapping[str, str], *, offer: Offer
) -> list[Row]:
    """(keys, what it does, binding id) for each offered binding with an id, keymap applied."""
    rows: list[Row] = []
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.id is None:
            continue
        if not offer.allows(binding.id):
            continue
        rows.append((keymap.get(binding.id, binding.key), binding.description, binding.id))
    return rows


def help_sections(
    keymap: Mapping[str, str],
    *,
    read_only: bool,
    capabilities: Capabilities = HOSTED,
    screen: type[DOMNode] | None = None,
) -> list[tuple[str, list[Row]]]:
    """The help screen's tables, as currently mapped, with only what is offered: read-only
    mode leaves the destructive ones out, a deployment what it cannot do. Opened on
    ``screen`` (the insights screen, the session panel), that screen's own tables come
    first, the rest in the registry's order."""
    offer = Offer(capabilities, read_only=read_only)
    offered = [
        section
        for section in sections()
        if section.opened_by is None or offer.allows(section.opened_by)
    ]
    if screen is not None:  # a stable sort: its own first, each part in order
        offered.sort(key=lambda section: section.screen is not screen)
    return [
        (section.title, binding_rows(section.bindings, keymap, offer=offer)) for section in offered
    ]


def all_binding_ids() -> set[str]:
    """Every binding id a keymap may name (read-only mode or not)."""
    from chatkit_tui.tui.dialogs.help import HelpScreen

    ids = {b.id for b in HelpScreen.BINDINGS if isinstance(b, Binding) and b.id}
    for _, rows in help_sections({}, read_only=False):
        ids.update(binding_id for _, _, binding_id in rows)
    return ids
