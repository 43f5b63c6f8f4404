"""``chatkit-tui search``'s messages: the query shown as typed, one wording for a bad
``--limit``, a ``--type`` the mirror holds nothing of named as a mistake (with the types
it does hold), and counts in the app's search screen that agree with their number."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from chatkit_tui.cli import main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin
from chatkit_tui.server.run import BackgroundServer


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("mirror") / "m.sqlite3"

    async def go(origin: BackgroundServer) -> None:
        async with AsyncChatKit(api_key="k", base_url=origin.base_url) as client:
            with Mirror.open(path, create=True, origin=Origin(origin.base_url)) as mirror:
                assert (await MirrorSync(client, mirror).run()).complete

    with BackgroundServer(seed=10) as origin:
        asyncio.run(go(origin))
    yield str(path)


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("\\", "'\\'"),
        ("\\\\ --", "'\\\\ --'"),
        ('"*"', "'\"*\"'"),
        ("\x1b[2J", "'\\x1b[2J'"),  # what a terminal would act on: escaped
    ],
)
def test_nothing_to_search_for_shows_the_query_as_typed(
    db: str, query: str, shown: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["search", "--db", db, query]) == 2
    err = capsys.readouterr().err
    assert f"nothing to search for in {shown}: no letters or digits" in err, err
    assert "\x1b" not in err


@pytest.mark.parametrize("limit", ["0", "-1", "many", "1.5"])
def test_a_bad_limit_has_one_message(db: str, limit: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        main(["search", "--db", db, "refund", f"--limit={limit}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"expected a whole number of 1 or more, got {limit!r}" in err, err


def test_a_type_the_mirror_holds_nothing_of_is_named_with_those_it_holds(
    db: str, capsys: pytest.CaptureFixture[str]
):
    assert main(["search", "--db", db, "refund", "--type", "bogus"]) == 2
    err = capsys.readouterr().err
    held = err.split("it holds: ", 1)[1].strip()
    assert "no item of type 'bogus' in the mirror; it holds: " in err
    assert held.split(", ") == sorted(held.split(", "))
    assert {"title", "user_message", "assistant_message"} <= set(held.split(", "))
    assert (
        main(["search", "--db", db, "refund", "--type", "bogus", "--type", "nope", "--json"]) == 2
    )
    assert "no item of types 'bogus', 'nope' in the mirror" in capsys.readouterr().err
    assert main(["search", "--db", db, "refund", "--type", "a\\b"]) == 2
    assert "no item of type 'a\\b' in the mirror" in capsys.readouterr().err
    # a type it holds: no mistake, whether it matches or not
    assert main(["search", "--db", db, "refund", "--type", "chatkit.user_message"]) == 0
    capsys.readouterr()
    assert main(["search", "--db", db, "zzzqqqxxx", "--type", "title"]) == 0
    assert "no matches" in capsys.readouterr().err
