"""API text as Rich ``Text``: shown exactly, never parsed as markup."""

from __future__ import annotations

from rich.text import Text

from chatkit_tui.core.text import visible


def literal(text: str, style: str = "") -> Text:
    """API text as a Rich Text, shown exactly (never markup), controls made visible."""
    return Text(visible(text), style=style)
