"""Deployments this process runs itself: the demo, and a mirror file served read-only.

The app (``--demo``, ``--mirror``) and every script command take them from here, so a
flag reads the same thing wherever it is written. Each is the local server on a loopback
port, in a background thread, stopped by :meth:`Local.close`:

- :func:`start_demo`: an in-memory database seeded with :data:`DEMO_THREADS` threads, the
  newest a day old (so they look recent and no item is in the future);
- :func:`serve_mirror`: a mirror file, read-only, behind a key made for this run only
  (another local user must not read the conversations over loopback).

How a mirror is read is decided in :func:`serve_mirror` alone: an in-process backend
replaces the server there and nowhere else. Textual-free; the server's modules are
imported only when one is started.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatkit_tui.server.run import BackgroundServer

DEMO_THREADS = 300
DEMO_KEY = "demo"
SEED_AGE = 86_400  # the newest demo thread is a day old


class LocalError(Exception):
    """The demo or the mirror could not be opened; the message is worded for the user,
    ``code`` is the exit code (2, a usage error; 9, the mirror is damaged)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


DAMAGED = 9  # chatkit_tui.scripting.common.EXIT_DAMAGED (core is below the script CLI)


@dataclass
class Local:
    """A local server this process started, and what to call it."""

    server: BackgroundServer
    label: str
    """One line: the app's top bar, the script commands' note on stderr."""
    mirror_path: Path | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_key(self) -> str:
        return self.server.api_key or DEMO_KEY

    def close(self) -> None:
        self.server.stop()


def start_demo() -> Local:
    from chatkit_tui.server.run import BackgroundServer

    try:
        server = BackgroundServer(
            db=":memory:", seed=DEMO_THREADS, seed_time=int(time.time()) - SEED_AGE
        ).start()
    except (OSError, RuntimeError) as exc:
        raise LocalError(f"the demo server did not start: {exc}") from None
    label = f"demo · local server {server.url} · {DEMO_THREADS} seeded threads"
    return Local(server, label)


def mirror_path(flag: str, base_url: str | None, project: str | None) -> Path:
    """``--mirror PATH``'s file, or with no PATH (``flag`` empty) the default mirror of the
    endpoint (``base_url``, None: OpenAI's) and project."""
    if flag:
        return Path(flag).expanduser()
    from chatkit_tui.client.client import DEFAULT_BASE_URL
    from chatkit_tui.core.mirror import default_mirror_path

    return default_mirror_path(base_url or DEFAULT_BASE_URL, project)


def serve_mirror(path: Path) -> Local:
    """The mirror at ``path``, read-only, served on loopback with a key of this run only;
    the label says what it mirrors and when it was last synced."""
    from chatkit_tui.core.mirror import Mirror, MirrorDamaged, MirrorError
    from chatkit_tui.core.times import absolute_time
    from chatkit_tui.server.mirror import MirrorDamagedError
    from chatkit_tui.server.run import BackgroundServer

    try:
        with Mirror.open(path, read_only=True) as mirror:
            info = mirror.info()
            copy = mirror.copy
    except FileNotFoundError:
        raise LocalError(
            f"no mirror at {path}: make one with chatkit-tui mirror (or pass --mirror PATH)"
        ) from None
    except MirrorDamaged as exc:
        raise LocalError(str(exc), DAMAGED) from None
    except MirrorError as exc:
        raise LocalError(str(exc)) from None
    try:
        server = BackgroundServer(db=path, api_key=secrets.token_urlsafe(32)).start()
    except MirrorDamagedError as exc:
        raise LocalError(exc.message, DAMAGED) from None
    except (OSError, RuntimeError) as exc:
        raise LocalError(f"the mirror could not be served: {exc}") from None
    synced = info.last_complete_sync
    when = f"synced {absolute_time(int(synced))}" if synced is not None else "never fully synced"
    if info.last_run is not None and (synced is None or info.last_run.finished_at > synced):
        when += " (a later run did not finish)"
    shown = info.threads - info.gone  # threads deleted upstream are kept, not listed
    kind = "offline, read-only copy" if copy else "offline"
    label = f"mirror of {info.origin} · {when} · {shown:,} threads · {kind}"
    return Local(server, label, path)
