"""Remapped keys that collide with another binding in the same context (pure functions)."""

from __future__ import annotations

from textual.binding import Binding

from chatkit_tui.tui.keys.conflicts import (
    Context,
    app_contexts,
    conflict_warning,
    key_conflicts,
    layer,
)

WIDGET = layer([Binding("j,down", "down", "Down", id="w.down"), Binding("x", "x", "X", id="w.x")])
SCREEN = layer(
    [
        Binding("d,delete", "delete", "Delete", id="s.delete"),
        Binding("u", "user", "User", id="s.user"),
    ]
)
APP = layer([Binding("q", "quit", "Quit", id="app.quit")])
CONTEXTS = [Context("the list", (WIDGET, SCREEN, APP)), Context("the dialog", (SCREEN,))]


def test_the_focused_widget_wins_and_the_remapped_binding_is_unreachable() -> None:
    [conflict] = key_conflicts(CONTEXTS, {"s.delete": "j"})
    assert (conflict.key, conflict.winner, conflict.losers) == ("j", "w.down", ("s.delete",))
    assert conflict.contexts == ("the list",)
    assert conflict.unreachable == ("s.delete",)
    assert "w.down wins, so s.delete cannot be reached there" in conflict.message()


def test_in_one_table_the_remap_replaces_the_binding_that_had_the_key() -> None:
    [conflict] = key_conflicts(CONTEXTS, {"s.delete": "u"})
    assert (conflict.winner, conflict.losers) == ("s.delete", ("s.user",))
    assert conflict.contexts == ("the list", "the dialog")
    assert conflict.unreachable == ("s.user",)


def test_a_loser_with_other_keys_keeps_them() -> None:
    [conflict] = key_conflicts(CONTEXTS, {"s.user": "j"})
    assert conflict.winner == "w.down" and conflict.unreachable == ("s.user",)
    [conflict] = key_conflicts(CONTEXTS, {"w.x": "down"})  # w.down keeps j
    assert (conflict.winner, conflict.losers, conflict.unreachable) == ("w.x", ("w.down",), ())
    assert "keeps its other keys" in conflict.message()


def test_an_inner_remap_shadows_an_app_binding_and_keys_are_normalized() -> None:
    [conflict] = key_conflicts(CONTEXTS, {"w.x": "q"})
    assert (conflict.winner, conflict.losers) == ("w.x", ("app.quit",))
    assert conflict.contexts == ("the list",)  # the dialog does not have the app's keys
    help_table = layer([Binding("question_mark", "help", "Help", id="help")])
    [conflict] = key_conflicts([Context("c", (WIDGET, help_table))], {"w.x": "?"})
    assert (conflict.key, conflict.winner, conflict.losers) == ("question_mark", "w.x", ("help",))
    assert conflict.message().startswith("? is bound to w.x and help in c")


def test_no_remap_no_conflict_and_free_keys_are_fine() -> None:
    assert key_conflicts(CONTEXTS, {}) == []
    [conflict] = key_conflicts(CONTEXTS, {"s.delete": "x,ctrl+x"})  # ctrl+x is free
    assert (conflict.key, conflict.winner, conflict.unreachable) == ("x", "w.x", ())
    assert key_conflicts(CONTEXTS, {"s.delete": "z", "w.down": "ctrl+n"}) == []
    # swapping two keys is not a conflict
    assert key_conflicts(CONTEXTS, {"s.delete": "u", "s.user": "d"}) == []


def test_the_apps_tables() -> None:
    conflicts = key_conflicts(app_contexts(), {"main.delete": "j"})
    found = {(c.key, c.winner, c.losers, c.contexts) for c in conflicts}
    assert found == {
        ("j", "threads.down", ("main.delete",), ("the thread list",)),
        ("j", "view.down", ("main.delete",), ("the thread view",)),
    }
    assert key_conflicts(app_contexts(), {"main.delete": "?"})[0].losers == ("app.help",)
    assert key_conflicts(app_contexts(), {"main.delete": "x", "threads.down": "ctrl+n"}) == []
    warning = conflict_warning({"main.delete": "j"})
    assert warning is not None and "main.delete cannot be reached" in warning
    assert conflict_warning({"main.export": "x"}) is None


def test_keys_are_named_as_textual_names_them() -> None:
    from chatkit_tui.tui.keys.conflicts import normalize_keys

    assert normalize_keys("?, j,/,-,@,ctrl+x") == "question_mark,j,slash,minus,at,ctrl+x"
