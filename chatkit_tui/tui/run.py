"""``chatkit-tui`` with no subcommand: resolve the endpoint and key, then run the app."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatkit_tui.client import AsyncChatKit
    from chatkit_tui.client.models import ThreadPage
    from chatkit_tui.config import Config
    from chatkit_tui.tui.app import ChatKitApp

THREAD_PAGE = 100


def _config(args: argparse.Namespace) -> Config | None:
    config: Any = getattr(args, "config_resolved", None)
    return config


def run_app(args: argparse.Namespace) -> int:
    """Run the app; return the process exit code (2: cannot start, e.g. no API key).

    The global flags were checked against each other by the caller
    (:func:`chatkit_tui.scripting.globals.refusal`): ``--demo`` and ``--mirror`` come
    here alone."""
    from chatkit_tui.config import ConfigError
    from chatkit_tui.core.local import Local, LocalError, mirror_path, serve_mirror, start_demo

    config = _config(args)
    read_only = bool(getattr(args, "read_only", False)) or (config is not None and config.read_only)
    keymap = dict(config.keys) if config is not None else {}
    theme = config.theme if config is not None else None
    local: Local | None = None
    mirror = getattr(args, "mirror", None)
    try:
        if mirror is not None:
            base = config.base_url if config is not None else None
            project = config.project if config is not None else None
            local = serve_mirror(mirror_path(mirror, base, project))
            read_only = True  # a mirror is a copy: nothing to delete or create there
        elif getattr(args, "demo", False):
            local = start_demo()
    except LocalError as exc:
        print(f"chatkit-tui: error: {exc}", file=sys.stderr)
        return exc.code
    if local is not None:
        base_url: str | None = local.base_url
        api_key: str | None = local.api_key
        organization = project = None
        label = local.label
    else:
        api_key = config.api_key if config is not None else os.environ.get("OPENAI_API_KEY")
        if not api_key:
            print(
                "chatkit-tui: error: no API key: set OPENAI_API_KEY (or a config profile's "
                "api_key_env / api_key_command), or run chatkit-tui --demo",
                file=sys.stderr,
            )
            return 2
        base_url = (config.base_url if config is not None else None) or getattr(
            args, "base_url", None
        )
        organization = config.organization if config is not None else None
        project = config.project if config is not None else None
        label = ""
    try:
        return asyncio.run(
            _run(
                api_key=api_key,
                base_url=base_url,
                organization=organization,
                project=project,
                label=label,
                read_only=read_only,
                keymap=keymap,
                theme=theme,
                mirror_path=local.mirror_path if local is not None else None,
                config=config,
            )
        )
    except ConfigError as exc:  # a [keys] id or a theme the app does not have
        print(f"chatkit-tui: error: config: {exc}", file=sys.stderr)
        return 2
    finally:
        if local is not None:
            local.close()


async def _run(
    *,
    api_key: str | None,
    base_url: str | None,
    organization: str | None,
    project: str | None,
    label: str,
    read_only: bool,
    keymap: dict[str, str],
    theme: str | None,
    mirror_path: Path | None = None,
    config: Config | None = None,
) -> int:
    from chatkit_tui.client import AsyncChatKit

    # Textual and the screens are about half of start-up, all of it CPU. They are imported
    # on a worker thread while this loop builds the client (loading the CA certificates is
    # C code that releases the GIL) and asks for the first page, so the page's round trips
    # (several over TLS) overlap the import instead of following it.
    names = config is not None and bool(config.keys or config.theme)
    app_class = asyncio.get_running_loop().run_in_executor(
        None, _load_app, config if names else None
    )
    no_color = "NO_COLOR" in os.environ
    async with AsyncChatKit(
        api_key=api_key, base_url=base_url, organization=organization, project=project
    ) as client:
        if names:  # the file's binding ids and theme are checked before any request
            await app_class
        first_page = asyncio.ensure_future(_first_page(client))
        try:
            app = (await app_class)(
                client,
                first_page=first_page,
                endpoint_label=label,
                read_only=read_only,
                keymap=keymap,
                theme=theme,
                # NO_COLOR: ANSI mode + Textual's NoColor filter sends no colour at all
                ansi_color=True if no_color else None,
                mirror_path=mirror_path,
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


async def _first_page(client: AsyncChatKit) -> ThreadPage:
    return await client.threads.list(limit=THREAD_PAGE, order="desc")
