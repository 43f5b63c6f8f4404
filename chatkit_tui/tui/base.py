"""What the app's screens share: their context, the top bar, which of their keys are
offered, and failures worded for a notification."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from chatkit_tui.core.errors import describe, key_hint
from chatkit_tui.core.text import one_line
from chatkit_tui.tui.context import AppContext


def describe_error(exc: BaseException) -> str:
    """One line for a notification: the failure (status, request id), what to do about a
    rejected key, control characters made visible."""
    text = one_line(describe(exc))
    if (hint := key_hint(exc)) is not None:
        text += f" — {hint}"
    return text


def context_of(screen: Screen[Any]) -> AppContext:
    """The app's :class:`AppContext` (every app that shows our screens has one)."""
    app = cast(object, screen.app)  # pyright: ignore[reportUnknownMemberType]
    context = getattr(app, "context", None)
    if not isinstance(context, AppContext):
        raise LookupError("this screen runs in an app without an AppContext")
    return context


@cache
def binding_ids(screen_class: type[Screen[Any]]) -> dict[str, str]:
    """Action -> binding id of the bindings ``screen_class`` declares (its bases' too)."""
    ids: dict[str, str] = {}
    for klass in reversed(screen_class.__mro__):
        for binding in getattr(klass, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id is not None:
                ids[binding.action] = binding.id
    return ids


class ChatKitScreen(Screen[None]):
    """A full screen of the app."""

    @property
    def ctx(self) -> AppContext:
        return context_of(self)

    def offers(self, binding_id: str) -> bool:
        """Whether the app offers ``binding_id`` here (read-only mode and the deployment's
        capabilities decide: :mod:`chatkit_tui.tui.keys.offered`)."""
        return self.ctx.offer.allows(binding_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A binding that is not offered is gone: not in the footer, its key does nothing."""
        binding_id = binding_ids(type(self)).get(action)
        return binding_id is None or self.offers(binding_id)

    @property
    def host(self) -> App[object]:
        """The app this screen runs in, typed (for notify, push_screen, the clipboard)."""
        app: App[object] = self.app  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
        return app

    def top_bar(self, title: str) -> Text:
        """The title, READ-ONLY when it is, and the endpoint (shown literally).

        READ-ONLY comes before the endpoint: a long endpoint is what gets cut off at 80
        columns, never the mode.
        """
        ctx = self.ctx
        text = Text(end="")
        text.append(f" {title} ", style="bold reverse")
        if ctx.read_only:
            text.append("  ")
            text.append(" READ-ONLY ", style="bold reverse")
        text.append(f"  {one_line(ctx.endpoint_label)}")
        return text
