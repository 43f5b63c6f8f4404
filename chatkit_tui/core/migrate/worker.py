"""Converting a migration's threads in a worker process, on another core.

:func:`~chatkit_tui.core.migrate.mapping.convert` is a pure function of bytes, and most of
a migration's own CPU (the mapping, its field audit, chatkit-python's validation): a
thread of the writing process cannot run it alongside the writes (the GIL), a process
can. The writing process then builds the models again from the JSON
:func:`convert_page` gives back (validated by the same models: ~11 us an item, against
~78 to convert one) and writes them, in the same order and by the same protocol
(:mod:`.run`).

The worker is started with ``spawn`` (never ``fork``: the run has threads), ignores
SIGINT (Ctrl-C on the terminal reaches the whole process group; the writing process
finishes the thread under way and stops, then shuts the worker down) and ends itself
when its parent goes (a ``kill -9`` of the writing process leaves no worker behind).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

from chatkit_tui.core.migrate.mapping import Converted, Note, convert, why

__all__ = ["ENV", "POOL_MIN", "Conversion", "convert_page", "loads", "start_pool"]

ENV = "CHATKIT_TUI_MIGRATE_WORKERS"
"""``0``: convert in the writing process; ``1``: in a worker process, however few the
threads; unset: a worker when it pays (:data:`POOL_MIN`)."""

POOL_MIN = 300
"""Threads still to convert (estimated) below which a worker's start costs more than it saves."""

Conversion = Converted | str | None
"""A thread converted; the reason ``convert`` refused it (its ValueError, as :func:`why`
words it); None: not converted there (the writing process converts it itself)."""

WATCH = 0.5
"""Seconds between the worker's looks at whether its parent is still there."""


@cache
def _models() -> tuple[Any, Any]:
    """chatkit-python's ``ThreadMetadata``, and a list of its items' adapter."""
    from pydantic import TypeAdapter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from chatkit.types import ThreadItem, ThreadMetadata

    thread: Any = ThreadMetadata
    items: Any = TypeAdapter(list[ThreadItem])
    return thread, items


def convert_page(threads: Sequence[tuple[bytes, Sequence[bytes], str]]) -> list[bytes]:
    """Each ``(thread_raw, item_raws, fingerprint)`` converted (run in the worker), as
    bytes for :func:`loads`: the models as chatkit-python's JSON, the rest pickled.

    Measured (2026-12-02, 300 threads x 20 items): converting 78 us an item, unpickling
    the converted models 25 us, validating their JSON again 11 us (pydantic-core). So the
    models travel as JSON, and the writing process builds them from it. Bytes, too, so
    that the writing process's pool thread only passes them on: unpickling models there
    held the GIL against the writes (the Store's writes measured twice as slow)."""
    out: list[bytes] = []
    for raw, raws, fp in threads:
        wire: Any
        try:
            c = convert(raw, raws, hashed=fp)
            notes = [(n.item_id, n.what, n.lossy) for n in c.notes]
            items: bytes = _models()[1].dump_json(c.items)
            wire = (c.thread.model_dump_json(), items, c.user, c.fingerprint, notes)
        except ValueError as exc:
            wire = why(exc)
        except Exception:  # anything else: the writing process converts it, as without a worker
            wire = None
        out.append(pickle.dumps(wire, pickle.HIGHEST_PROTOCOL))
    return out


def loads(blob: bytes, thread_raw: bytes, item_raws: Sequence[bytes]) -> Conversion:
    """What :func:`convert_page` made of a thread (bytes from our own worker only), with
    the source records it was made of."""
    wire: Any = pickle.loads(blob)  # noqa: S301 (our own worker's bytes)
    if wire is None or isinstance(wire, str):
        return wire
    thread_json, items_json, user, fp, notes = wire
    with warnings.catch_warnings():
        # chatkit-python 1.6.5 warns when its named widget classes are built
        warnings.simplefilter("ignore", DeprecationWarning)
        thread_model, items_model = _models()
        thread: Any = thread_model.model_validate_json(thread_json)
        items: list[Any] = items_model.validate_json(items_json)
    return Converted(
        thread=thread,
        items=items,
        user=user,
        fingerprint=fp,
        notes=[Note(*n) for n in notes],
        thread_raw=thread_raw,
        item_raws=item_raws,
    )


def _orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH)
    os._exit(1)


def _init(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphaned, args=(parent,), name="orphaned", daemon=True).start()


def start_pool() -> ProcessPoolExecutor:
    """One worker process (started on its first call)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init,
        initargs=(os.getpid(),),
    )
