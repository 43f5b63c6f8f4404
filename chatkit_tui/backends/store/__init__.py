"""The operator's own chatkit-python Store, in process (``--store MODULE:FACTORY``, or a
profile's ``store``): their code, their database, no server between.

What the Store holds is what an operator sees, including what chatkit-python's HTTP
protocol hides: hidden-context items and each thread's ``metadata``. Reads use the
context that sees the whole deployment (``context_for(None)``); a user filter
(``threads list --user U``, ``mirror --user U``, the app's) lists through
``context_for(U)``, that user's view, whose threads are then known to be U's. Loading
the Store (:mod:`.loader`, the contract) happens on first use; this module imports
neither chatkit nor the reader (:mod:`.deployment`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatkit_tui.backends import Backend, Flag
from chatkit_tui.client.deployment import Capabilities

if TYPE_CHECKING:
    import httpx

    from chatkit_tui.backends.store.deployment import StoreDeployment
    from chatkit_tui.config import Config
    from chatkit_tui.core.mirror.url import MirrorTarget

__all__ = ["BACKEND", "STORE"]

STORE = Capabilities(
    kind="chatkit-python store",
    user_filter=True,
    delete=True,
    threads_held="in the Store",
    threads_from="from the Store",
)


def _spec(config: Config) -> str | None:
    return config.options.get("store")


def _chooses(config: Config, mirror: MirrorTarget | None) -> bool:
    return mirror is None and _spec(config) is not None


def _open(
    config: Config, mirror: MirrorTarget | None, http: httpx.AsyncClient | None
) -> StoreDeployment:
    from chatkit_tui.backends.store.deployment import StoreDeployment

    spec = _spec(config)
    assert spec is not None
    return StoreDeployment.open(spec)


def _check(spec: str) -> str | None:
    module, sep, factory = spec.strip().partition(":")
    if not sep or not module or not factory:
        return f"expected MODULE:FACTORY (e.g. mystore:make_store), got {spec!r}"
    return None


BACKEND = Backend(
    name="store",
    capabilities=STORE,
    label="a chatkit-python Store (--store)",
    chooses=_chooses,
    open=_open,
    where=_spec,
    priority=40,
    flags=(
        Flag(
            "--store",
            "your own chatkit-python Store, in process: MODULE:FACTORY, FACTORY() giving "
            "(store, context_for) (README: 'Your own Store'); hidden context and metadata "
            "shown; no API key, no server",
            acts="the operator's chatkit-python Store read in process (context_for(None))",
            metavar="MODULE:FACTORY",
            profile_key="store",
            check=_check,
        ),
    ),
)
