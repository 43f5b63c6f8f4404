"""Names in the config file that only the app can check: a ``[keys]`` binding id and the
``theme``. The binding ids and the themes live in the app's layer (which this package may
not import), so the app passes them in (:func:`chatkit_tui.tui.run.check_app_names`)
before it starts; an unknown one is a :class:`ConfigError` naming its line, as every other
mistake in the file is."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from pathlib import Path

from chatkit_tui.config.file import ConfigError
from chatkit_tui.config.lines import find_line, key_lines
from chatkit_tui.config.resolve import Config


def _text(config: Config) -> tuple[Path | None, str]:
    if config.config_path is None:
        return None, ""
    path = Path(config.config_path)
    try:
        return path, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # read a moment ago; the line is only a courtesy
        return path, ""


def _binding(key_path: tuple[str, ...]) -> str | None:
    """The binding id a key path of the file sets (``("keys", "main", "delete")``)."""
    return ".".join(key_path[1:]) if key_path[:1] == ("keys",) and key_path[1:] else None


def _suggestion(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_names(config: Config, *, binding_ids: Collection[str], themes: Collection[str]) -> None:
    """ConfigError (with the file and the line) for the first ``[keys]`` entry that names
    no binding in ``binding_ids``, or a ``theme`` not in ``themes``."""
    path, text = _text(config)
    for binding in config.keys:
        if binding in binding_ids:
            continue
        # written as "main.delete" = ..., main.delete = ..., or [keys.main] delete = ...
        found = (n for parts, n in key_lines(text) if _binding(parts) == binding)
        line = next(found, None) or (find_line(text, ["keys"]) if text else None)
        raise ConfigError(
            f"keys.{binding}: no binding has this id{_suggestion(binding, binding_ids)} "
            "(the help screen, ?, lists every id; so does the README's Keys table)",
            path=path,
            line=line,
        )
    if config.theme is not None and config.theme not in themes:
        known = ", ".join(sorted(themes))
        suggestion = _suggestion(config.theme, themes)
        raise ConfigError(
            f"theme {config.theme!r} is not a theme"
            + (f"{suggestion} (known: {known})" if suggestion else f"; known: {known}"),
            path=path,
            line=find_line(text, ["theme"]) if text else None,
        )
