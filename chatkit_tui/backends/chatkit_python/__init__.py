"""A self-hosted ChatKit deployment: the operator's chatkit-python server, over its own
protocol (``--chatkit-url URL --header 'Name: value'``, or a profile's ``chatkit_url``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatkit_tui.backends import Backend, Flag
from chatkit_tui.client.deployment import Capabilities

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.backends.chatkit_python.client import ChatKitPython
    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.url import MirrorTarget

__all__ = ["BACKEND", "CHATKIT_PYTHON"]

CHATKIT_PYTHON = Capabilities(kind="chatkit-python", delete=True)


def _chooses(config: Config, mirror: MirrorTarget | None) -> bool:
    return mirror is None and config.chatkit_url is not None


def _open(
    config: Config, mirror: MirrorTarget | None, http: httpx.AsyncClient | None
) -> ChatKitPython:
    from chatkit_tui.backends.chatkit_python.client import ChatKitPython

    assert config.chatkit_url is not None
    return ChatKitPython(config.chatkit_url, dict(config.headers), http_client=http)


def _where(config: Config) -> str | None:
    return config.chatkit_url


# The profile's chatkit_url and headers (header_env, header_command: secrets from the
# environment or a command) are read by the config itself: Config.chatkit_url, .headers.
BACKEND = Backend(
    name="chatkit-python",
    capabilities=CHATKIT_PYTHON,
    label="a self-hosted (chatkit-python) deployment",
    chooses=_chooses,
    open=_open,
    where=_where,
    flags=(
        Flag(
            "--chatkit-url",
            "a self-hosted deployment: the operator's chatkit-python endpoint "
            "(e.g. https://support.example.com/chatkit, or a profile's chatkit_url); no API "
            "key needed",
            acts="the self-hosted (chatkit-python) deployment called, with no API key",
            metavar="URL",
        ),
        Flag(
            "--header",
            "a header sent to --chatkit-url's server, 'Name: value' (repeatable; values are "
            "secrets, never shown; a profile's header_env keeps them out of the process list)",
            acts="sent with every request to the self-hosted deployment",
            metavar="HEADER",
            repeat=True,
            names_deployment=False,
        ),
    ),
)
