"""Keys in order: each key goes to the widget that has the focus once the keys before it
have been handled.

Textual hands a key to the widget focused when the app *reads* it, into that widget's
queue; bindings run later, when the key comes back up to the app. In a burst (a paste,
keys bunched up by a slow SSH link, ``tmux send-keys``) ``enter`` then ``j`` both went to
the thread list before ``enter`` had opened the thread view, so the ``j`` moved the list
and another thread opened; the keys after ``/`` went to the list, not the find box.

:class:`OrderedKeysApp` holds each key read from the terminal until the previous one has
settled: the widget it went to and each container up to its screen have worked through
their queues (the messages a key sends bubble up that path), and it is not waiting in the
app's own queue to be matched with a binding. With nothing in flight a key goes on at
once; a key is never held for longer than :data:`SETTLE_LIMIT`.

A :class:`ReadFirstDialog` (the confirmation dialogs) does not receive keys read before
it was mounted: a ``y`` typed right after ``d``, before the
dialog could be read, must not confirm a delete. That holds for a key passed on to the
screen below before the dialog came, too: none is matched with the dialog's bindings.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any, cast

from textual import events, messages, on
from textual.app import App
from textual.dom import DOMNode
from textual.screen import ModalScreen

SETTLE_LIMIT = 0.5  # seconds a key may wait for the one before it (a slow handler)
SPIN = 50  # turns of the event loop to look on every turn, before looking once a millisecond


class ReadFirstDialog(ModalScreen[bool]):
    """A dialog to be read before it is answered: :class:`OrderedKeysApp` drops the keys
    read before it was mounted."""

    shown_at: float | None = None

    @on(events.Mount)
    def _note_when_shown(self, event: events.Mount) -> None:
        self.shown_at = event.time

    def shown_before(self, key: events.Key) -> bool:
        return self.shown_at is not None and key.time >= self.shown_at


class OrderedKeysApp(App[None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key] = deque()
        self._key_path: list[DOMNode] = []  # where the last key went, up to its screen
        self._key_waiter: asyncio.Task[None] | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._held_keys.append(event)
            await self._pass_keys_on()
            return
        if isinstance(event, events.Key) and self._read_too_early(event):
            return  # on its way back up to the bindings, it would find the dialog's
        await super().on_event(event)

    def _read_too_early(self, key: events.Key) -> bool:
        """A key read before the dialog now on top was mounted. Such a key can still be on
        its way back up from the screen below (it was passed on before the dialog came, a
        slow key having waited SETTLE_LIMIT): Textual matches it with the bindings of the
        screen on top *then*, so a ``y`` meant for the list would confirm the delete."""
        screen = self.screen if self.screen_stack else None
        return isinstance(screen, ReadFirstDialog) and not screen.shown_before(key)

    async def _pass_keys_on(self, *, waited_enough: bool = False) -> None:
        """Hand on the held keys, in order, while the one before each has settled."""
        while self._held_keys:
            if not waited_enough and not self._previous_key_settled():
                if self._key_waiter is None:
                    self._key_waiter = asyncio.create_task(self._wait_for_settling())
                return
            waited_enough = False
            key = self._held_keys.popleft()
            if not self.screen_stack:
                continue  # shutting down
            screen = self.screen
            if isinstance(screen, ReadFirstDialog) and not screen.shown_before(key):
                continue  # typed before this dialog could be read
            target = self.focused or screen
            self._key_path = [node for node in target.ancestors_with_self if node is not self]
            await super().on_event(key)

    async def _wait_for_settling(self) -> None:
        """Outside the app's own queue (the key may be waiting in it), look until the
        previous key has settled or SETTLE_LIMIT has passed, then resume in the queue."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        turns = 0
        while not self._previous_key_settled() and loop.time() < deadline:
            turns += 1
            await asyncio.sleep(0 if turns < SPIN else 0.001)
        waited_enough = not self._previous_key_settled()
        self._key_waiter = None
        self.call_later(self._resume_keys, waited_enough)

    async def _resume_keys(self, waited_enough: bool) -> None:
        await self._pass_keys_on(waited_enough=waited_enough)

    def _previous_key_settled(self) -> bool:
        for node in self._key_path:
            # (a closed node, e.g. a dismissed dialog, never empties its queue)
            if node.is_running and any(_matters(m) for m in _queued(node)):
                return False
        # a key on its way back up to be matched with a binding waits in the app's own queue
        return not any(isinstance(m, events.Key) and m.is_forwarded for m in _queued(self))


# requests to repaint: they change nothing a key goes by, and Textual folds many into one
_REPAINTS = (messages.Update, messages.Layout, messages.UpdateScroll, messages.Prompt)


def _matters(message: object) -> bool:
    return not isinstance(message, _REPAINTS)


def _queued(node: DOMNode) -> Iterable[object]:
    return cast(Iterable[object], node._message_queue.values)  # pyright: ignore[reportUnknownMemberType]
