"""Converting a migration's threads in a worker process, on another core.

:func:`~chatkit_tui.core.migrate.mapping.convert` is a pure function of bytes, and most of
a migration's own CPU (the mapping, its field audit, chatkit-python's validation): a
thread of the writing process cannot run it alongside the writes (the GIL), a process
can. The writing process then only unpickles what :func:`convert_page` gives back and
writes it, in the same order and by the same protocol (:mod:`.run`).

The worker is started with ``spawn`` (never ``fork``: the run has threads), ignores
SIGINT (Ctrl-C on the terminal reaches the whole process group; the writing process
finishes the thread under way and stops, then shuts the worker down) and ends itself
when its parent goes (a ``kill -9`` of the writing process leaves no worker behind).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from chatkit_tui.core.migrate.mapping import Converted, convert

__all__ = ["ENV", "POOL_MIN", "Conversion", "convert_page", "start_pool", "why"]

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


def why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__


def convert_page(threads: Sequence[tuple[bytes, Sequence[bytes], str]]) -> list[Conversion]:
    """Each ``(thread_raw, item_raws, fingerprint)`` converted (run in the worker)."""
    out: list[Conversion] = []
    for raw, raws, fp in threads:
        try:
            c = convert(raw, raws, hashed=fp)
            # the writing process has the bytes: only the models travel back
            out.append(dataclasses.replace(c, thread_raw=b"", item_raws=()))
        except ValueError as exc:
            out.append(why(exc))
        except Exception:  # anything else: the writing process converts it, as without a worker
            out.append(None)
    return out


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
