"""``chatkit-tui`` with no subcommand: resolve the endpoint and key, then run the app."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatkit_tui.client.deployment import Deployment
    from chatkit_tui.client.models import ThreadPage
    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.url import MirrorTarget
    from chatkit_tui.tui.app import ChatKitApp

THREAD_PAGE = 100


def _config(args: argparse.Namespace) -> Config | None:
    config: Any = getattr(args, "config_resolved", None)
    return config


def run_app(args: argparse.Namespace) -> int:
    """Run the app; return the process exit code (2: cannot start, e.g. no API key).

    The global flags were checked against each other by the caller
    (:func:`chatkit_tui.scripting.globals.refusal`): ``--demo`` and ``--mirror`` come
    here alone. The deployment is the demo server, the mirror file read in process, or
    the one the configuration names (:func:`chatkit_tui.backends.connect`)."""
    from chatkit_tui.config import Config, ConfigError
    from chatkit_tui.core.local import Local, LocalError, mirror_label, mirror_path, start_demo

    config = _config(args) or Config(api_key=os.environ.get("OPENAI_API_KEY") or None)
    read_only = bool(getattr(args, "read_only", False)) or config.read_only
    demo: Local | None = None
    path: MirrorTarget | None = None
    label = ""
    mirror = getattr(args, "mirror", None)
    try:
        if mirror is not None:
            from chatkit_tui.backends import chosen_for, origin

            base, project = origin(config)
            path = mirror_path(
                mirror,
                base,
                project,
                profile_mirror=config.mirror,
                password_command=config.mirror_password_command,
            )
            chosen = chosen_for(config, path_given=bool(mirror))
            label = mirror_label(path, config.profile, chosen)
            read_only = True  # a mirror is a copy: nothing to delete or create there
        elif getattr(args, "demo", False):
            demo = start_demo()
            label = demo.label
    except LocalError as exc:
        print(f"chatkit-tui: error: {exc}", file=sys.stderr)
        return exc.code

    def connect() -> Deployment:
        from chatkit_tui.backends import connect, describe
        from chatkit_tui.client import AsyncChatKit

        if demo is not None:
            return AsyncChatKit(
                api_key=demo.api_key, base_url=demo.base_url, organization="", project=""
            )
        deployment = connect(config, mirror=path)
        nonlocal label
        if not label and deployment.capabilities.kind != "hosted":
            label = describe(deployment)
        return deployment

    try:
        return asyncio.run(
            _run(connect, label=lambda: label, read_only=read_only, config=config, mirror=path)
        )
    except ConfigError as exc:  # a [keys] id or a theme the app does not have
        print(f"chatkit-tui: error: config: {exc}", file=sys.stderr)
        return 2
    except _CannotConnect as exc:
        print(f"chatkit-tui: error: {exc}", file=sys.stderr)
        return exc.code
    finally:
        if demo is not None:
            demo.close()


class _CannotConnect(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _open(connect: Callable[[], Deployment]) -> Deployment:
    """The deployment, or :class:`_CannotConnect` with what to tell the user."""
    from chatkit_tui.backends import CannotOpen, NoDeployment

    try:
        return connect()
    except CannotOpen as exc:
        raise _CannotConnect(str(exc), 2) from None
    except NoDeployment:
        raise _CannotConnect(
            "no API key: set OPENAI_API_KEY (or a config profile's api_key_env / "
            "api_key_command), or run chatkit-tui --demo (a self-hosted deployment: "
            "--chatkit-url URL; your own Store: --store MODULE:FACTORY)",
            2,
        ) from None
    except Exception as exc:  # a mirror that cannot be opened; anything else goes on up
        from chatkit_tui.core.mirror import (
            MirrorDamaged,
            MirrorError,
            MirrorLoginRefused,
            MirrorUnreachable,
        )

        if isinstance(exc, MirrorDamaged):
            raise _CannotConnect(str(exc), 9) from None
        if isinstance(exc, MirrorLoginRefused):  # the exit codes of the script CLI's table
            raise _CannotConnect(str(exc), 4) from None
        if isinstance(exc, MirrorUnreachable):
            raise _CannotConnect(str(exc), 5) from None
        if isinstance(exc, MirrorError | FileNotFoundError):
            raise _CannotConnect(str(exc), 2) from None
        raise


@contextlib.asynccontextmanager
async def _entered(deployment: Deployment) -> AsyncGenerator[Deployment]:
    """``async with deployment``; one that cannot be opened (a Store that does not load)
    is :class:`_CannotConnect`, before the app starts."""
    from chatkit_tui.backends import CannotOpen

    try:
        client = await deployment.__aenter__()
    except CannotOpen as exc:
        raise _CannotConnect(str(exc), 2) from None
    try:
        yield client
    finally:
        await deployment.__aexit__(None, None, None)


async def _run(
    connect: Callable[[], Deployment],
    *,
    label: Callable[[], str],
    read_only: bool,
    config: Config,
    mirror: MirrorTarget | None = None,
) -> int:
    # Textual and the screens are about half of start-up, all of it CPU. They are imported
    # on a worker thread while this loop builds the client (loading the CA certificates is
    # C code that releases the GIL) and asks for the first page, so the page's round trips
    # (several over TLS) overlap the import instead of following it.
    names = bool(config.keys or config.theme)
    app_class = asyncio.get_running_loop().run_in_executor(
        None, _load_app, config if names else None
    )
    from chatkit_tui.config import ignored_note

    no_color = "NO_COLOR" in os.environ
    async with _entered(_open(connect)) as client:
        if names:  # the file's binding ids and theme are checked before any request
            await app_class
        first_page = asyncio.ensure_future(_first_page(client))
        try:
            app = (await app_class)(
                client,
                first_page=first_page,
                endpoint_label=label(),
                read_only=read_only,
                keymap=dict(config.keys),
                theme=config.theme,
                # NO_COLOR: ANSI mode + Textual's NoColor filter sends no colour at all
                ansi_color=True if no_color else None,
                mirror_path=mirror,
                notes=[note] if (note := ignored_note(config)) else [],
            )
            await app.run_async()
        finally:
            if not first_page.done():
                first_page.cancel()
            elif not first_page.cancelled():
                first_page.exception()  # retrieved: an error was already shown by the app
        return app.return_code or 0


def check_app_names(config: Config) -> None:
    """ConfigError naming the line when the config file's ``[keys]`` names a binding id the
    app does not have, or its ``theme`` is not a theme: refused, as every mistake in the
    file is (the ids and themes are known here, not in the config layer)."""
    from textual.theme import BUILTIN_THEMES

    from chatkit_tui.config import check_names
    from chatkit_tui.tui.keys.registry import all_binding_ids

    ids = all_binding_ids() if config.keys else set[str]()
    check_names(config, binding_ids=ids, themes=BUILTIN_THEMES)


def _load_app(config: Config | None) -> type[ChatKitApp]:
    """The app's class (on a worker thread: it imports Textual), and ``config``'s names
    checked against it when given (:func:`check_app_names`)."""
    app_class = _app_class()
    if config is not None:
        check_app_names(config)
    return app_class


def _app_class() -> type[ChatKitApp]:
    from chatkit_tui.tui.app import ChatKitApp

    return ChatKitApp


async def _first_page(client: Deployment) -> ThreadPage:
    return await client.threads.list(limit=THREAD_PAGE, order="desc")
