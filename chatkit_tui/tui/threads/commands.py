"""Command palette provider: jump to a thread by id, user filter, order, refresh.

Only what the app offers here is listed (:mod:`chatkit_tui.tui.keys.offered`): each
command names the binding it stands for, and a binding that is not offered takes its
command with it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from chatkit_tui.core.text import one_line
from chatkit_tui.tui.threads.main import MainScreen
from chatkit_tui.tui.threads.render import thread_title


class ThreadCommands(Provider):
    """Commands built from the main screen's current state."""

    def _main(self) -> MainScreen | None:
        for screen in self.app.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _commands(self, main: MainScreen) -> list[tuple[str, Callable[[], object], str]]:
        order = "oldest first" if main.order == "desc" else "newest first"
        find = "by title, user or id (/)" if main.ctx.offer.users else "by title or id (/)"
        offered: list[tuple[str, str, Callable[[], object], str]] = [
            (
                "main.user_filter",
                "Set user filter…",
                main.action_user_filter,
                "only threads of one user (u)",
            ),
            ("main.flip_order", f"Flip order (show {order})", main.action_flip_order, "o"),
            (
                "main.refresh",
                "Refresh threads",
                main.action_refresh,
                "reload from the first page (r)",
            ),
            ("main.find", "Filter loaded threads…", main.action_find, find),
            (
                "main.sessions",
                "Sessions…",
                main.action_sessions,
                "create, inspect and cancel sessions (s)",
            ),
            (
                "main.search",
                "Search every conversation…",
                main.action_search,
                "full text over the mirror of this deployment (ctrl+f)",
            ),
            (
                "main.insights",
                "Insights…",
                main.action_insights,
                "charts of the mirror: activity, hours, statuses, what went wrong (i)",
            ),
        ]
        commands = [(name, run, why) for ident, name, run, why in offered if main.offers(ident)]
        if main.user is not None:
            commands.insert(1, ("Clear user filter", partial(main.set_user, None), "every user"))
        commands.extend(self._bulk_commands(main))
        return commands

    def _bulk_commands(self, main: MainScreen) -> list[tuple[str, Callable[[], object], str]]:
        """Export (allowed read-only) and the marks."""
        commands: list[tuple[str, Callable[[], object], str]] = []
        if main.thread_list.current is not None:
            commands.append(
                (
                    "Export thread as JSON and Markdown",
                    main.action_export,
                    "the selected thread, every item, to the export folder (e)",
                )
            )
        if main.offers("main.mark_by_rule"):  # marks only feed D
            within = ", within the user filter" if main.offers("main.user_filter") else ""
            if main.user is not None:
                commands.append(
                    (
                        "Mark every thread of this user (all pages)",
                        main.mark_all_of_user,
                        "every page of the user filter, not only the loaded rows; then D",
                    )
                )
            commands.append(
                (
                    "Mark threads older than…",
                    main.action_mark_by_rule,
                    f"an age (90d), a date or a status, across all pages{within} (M)",
                )
            )
        marked = len(main.thread_list.marked)
        if marked:
            if main.offers("main.bulk_delete"):
                commands.append(
                    (f"Delete {marked} marked thread(s)…", main.action_bulk_delete, "D")
                )
            commands.append(("Unmark all threads", main.clear_marks, "esc in the list"))
        return commands

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for name, callback, help_text in self._commands(main):
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        main = self._main()
        if main is None:
            return
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands(main):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        ident = query.strip()
        if not ident or " " in ident:
            return
        exact = False
        for score, thread_id, title in _loaded_matches(main, ident):
            exact = exact or thread_id == ident
            name = f"Open thread {one_line(thread_id)} — {title}"
            yield Hit(score, Content(name), partial(main.jump_to, thread_id), text=name)
        if not exact:  # an id that is not loaded: fetched by id (ranked below loaded matches)
            name = f"Jump to thread {ident}"
            yield Hit(
                0.9,
                Content(name),
                partial(main.jump_to, ident),
                text=name,
                help="fetch this thread id (not among the loaded threads)",
            )


MAX_ID_MATCHES = 10
_TITLE_WIDTH = 60


def _loaded_matches(main: MainScreen, query: str) -> list[tuple[float, str, str]]:
    """(score, id, title) of loaded threads whose id starts with, then contains, ``query``.

    Scores sit above the raw jump's 0.9 so a loaded match is offered first.
    """
    needle = query.casefold()
    prefix: list[tuple[str, str]] = []
    inside: list[tuple[str, str]] = []
    for thread in main.thread_list.loaded():  # over a mirror: the rows in memory
        if thread.id is None:
            continue
        found = thread.id.casefold().find(needle)
        if found < 0:
            continue
        title = thread_title(thread)
        if len(title) > _TITLE_WIDTH:
            title = title[: _TITLE_WIDTH - 1] + "…"
        (prefix if found == 0 else inside).append((thread.id, title))
        if len(prefix) >= MAX_ID_MATCHES:
            break
    ranked = (prefix + inside)[:MAX_ID_MATCHES]
    return [
        ((0.99 if i < len(prefix) else 0.95) - i * 0.001, thread_id, title)
        for i, (thread_id, title) in enumerate(ranked)
    ]
