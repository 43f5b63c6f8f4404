"""The two Textual internals we read, checked loudly: if an upgrade moves them, these fail
(with the version that moved them) before the key ordering or the conflict check breaks
quietly. Textual is pinned to the minor version they are tested on (pyproject.toml)."""

from __future__ import annotations

from typing import ClassVar

import textual
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from chatkit_tui.tui.keys.conflicts import class_layer
from chatkit_tui.tui.keys.order import _queued  # pyright: ignore[reportPrivateUsage]


def test_textual_is_the_pinned_minor_version() -> None:
    assert textual.__version__.startswith("8.2."), textual.__version__


class Base(Widget):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "a", "A", id="base.a")]


class Child(Base):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("b", "b", "B", id="child.b")]


class Alone(Base, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("c", "c", "C", id="alone.c")]


def test_merged_bindings_are_what_an_instance_gets() -> None:
    """class_layer reads DOMNode._merged_bindings: the merge each instance copies."""
    for cls in (Base, Child, Alone):
        layer = class_layer(cls)
        instance = cls()
        assert {k: [b.id for b in v] for k, v in layer.items()} == {
            k: [b.id for b in v] for k, v in instance._bindings.key_to_bindings.items()
        }
    assert set(class_layer(Child)) == {"a", "b"}
    assert set(class_layer(Alone)) == {"c"}


class Ping(Message):
    pass


class QueueApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("x", id="target")


async def test_the_message_queue_shows_what_waits_in_it() -> None:
    """keys/order.py reads a node's _message_queue to know whether a key has settled."""
    app = QueueApp()
    async with app.run_test() as pilot:
        target = app.query_one("#target")
        assert not any(isinstance(m, Ping) for m in _queued(target))
        target.post_message(Ping())
        assert any(isinstance(m, Ping) for m in _queued(target))  # queued, not yet handled
        await pilot.pause()
        assert not any(isinstance(m, Ping) for m in _queued(target))
