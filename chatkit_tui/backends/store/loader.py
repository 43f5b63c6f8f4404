"""Loading the operator's own chatkit-python Store: ``--store MODULE:FACTORY``.

The contract (the README's "Your own Store" section says the same to operators):

- ``MODULE`` is imported with the current directory first on ``sys.path`` (so a
  ``mystore.py`` beside the operator works), ``FACTORY`` is an attribute of it;
- ``FACTORY()`` takes no arguments and returns a pair ``(store, context_for)``: ``store``
  a :class:`chatkit.store.Store`, ``context_for(user)`` the request context for that
  end user, ``context_for(None)`` the context that sees the whole deployment (a Store
  scopes by user through its context, as chatkit-python's own do);
- either the factory or ``context_for`` may be async.

Every failure is a :class:`StoreLoadError` worded for the operator, naming the spec and
what was wrong; nothing of the operator's configuration (a DSN in their module, say) is
repeated beyond the exception type and message their own code raised.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from chatkit_tui.core.errors import WordedError
from chatkit_tui.mirrorfile import redact

__all__ = ["INSTALL", "LoadedStore", "StoreLoadError", "load_store", "parse_spec", "said"]

INSTALL = "pip install 'chatkit-tui[self-hosted]'"


_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)(@)")


def said(exc: BaseException) -> str:
    """``Type: message`` of what the operator's code raised, with the password of any URL
    in it (``postgres://user:secret@db``, ``password=...``) made ``***``: their Store's
    exceptions often echo its DSN."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + "***" + m.group(3), str(exc))
    return f"{type(exc).__name__}: {redact(text)}"


def interrupted(exc: BaseException) -> bool:
    """``exc`` is a Ctrl-C in disguise: a library wrapped the KeyboardInterrupt raised in
    it (chained), or pydantic-core, whose schema building turns one into a ``SchemaError``
    that only names it. The operator's module did not fail: the user stopped the run."""
    seen: BaseException | None = exc
    for _ in range(20):  # a chain, not a cycle
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        if type(seen).__name__ == "SchemaError" and "KeyboardInterrupt" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class StoreLoadError(WordedError):
    """The Store named by ``--store`` cannot be loaded (worded for the operator)."""


@dataclass(frozen=True)
class LoadedStore:
    """The operator's Store and the way to make its request contexts."""

    spec: str
    store: Any  # chatkit.store.Store: chatkit is an optional extra, not imported here
    context_for: Callable[[str | None], Any]

    async def context(self, user: str | None) -> Any:
        """The request context for ``user`` (None: the whole deployment)."""
        context = self.context_for(user)
        if inspect.isawaitable(context):
            context = await context
        return context


def parse_spec(spec: str) -> tuple[str, str]:
    """``"pkg.module:factory"`` -> ``("pkg.module", "factory")``; a worded error otherwise."""
    module, sep, factory = spec.strip().partition(":")
    if not sep or not module or not factory:
        raise StoreLoadError(
            f"--store {spec!r}: expected MODULE:FACTORY (e.g. mystore:make_store), a module "
            "importable from the current directory and a callable in it"
        )
    if not all(part.isidentifier() for part in module.split(".")) or not all(
        part.isidentifier() for part in factory.split(".")
    ):
        raise StoreLoadError(f"--store {spec!r}: {module!r} or {factory!r} is not a Python name")
    return module, factory


def require_chatkit() -> None:
    """The ``self-hosted`` extra is installed, or a worded error that says how."""
    try:  # imported, not only found: a broken or blocked install is as good as none
        with warnings.catch_warnings():  # openai-chatkit 1.6.5 warns about its own widgets
            warnings.filterwarnings("ignore", "Direct usage of named widget", DeprecationWarning)
            importlib.import_module("chatkit.store")
    except ImportError:
        raise StoreLoadError(
            f"--store needs chatkit-python (openai-chatkit), which is not installed: {INSTALL}"
        ) from None


def _import(spec: str, module_name: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise StoreLoadError(
                f"--store {spec!r}: no module {module_name!r} in the current directory "
                f"({cwd}) or on the Python path"
            ) from None
        raise StoreLoadError(
            f"--store {spec!r}: importing {module_name!r} failed: it needs {exc.name!r}, "
            "which is not installed"
        ) from None
    except Exception as exc:  # the operator's module raised while importing
        if interrupted(exc):
            raise KeyboardInterrupt from None
        raise StoreLoadError(
            f"--store {spec!r}: importing {module_name!r} raised {said(exc)}"
        ) from None


async def load_store(spec: str) -> LoadedStore:
    """Import ``MODULE``, call ``FACTORY()`` (awaiting it if async) and check its answer."""
    module_name, factory_name = parse_spec(spec)
    require_chatkit()
    from chatkit.store import Store

    target: Any = _import(spec, module_name)
    for part in factory_name.split("."):
        if not hasattr(target, part):
            raise StoreLoadError(f"--store {spec!r}: {module_name!r} has no {factory_name!r}")
        target = getattr(target, part)
    if not callable(target):
        raise StoreLoadError(f"--store {spec!r}: {factory_name!r} is not callable")
    try:
        made: Any = target()
        if inspect.isawaitable(made):
            made = await made
    except Exception as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from None
        raise StoreLoadError(f"--store {spec!r}: {factory_name}() raised {said(exc)}") from None
    kind = type(made).__name__
    if not (isinstance(made, tuple) and len(cast(tuple[Any, ...], made)) == 2):
        raise StoreLoadError(
            f"--store {spec!r}: {factory_name}() must return a pair (store, context_for), "
            f"not {kind}"
        )
    store: Any
    context_for: Any
    store, context_for = cast(tuple[Any, Any], made)
    if not isinstance(store, Store):
        raise StoreLoadError(
            f"--store {spec!r}: the first of the pair is a {type(store).__name__}, not a "
            "chatkit.store.Store"
        )
    if not callable(context_for):
        raise StoreLoadError(
            f"--store {spec!r}: the second of the pair must be context_for(user), a callable"
        )
    return LoadedStore(spec=spec, store=store, context_for=_checked(spec, context_for))


def _checked(spec: str, context_for: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    def call(user: str | None) -> Any | Awaitable[Any]:
        try:
            return context_for(user)
        except Exception as exc:
            who = "the whole deployment" if user is None else f"user {user!r}"
            raise StoreLoadError(
                f"--store {spec!r}: context_for({user!r}) ({who}) raised {said(exc)}"
            ) from None

    return call
