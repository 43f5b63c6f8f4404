"""Keys remapped in the config file's ``[keys]`` table that collide with another binding.

Textual resolves a key by walking the binding chain from the focused widget up to its
screen, then the app (a modal screen stops the walk: the app's bindings do not reach it).
Within one table, a remapped key replaces the binding that had it (``apply_keymap``). So
``"main.delete" = "j"`` silently loses to the thread list's ``threads.down``. This module
finds such collisions from the binding tables alone (pure functions); the app warns once
at start and the help screen lists them. The remap is never blocked. The places to
look come from :mod:`chatkit_tui.tui.keys.registry`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingsMap, BindingType
from textual.dom import DOMNode
from textual.keys import KEY_NAME_REPLACEMENTS, format_key

from chatkit_tui.tui.keys.registry import APP_BINDINGS, places


def _key_name(key: str) -> str:
    """A one-character key by name, as Textual names keys ("?" -> "question_mark")."""
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:  # a control character has no name: Textual keeps it as it is
        return key
    return KEY_NAME_REPLACEMENTS.get(name, name)


def plain_label(key: str) -> str:
    """A key as Textual displays it, for messages made without an app at hand."""
    return format_key(key)


def normalize_keys(keys: str) -> str:
    """What set_keymap does to a keymap's keys, so that we compare the same names."""
    return ",".join(_key_name(key.strip()) for key in keys.split(","))


# one table of bindings, as Textual holds it: single key -> the bindings on that key
Layer = Mapping[str, Sequence[Binding]]


@dataclass(frozen=True)
class Context:
    """Where a set of tables is active at once; ``layers`` innermost (first to try) first."""

    name: str
    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class KeyConflict:
    key: str
    winner: str  # the binding id (or description) that gets the key
    losers: tuple[str, ...]  # bindings that can no longer be reached with the key
    contexts: tuple[str, ...]  # where (e.g. "the thread list")
    unreachable: tuple[str, ...]  # losers left with no key at all in some of those places

    def message(self, label: Callable[[str], str] = plain_label) -> str:
        """One sentence; ``label`` names a key (the app passes its own display names)."""
        where = " and ".join(self.contexts)
        losers = ", ".join(self.losers)
        key = label(self.key)
        text = f"{key} is bound to {self.winner} and {losers} in {where}: {self.winner} wins"
        if self.unreachable:
            text += f", so {', '.join(self.unreachable)} cannot be reached there"
        else:
            text += f"; {losers} keeps its other keys"
        return text + "."


def layer(bindings: Iterable[BindingType]) -> Layer:
    return BindingsMap(bindings).key_to_bindings


def class_layer(cls: type[DOMNode]) -> Layer:
    """A widget or screen class's table with inherited bindings, as Textual merged them.

    Textual keeps the merge it made when the class was defined in ``_merged_bindings``
    (what each instance copies); reading it beats copying the merge. Textual is pinned to
    the minor version this is tested on (``tests/tui/test_textual_internals.py``)."""
    merged = cls._merged_bindings
    if merged is None:  # pragma: no cover - Textual sets it for every DOMNode subclass
        raise RuntimeError(f"Textual did not merge the bindings of {cls.__name__}")
    return merged.key_to_bindings


def _name(binding: Binding) -> str:
    return binding.id or repr(binding.description or binding.action)


def _claims(ctx: Context, keymap: Mapping[str, str]) -> dict[str, list[tuple[int, bool, str]]]:
    """key -> (rank, remapped onto this key, binding name) for every binding on the key."""
    claims: dict[str, list[tuple[int, bool, str]]] = {}
    for index, table in enumerate(ctx.layers):
        seen: set[str] = set()
        for key, bindings in table.items():
            for binding in bindings:
                name = _name(binding)
                rank = -1 if binding.priority else index  # priority bindings go first
                remap = keymap.get(binding.id) if binding.id else None
                if remap is None:
                    claims.setdefault(key, []).append((rank, False, name))
                elif name not in seen:
                    seen.add(name)
                    for new_key in (k.strip() for k in normalize_keys(remap).split(",")):
                        if new_key:
                            claims.setdefault(new_key, []).append((rank, True, name))
    return claims


def key_conflicts(contexts: Iterable[Context], keymap: Mapping[str, str]) -> list[KeyConflict]:
    """Collisions involving a remapped key, merged across the contexts where they happen."""
    found: dict[tuple[str, str, tuple[str, ...]], tuple[list[str], set[str]]] = {}
    for ctx in contexts:
        claims = _claims(ctx, keymap)
        lost: dict[str, set[str]] = {}  # binding -> keys it lost here
        results: list[tuple[str, str, tuple[str, ...]]] = []
        for key, on_key in claims.items():
            names = {name for _, _, name in on_key}
            if len(names) < 2 or not any(remapped for _, remapped, _ in on_key):
                continue
            # innermost table first; within a table the remapped binding replaces the other
            _, _, winner = min(on_key, key=lambda c: (c[0], not c[1]))
            losers = tuple(sorted(names - {winner}))
            for loser in losers:
                lost.setdefault(loser, set()).add(key)
            results.append((key, winner, losers))
        for key, winner, losers in results:
            where, dead = found.setdefault((key, winner, losers), ([], set()))
            where.append(ctx.name)
            for loser in losers:
                keys = {k for k, on_key in claims.items() if any(n == loser for *_, n in on_key)}
                if keys <= lost[loser]:
                    dead.add(loser)
    return [
        KeyConflict(key, winner, losers, tuple(where), tuple(sorted(dead)))
        for (key, winner, losers), (where, dead) in found.items()
    ]


def app_contexts() -> list[Context]:
    """The app's real contexts (from the registry), each as Textual will walk it."""
    app = layer(APP_BINDINGS)
    return [
        Context(place.name, (*(class_layer(cls) for cls in place.classes), *((app,) * place.app)))
        for place in places()
    ]


def conflict_warning(
    keymap: Mapping[str, str], label: Callable[[str], str] = plain_label
) -> str | None:
    """The notification for the app's start, or None when no remapped key collides."""
    if not keymap:
        return None
    conflicts = key_conflicts(app_contexts(), keymap)
    if not conflicts:
        return None
    lines = [f"config [keys]: {c.message(label)}" for c in conflicts]
    lines.append("The remap is kept; pick another key in [keys] if that is not what you want.")
    return "\n".join(lines)


def lost_keys(
    keymap: Mapping[str, str], label: Callable[[str], str] = plain_label
) -> dict[str, str]:
    """Binding id -> a short note on the keys it loses to a remap, for the help screen."""
    winners: dict[str, dict[str, list[str]]] = {}  # loser -> key -> winners
    for conflict in key_conflicts(app_contexts(), keymap) if keymap else []:
        for loser in conflict.losers:
            winners.setdefault(loser, {}).setdefault(label(conflict.key), []).append(
                conflict.winner
            )
    return {
        loser: "; ".join(f"{key} → {', '.join(dict.fromkeys(w))}" for key, w in keys.items())
        for loser, keys in winners.items()
    }
