"""Running the local server: in a background thread (demo, tests) or in the foreground.

``BackgroundServer`` binds its socket itself (port 0 = a free port) before
uvicorn starts, so ``base_url`` is known at once and there is no race for the
port. ``serve_command`` implements ``chatkit-tui serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from chatkit_tui import APP_NAME
from chatkit_tui.mirrorfile import (
    is_keyword_string,
    is_mirror_url,
    keyword_string_refused,
    libpq_url,
    redact,
)
from chatkit_tui.server.app import ChatKitServerApp, create_app
from chatkit_tui.server.faults import Faults, FaultSpecError
from chatkit_tui.server.mirror import MirrorDamagedError, MirrorSource, MirrorUnopened, is_mirror
from chatkit_tui.server.seed import BASE_TIME
from chatkit_tui.server.seed import seed as seed_store
from chatkit_tui.server.store import Store

ENV_SERVE_API_KEY = "CHATKIT_SERVE_API_KEY"
EXIT_DAMAGED = 9  # chatkit_tui.scripting.common.EXIT_DAMAGED (the server may not import it)
FIRST_RUN_SEED = 300
"""Demo threads a new default database is seeded with (as many as ``--demo`` shows)."""


def default_db_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME) / "server.sqlite3"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it, headers and body go out in two writes and Nagle + delayed ACK
    # add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, checking ``should_exit`` every 10 ms instead of every 100 ms.

    Tests start and stop many servers; this makes ``stop()`` take ~0.1 s, not ~0.2 s.
    ``on_tick`` still runs every 100 ms, as uvicorn expects.
    """

    async def main_loop(self) -> None:
        ticks = 0
        should_exit = await self.on_tick(ticks)
        while not should_exit:
            for _ in range(10):
                await asyncio.sleep(0.01)
                if self.should_exit:
                    return
            ticks = (ticks + 1) % 864_000
            should_exit = await self.on_tick(ticks)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown, polling every 5 ms instead of pausing 100 ms.

        Close the listeners, ask each connection to finish its response, wait for
        connections and tasks (up to ``timeout_graceful_shutdown``), cancel the rest.
        Lifespan is off for background servers, so there is no lifespan to stop.
        """
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 5)
        while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            # (uvicorn offers no event for "all connections closed": poll, briefly)
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()
        for server in self.servers:
            await server.wait_closed()


def serve_in_thread(
    app: Any, sock: socket.socket, name: str, timeout: float = 10.0
) -> tuple[_Server, threading.Thread]:
    """uvicorn serving ``app`` on the bound ``sock`` in a daemon thread, returned once it
    has started; RuntimeError (and nothing left running) when it does not in ``timeout``."""
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=2
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(5.0)
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.005)
    return server, thread


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class BackgroundServer:
    """The local ChatKit server on a loopback port, in a daemon thread.

    Use as a context manager (or ``start()`` / ``stop()``). ``store`` is the live
    Store, for tests to inspect or insert into. ``seed`` threads are generated
    when the database has no threads yet, the newest at ``seed_time`` (default: the
    seed's fixed instant, so runs are reproducible). A ``db`` that is a mirror file is
    served read-only (:mod:`chatkit_tui.server.mirror`; there is no ``store`` then).
    """

    def __init__(
        self,
        db: str | Path = ":memory:",
        seed: int = 0,
        api_key: str | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rng_seed: int = 0,
        seed_time: int | None = None,
        require_beta_header: bool = True,
        store: Store | None = None,
    ) -> None:
        self.db = db
        self.seed = seed
        self.api_key = api_key
        self.faults = faults
        self.host = host
        self.port = port
        self.rng_seed = rng_seed
        self.seed_time = seed_time
        self.require_beta_header = require_beta_header
        self._store = store
        self._mirror: MirrorSource | None = None
        self._owns_store = store is None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._app: ChatKitServerApp | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the server has not been started")
        return self._store

    @property
    def served(self) -> Counter[str]:
        """Requests served so far, by endpoint (``list_items``, ``retrieve_thread``, ...)."""
        if self._app is None:
            raise RuntimeError("the server has not been started")
        return self._app.served

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (no API prefix)."""
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``: what to give a client as its base URL."""
        return f"{self.url}/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        if self._store is None and is_mirror(self.db):
            self._mirror = MirrorSource(self.db)
        elif self._store is None:
            self._store = Store(self.db)
        if self.seed and self._store is not None and self._store.count_threads() == 0:
            seed_store(
                self._store,
                self.seed,
                rng_seed=self.rng_seed,
                base_time=self.seed_time if self.seed_time is not None else BASE_TIME,
            )
        app = self._app = create_app(
            self._mirror or self.store,
            api_key=self.api_key,
            faults=self.faults,
            require_beta_header=self.require_beta_header,
        )
        try:
            sock = _bind(self.host, self.port)
        except OSError:
            if self._mirror is not None:  # opened above: not left open by a port in use
                self._mirror.close()
                self._mirror = None
            raise
        self.port = int(sock.getsockname()[1])
        try:
            self._server, self._thread = serve_in_thread(app, sock, "chatkit-server", timeout)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"the local ChatKit server did not start on {self.url}") from None
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = None
        self._thread = None
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None
        if self._mirror is not None:
            self._mirror.close()
            self._mirror = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


def serve_command(args: argparse.Namespace) -> int:
    """``chatkit-tui serve``: run the server in the foreground until Ctrl-C."""

    def fail(message: str, code: int = 2) -> int:
        print(f"chatkit-tui serve: error: {message}", file=sys.stderr)
        return code

    try:
        faults = Faults.parse(args.latency, args.error_rate, args.rate_limit)
    except FaultSpecError as exc:
        return fail(str(exc))
    if args.port > 65535:
        return fail(f"--port must be between 0 and 65535, got {args.port}")
    db = args.db if args.db is not None else str(default_db_path())
    if is_keyword_string(db):  # else a file of that name, its password in the banner
        return fail(keyword_string_refused("a database", profile=False))
    db = libpq_url(db) if is_mirror_url(db) else db  # POSTGRESQL:// as libpq reads it
    shown = redact(db)  # a postgresql:// URL without its password
    mirrored = is_mirror(db)
    if mirrored and args.seed:
        return fail(f"{shown} is a mirror, served read-only: --seed cannot add to it")
    # the port first: a port in use must not leave a new database made, or one seeded
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    try:
        # A first `serve` (no --db, no --seed, the default file not there yet) gets the demo
        # shows: the file is made by this run in our data directory, nothing of the user's is
        # changed, and the banner says so. An existing database, or one named with --db, is
        # never seeded unless --seed asks for it (--seed 0: start the new default one empty).
        first_run = args.db is None and args.seed is None and not Path(db).exists()
        seed = FIRST_RUN_SEED if first_run else (args.seed or 0)
        try:
            store = MirrorSource(db) if mirrored else Store(db)
        except MirrorDamagedError as exc:
            return fail(exc.message, EXIT_DAMAGED)
        except MirrorUnopened as exc:  # a login refused (4), a database not reached (5)
            return fail(f"cannot open the mirror {shown}: {exc}", exc.code)
        except Exception as exc:  # sqlite3 errors, permissions, a directory given as --db
            return fail(redact(f"cannot open the database {shown}: {exc}"))
        with store:
            try:
                count = store.count_threads()
                if isinstance(store, MirrorSource):
                    kind = "read-only copy" if store.copy else "read-only"  # copy: read-only media
                    what = f"mirror of {store.origin() or 'an unknown origin'}: {shown}, {kind}"
                else:
                    what = f"database: {shown}"
            except MirrorDamagedError as exc:  # the banner's reads met a damaged page
                return fail(exc.message, EXIT_DAMAGED)
            if seed and isinstance(store, Store) and count == 0:
                started = time.perf_counter()
                # a day ago: items follow their thread by up to hours, never in the future
                seed_store(store, seed, base_time=int(time.time()) - 86_400)
                count = store.count_threads()
                took = time.perf_counter() - started
                why = " (a new database: the demo's threads; --seed 0 starts it empty)"
                print(
                    f"Seeded {seed} threads in {took:.1f}s{why if first_run else ''}",
                    file=sys.stderr,
                )
            port = int(sock.getsockname()[1])
            api_key = args.api_key or os.environ.get(ENV_SERVE_API_KEY) or None
            app = create_app(store, api_key=api_key, faults=faults if faults.active else None)
            base = f"http://{_url_host(args.host)}:{port}/v1"
            hint = ": pass --seed N for N demo threads" if count == 0 and not mirrored else ""
            print(f"ChatKit API on {base}  ({what}, {count:,} threads{hint})")
            # the app and the script commands need a key even when the server checks none
            key_hint = "anything"
            if api_key:
                source = "--api-key" if args.api_key else f"${ENV_SERVE_API_KEY}"
                key_hint = f"<the {source} value>"
                print(f"Requests must carry 'Authorization: Bearer {key_hint}'.")
            elif not _is_loopback(args.host):
                print(
                    f"warning: listening on {args.host} without --api-key: anyone who can reach"
                    " this address can read and delete threads",
                    file=sys.stderr,
                )
            if faults.active:
                print(f"Faults: {faults.describe()}", file=sys.stderr)
            print(f"Try: OPENAI_BASE_URL={base} OPENAI_API_KEY={key_hint} chatkit-tui", flush=True)
            config = uvicorn.Config(
                app,
                lifespan="off",
                log_level="info",
                access_log=not getattr(args, "quiet", False),
                timeout_graceful_shutdown=3,
            )
            server = uvicorn.Server(config)
            try:
                server.run(sockets=[sock])
            except KeyboardInterrupt:
                pass
    finally:
        sock.close()
    return 0
