"""The local deployments of ``--demo`` and ``--mirror``, for the app and every script
command alike, so that a flag reads the same thing wherever it is written:

- :func:`start_demo`: the local server on a loopback port, in a background thread,
  stopped by :meth:`Local.close`: an in-memory database seeded with :data:`DEMO_THREADS`
  threads, the newest a day old (so they look recent and no item is in the future);
- :func:`mirror_path` and :func:`mirror_label`: which mirror file ``--mirror [PATH]``
  names, and the line that says what it copies. The file itself is read in process by
  the mirror backend (``chatkit_tui.backends.mirror``): one way to read a mirror.

Textual-free; the server's modules are imported only when the demo is started.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatkit_tui.core.mirror.records import Origin
    from chatkit_tui.core.mirror.url import MirrorTarget
    from chatkit_tui.server.run import BackgroundServer

DEMO_THREADS = 300
DEMO_KEY = "demo"
SEED_AGE = 86_400  # the newest demo thread is a day old


class LocalError(Exception):
    """The demo or the mirror could not be opened; the message is worded for the user,
    ``code`` is the exit code (2, a usage error; 9, the mirror is damaged; 4 and 5, a
    mirror's database refused the login or could not be reached)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


DAMAGED = 9  # chatkit_tui.scripting.common.EXIT_DAMAGED (core is below the script CLI)
LOGIN_REFUSED = 4  # EXIT_AUTH: a mirror's database refused the login or a permission
UNREACHED = 5  # EXIT_NETWORK: a mirror's database could not be reached


@dataclass
class Local:
    """A local server this process started, and what to call it."""

    server: BackgroundServer
    label: str
    """One line: the app's top bar, the script commands' note on stderr."""

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


def mirror_path(
    flag: str,
    base_url: str | None,
    project: str | None,
    *,
    profile_mirror: str | None = None,
    password_command: str | None = None,
) -> MirrorTarget:
    """``--mirror PATH``'s file or ``postgresql://`` URL, or with no PATH (``flag``
    empty) the profile's ``mirror``, else the default mirror of the endpoint
    (``base_url``, None: OpenAI's) and project. A URL gets the profile's
    ``mirror_password_command``."""
    from chatkit_tui.core.mirror.url import mirror_target

    if flag or profile_mirror:
        try:
            return mirror_target(flag or profile_mirror or "", password_command=password_command)
        except ValueError as exc:
            raise LocalError(str(exc)) from None
    from chatkit_tui.client.client import DEFAULT_BASE_URL
    from chatkit_tui.core.mirror import default_mirror_path

    return default_mirror_path(base_url or DEFAULT_BASE_URL, project)


def mirror_label(
    path: MirrorTarget, profile: str | None = None, chosen: Origin | None = None
) -> str:
    """What the mirror at ``path`` copies and when it was last synced, in one line (the
    app's top bar, the script commands' note on stderr); :class:`LocalError` when it cannot
    be read (9: damaged). The mirror itself is read in process (``chatkit_tui.backends``),
    with no server on loopback.

    ``chosen``: the deployment ``profile`` names; when the mirror copies another one the
    line says so, since ``--profile prod --mirror PATH`` reads PATH whatever prod is."""
    from chatkit_tui.core.mirror import (
        Mirror,
        MirrorDamaged,
        MirrorError,
        MirrorLoginRefused,
        MirrorUnreachable,
    )
    from chatkit_tui.core.times import absolute_time

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
    except MirrorLoginRefused as exc:
        raise LocalError(str(exc), LOGIN_REFUSED) from None
    except MirrorUnreachable as exc:
        raise LocalError(str(exc), UNREACHED) from None
    except MirrorError as exc:
        raise LocalError(str(exc)) from None
    synced = info.last_complete_sync
    when = f"synced {absolute_time(int(synced))}" if synced is not None else "never fully synced"
    if info.last_run is not None and (synced is None or info.last_run.finished_at > synced):
        when += " (a later run did not finish)"
    shown = info.threads - info.gone  # threads deleted upstream are kept, not listed
    kind = "offline, read-only copy" if copy else "offline"
    phrase = not_of(info.origin, chosen, profile)
    of = f"mirror {phrase}" if phrase else f"mirror of {info.origin}"
    return f"{of} · {when} · {shown:,} threads · {kind}"


def not_of(origin: Origin, chosen: Origin | None, profile: str | None) -> str | None:
    """``NOT of profile 'prod': of ORIGIN, not of CHOSEN`` when a mirror of ``origin`` is
    not one of ``chosen`` (the deployment the profile, flags and environment name), else
    None. The words that matter come first: the top bar cuts the end at its width."""
    if chosen is None or _copies(origin, chosen):
        return None
    named = f"profile {profile!r}" if profile else "the deployment named"
    return f"NOT of {named}: of {origin.against(chosen)}, not of {chosen.against(origin)}"


def _copies(origin: Origin, chosen: Origin) -> bool:
    """Whether a mirror of ``origin`` is one of ``chosen`` (a trailing slash aside; a
    self-hosted deployment has no organization or project)."""
    if origin.base_url.rstrip("/") != chosen.base_url.rstrip("/"):
        return False
    if origin.kind != chosen.kind:
        return False
    return origin.kind != "hosted" or (
        (origin.organization or None, origin.project or None)
        == (chosen.organization or None, chosen.project or None)
    )
