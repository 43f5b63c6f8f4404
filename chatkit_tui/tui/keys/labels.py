"""Keys as people read them, named as Textual's footer names them
(:meth:`textual.app.App.get_key_display`), so the help screen and the footer agree."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding


def key_label(app: App[Any], keys: str) -> str:
    """``"d,delete"`` -> ``"d del"``: each key of a binding as the app displays it."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    return " ".join(app.get_key_display(Binding(key, "")) for key in parts)
