"""Every global flag on every command, before and after it: it acts, or it is refused (exit 2,
a message naming the flag); never silently ignored.

The deployment a command would call when nothing says otherwise is a scripted server on
loopback (the config file's default profile), which records every request: a flag that is
refused, or that sends the command elsewhere (``--demo``, ``--mirror``, ``--base-url``, another
profile or config file), must leave it untouched. What acting means is checked per flag:
``--demo threads list`` lists the demo's seeded threads, ``--mirror PATH threads items ID``
the mirror's items, ``--base-url X`` reaches X, and so on. The backends' flags are walked
too: ``--chatkit-url URL`` posts to URL (``--header`` with each request), ``--store
MODULE:FACTORY`` reads the operator's Store in process (tests/fixtures/own_store.py) and
sends nothing. The expectations here are written out on their own (:data:`REFUSED`), not
read from the flag table they check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from chatkit_tui.cli import build_parser, main
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.config import default_config_path
from chatkit_tui.core.local import DEMO_THREADS
from chatkit_tui.core.mirror import Mirror, MirrorSync, Origin, default_mirror_path
from chatkit_tui.scripting import globals as flags_table
from chatkit_tui.server.run import BackgroundServer
from chatkit_tui.server.seed import seed
from chatkit_tui.server.store import Store
from tests.fixtures import own_store
from tests.fixtures.chatkit_python import KITCHEN_SINK_THREAD
from tests.fixtures.scripted import Recorded, Reply, ScriptedServer
from tests.fixtures.server import BETA_HEADERS

# the six of our own, then the backends' (chatkit-python's two, the Store's)
FLAGS = (
    "mirror",
    "demo",
    "read_only",
    "profile",
    "config",
    "base_url",
    *("chatkit_url", "header", "store"),
)
OPTION = {
    "mirror": "--mirror",
    "demo": "--demo",
    "read_only": "--read-only",
    "profile": "--profile",
    "config": "--config",
    "base_url": "--base-url",
    "chatkit_url": "--chatkit-url",
    "header": "--header",
    "store": "--store",
}
STORE = "tests.fixtures.own_store:make_store"

# (command, flag) that must be refused: written out here, not read from the table
REFUSED = {
    *(
        (command, flag)
        for command in ("threads delete", "threads purge", "sessions create", "sessions cancel")
        for flag in ("mirror", "read_only")  # a mirror is a copy; read-only deletes nothing
    ),
    ("mirror", "mirror"),  # mirror writes a mirror: --db names it
    ("mirror", "demo"),  # the demo lasts one command: its mirror could never be updated
    ("search", "demo"),  # search reads a file, never a server
    ("migrate", "read_only"),  # migrate writes the Store (but --dry-run and --verify)
    # migrate's source is hosted (or its mirror); --to-store, not --store, names the Store
    *(("migrate", flag) for flag in ("chatkit_url", "header", "store")),
    ("insights", "demo"),  # so does insights
    *(("serve", flag) for flag in FLAGS),  # serve reads no config and calls nothing
    # neither a chatkit-python server nor a Store has ChatKit sessions
    *(
        (command, flag)
        for command in ("sessions create", "sessions cancel")
        for flag in ("chatkit_url", "header", "store")
    ),
}

FILE_ONLY = ("search", "insights")
"""The commands that read a mirror file and send no request."""
NOT_FOUND = {"error": {"message": "no such thing", "type": "invalid_request_error"}}


# --- the world the commands run in ------------------------------------------------------------


@dataclass
class Seeded:
    """What the demo server holds (the same seed as the demo's), and a mirror file."""

    demo_ids: list[str]
    demo_user: str  # owns a few small threads: a purge of them is quick
    mirror: Path
    mirror_ids: list[str]
    mirror_thread: str
    mirror_items: list[str]


def _all_ids(server: BackgroundServer, path: str, **params: str) -> list[str]:
    ids: list[str] = []
    after: str | None = None
    headers = {**BETA_HEADERS, "Authorization": "Bearer k"}
    while True:
        query = {"limit": "100", **params, **({"after": after} if after else {})}
        page = httpx.get(server.base_url + path, params=query, headers=headers).json()
        ids += [record["id"] for record in page["data"]]
        if not page["has_more"]:
            return ids
        after = page["last_id"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    store = Store(":memory:")
    seed(store, DEMO_THREADS)
    demo_ids: list[str] = []
    after: str | None = None
    while True:
        page = store.list_threads(limit=100, after=after)
        demo_ids += [t.id for t in page.data]
        if not page.has_more:
            break
        after = page.last_id
    big = {thread_id for thread_id, count in store.thread_ids_by_item_count(20) if count > 100}
    owners: dict[str, int] = {}
    for thread_id in demo_ids:
        thread = store.get_thread(thread_id)
        assert thread is not None and thread.user is not None
        if thread_id in big:
            owners[thread.user] = 10**6
        owners[thread.user] = owners.get(thread.user, 0) + 1
    demo_user = min(owners, key=lambda user: owners[user])
    store.close()

    path = tmp_path_factory.mktemp("mirror") / "mirror.sqlite3"
    with BackgroundServer(seed=6) as source:

        async def copy() -> None:
            with Mirror.open(path, create=True, origin=Origin(source.base_url)) as mirror:
                async with AsyncChatKit(api_key="k", base_url=source.base_url) as client:
                    assert (await MirrorSync(client, mirror).run()).complete

        asyncio.run(copy())
        mirror_ids = _all_ids(source, "/chatkit/threads")
        thread, _ = source.store.thread_ids_by_item_count(1)[0]
        items = _all_ids(source, f"/chatkit/threads/{thread}/items", order="asc")
    yield Seeded(demo_ids, demo_user, path, mirror_ids, thread, items)


EMPTY: dict[str, object] = {
    "object": "list",
    "data": [],
    "first_id": None,
    "last_id": None,
    "has_more": False,
}


def _answer(request: Recorded) -> Reply:
    """No threads at all (a listing is over at once), and no such thing by id."""
    if request.method == "GET" and request.path == "/v1/chatkit/threads":
        return Reply(200, EMPTY)
    return Reply(404, NOT_FOUND)


def _recording(server: ScriptedServer) -> ScriptedServer:
    server.handler = _answer
    server.start()
    return server


@dataclass
class World:
    real: ScriptedServer  # the default profile's endpoint: the "live" deployment
    other: ScriptedServer  # what --base-url, --profile other and --config OTHER name
    other_config: Path
    tmp: Path
    seeded: Seeded

    def untouched(self) -> bool:
        return not self.real.requests and not self.other.requests


@pytest.fixture
def world(seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    real, other = _recording(ScriptedServer()), _recording(ScriptedServer())
    config = default_config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        'default_profile = "real"\n'
        f'[profiles.real]\nbase_url = "{real.base_url}"\napi_key_env = "REAL_KEY"\n'
        f'[profiles.other]\nbase_url = "{other.base_url}"\napi_key_env = "OTHER_KEY"\n'
    )
    other_config = tmp_path / "other.toml"
    other_config.write_text(
        f'default_profile = "o"\n[profiles.o]\nbase_url = "{other.base_url}"\n'
        'api_key_env = "OTHER_KEY"\n'
    )
    monkeypatch.setenv("REAL_KEY", "sk-real-key")
    monkeypatch.setenv("OTHER_KEY", "sk-other-key")
    # what --base-url X is sent with: the default profile's key goes only to its own
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    monkeypatch.setenv("CHATKIT_TUI_SQLITE_STORE", str(tmp_path / "store.sqlite3"))
    # were anything to bypass the config, it would meet a closed proxy, not the internet
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    own_store.fresh()
    try:
        yield World(real, other, other_config, tmp_path, seeded)
    finally:
        real.stop()
        other.stop()


# --- the commands and the flags -----------------------------------------------------------------


def _thread(world: World, flag: str) -> str:
    if flag == "demo":
        return world.seeded.demo_ids[0]
    if flag == "mirror":
        return world.seeded.mirror_thread
    if flag == "store":
        return KITCHEN_SINK_THREAD
    return "cthr_x"


ARGS: dict[str, Callable[[World, str], list[str]]] = {
    "threads list": lambda w, f: ["--json"],
    "threads show": lambda w, f: [_thread(w, f), "--json"],
    "threads items": lambda w, f: [_thread(w, f), "--json"],
    "threads export": lambda w, f: [_thread(w, f), "--dir", str(w.tmp / "exports"), "--json"],
    "threads delete": lambda w, f: [_thread(w, f), "--yes", "--archive-dir", str(w.tmp / "a")],
    "threads purge": lambda w, f: [
        # chatkit-python has no user filter: a purge by status reaches it
        *(("--status", "closed") if f in ("chatkit_url", "header") else ()),
        *(() if f in ("chatkit_url", "header") else ("--user", _purged_user(w, f))),
        *("--yes", "--report", str(w.tmp / "report.jsonl"), "--archive-dir", str(w.tmp / "a")),
    ],
    "sessions create": lambda w, f: ["--user", "u_1", "--workflow", "wf_1", "--json"],
    "sessions cancel": lambda w, f: ["cksess_x", "--yes"],
    "mirror": lambda w, f: ["--db", str(w.tmp / "new.sqlite3")],
    "search": lambda w, f: ["refund"],
    "insights": lambda w, f: ["--json"],
    "serve": lambda w, f: ["--port", "70000"],  # not refused, it would fail fast, not run
    "migrate": lambda w, f: [
        *("--to-store", "tests.fixtures.stores.sqlite_store:make_store"),
        *("--report", str(w.tmp / "migrate.jsonl"), "--json"),
    ],
}


def _purged_user(world: World, flag: str) -> str:
    if flag == "store":
        return "dave"  # a user's view of the Store: context_for("dave")
    return world.seeded.demo_user if flag == "demo" else "u_nobody"


def chatkit_url(world: World) -> str:
    """A chatkit-python endpoint on the other server (which records every request)."""
    return world.other.base_url.removesuffix("/v1") + "/chatkit"


def flag_args(world: World, flag: str, command: str = "") -> list[str]:
    if flag == "header":  # it goes with --chatkit-url; alone where that is refused
        alone = command.startswith("sessions") or command in ("serve", "migrate")
        return ["--header", "X-Walk: 1", *([] if alone else ["--chatkit-url", chatkit_url(world)])]
    return {
        "mirror": ["--mirror", str(world.seeded.mirror)],
        "demo": ["--demo"],
        "read_only": ["--read-only"],
        "profile": ["--profile", "other"],
        "config": ["--config", str(world.other_config)],
        "base_url": ["--base-url", world.other.base_url],
        "chatkit_url": ["--chatkit-url", chatkit_url(world)],
        "store": ["--store", STORE],
    }[flag]


def argv_for(world: World, command: str, flag: str | None, where: str) -> list[str]:
    words = command.split()
    rest = ARGS[command](world, flag or "")
    given = flag_args(world, flag, command) if flag else []
    if where == "before":
        return [*given, *words, *rest]
    if where == "between":
        return [words[0], *given, *words[1:], *rest]
    return [*words, *rest, *given]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Ran:
    code = main(argv)
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def leaf_commands() -> list[str]:
    """Every command, found in the parser itself (so a new one cannot be forgotten here)."""
    found: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        subs = [a for a in parser._actions if a.nargs == argparse.PARSER]
        if not subs:
            found.append(prefix)
            return
        children: dict[str, argparse.ArgumentParser] = cast(Any, subs[0].choices)
        for name, child in children.items():
            walk(child, f"{prefix} {name}".strip())

    walk(build_parser(), "")
    return found


# between a group and its action (threads --demo list): the group's parser reads the flags
# the same way for each action, so one that acts and one that refuses in each group
BETWEEN = {"threads list", "threads delete", "sessions cancel"}


def cases() -> Iterator[Any]:
    for command in leaf_commands():
        places = ("before", "between", "after") if command in BETWEEN else ("before", "after")
        for flag in FLAGS:
            for where in places:
                yield pytest.param(command, flag, where, id=f"{command} {OPTION[flag]} {where}")


def test_the_walk_covers_every_command_and_the_table_names_each() -> None:
    commands = leaf_commands()
    assert len(commands) == 13 and "threads purge" in commands and "serve" in commands
    assert set(ARGS) == set(commands)
    assert set(flags_table.TABLE) == {"", *commands}


# --- what acting means, flag by flag -----------------------------------------------------------


def acts_elsewhere(world: World, command: str, ran: Ran) -> None:
    """--base-url X, --profile other, --config OTHER: the command goes to X."""
    if command in FILE_ONLY:  # the endpoint named chooses the mirror: X's, which is not there
        assert ran.code == 2
        assert f"no mirror at {default_mirror_path(world.other.base_url)}" in ran.err
        return
    assert world.other.requests, ran.err
    assert not world.real.requests
    # never the real deployment's key: X's own (--profile other, --config OTHER), or the
    # environment's for --base-url X
    sent = {r.headers.get("authorization") for r in world.other.requests}
    assert "Bearer sk-real-key" not in sent
    assert sent <= {"Bearer sk-other-key", "Bearer sk-env-key"}


def acts_on_chatkit_python(world: World, command: str, ran: Ran, flag: str) -> None:
    """--chatkit-url URL (and --header with it): the command posts to URL, the headers
    with every request; search and insights read URL's mirror."""
    if command in FILE_ONLY:
        assert ran.code == 2
        assert f"no mirror at {default_mirror_path(chatkit_url(world))}" in ran.err
        return
    assert world.other.requests and not world.real.requests, ran.err
    assert all(r.method == "POST" for r in world.other.requests)
    assert "authorization" not in world.other.requests[0].headers  # no OpenAI key sent
    if flag == "header":
        assert all(r.headers.get("x-walk") == "1" for r in world.other.requests)


def acts_on_store(world: World, command: str, ran: Ran) -> None:
    """--store MODULE:FACTORY: the operator's Store read in process, nothing sent."""
    assert world.untouched(), "reading a Store touched an endpoint"
    store = own_store.STORE
    if command in FILE_ONLY:
        assert ran.code == 2
        assert f"no mirror at {default_mirror_path(STORE)}" in ran.err
        return
    assert ran.code == 0, ran.err
    if command == "threads list":
        assert [t["id"] for t in ran.json()] == store.stored_thread_ids()
    elif command == "threads show":
        assert ran.json()[0]["metadata"] == {"channel": "web", "rank": 0}
    elif command == "threads items":
        assert len(ran.json()) == len(store.stored_items(KITCHEN_SINK_THREAD)) == 14
    elif command == "threads export":
        saved = json.loads(Path(ran.json()[0]["json"]).read_text())
        assert len(saved["items"]) == 14
    elif command == "threads delete":
        assert ran.out.startswith(f"deleted {KITCHEN_SINK_THREAD}")
        assert KITCHEN_SINK_THREAD not in store.stored_thread_ids()
    elif command == "threads purge":
        assert "deleted 0" not in ran.out and "deleted" in ran.out, ran.out
        assert store.stored_thread_ids(user="dave") == []
        assert store.stored_thread_ids(user="alice")  # only dave's
    elif command == "mirror":
        assert "mirrored 30 threads" in ran.out
    else:
        raise AssertionError(f"no store check for {command}")


def acts_on_demo(world: World, command: str, ran: Ran) -> None:
    assert world.untouched(), "the demo touched a real endpoint"
    assert f"{DEMO_THREADS} seeded threads" in ran.err
    demo = world.seeded.demo_ids
    if command == "threads list":
        assert [t["id"] for t in ran.json()] == demo
    elif command == "threads show":
        assert ran.json()[0]["id"] == demo[0]
    elif command == "threads items":
        assert ran.code == 0 and len(ran.json()) > 5
    elif command == "threads export":
        saved = json.loads(Path(ran.json()[0]["json"]).read_text())
        assert saved["thread"]["id"] == demo[0]
    elif command == "threads delete":
        assert ran.out.startswith(f"deleted {demo[0]}")
    elif command == "threads purge":
        assert ran.code == 0 and "deleted" in ran.out, ran.err
    elif command == "sessions create":
        assert ran.json()[0]["user"] == "u_1"
    elif command == "sessions cancel":  # the demo holds no such session: its 404
        assert ran.code == 3 and "404" in ran.err
    elif command == "migrate":
        threads = [r["id"] for r in ran.json() if r["record"] == "thread"]
        assert ran.code == 0 and threads == demo, ran.err
    else:
        raise AssertionError(f"no demo check for {command}")


def acts_on_mirror(
    world: World, command: str, ran: Ran, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.untouched(), "reading the mirror touched a real endpoint"
    seeded = world.seeded
    if command == "threads list":
        assert [t["id"] for t in ran.json()] == seeded.mirror_ids
    elif command == "threads show":
        assert ran.json()[0]["id"] == seeded.mirror_thread
    elif command == "threads items":
        assert [i["id"] for i in ran.json()] == seeded.mirror_items
    elif command == "threads export":
        saved = json.loads(Path(ran.json()[0]["json"]).read_text())
        assert [i["id"] for i in saved["items"]] == seeded.mirror_items
    elif command == "migrate":  # --mirror PATH is --from-mirror PATH
        threads = [r["id"] for r in ran.json() if r["record"] == "thread"]
        assert ran.code == 0 and threads == seeded.mirror_ids, ran.err
    elif command == "search":  # --mirror PATH is --db PATH
        assert ran.code == 0 and ran.out
        assert run(["search", "refund", "--db", str(seeded.mirror)], capsys) == ran
    elif command == "insights":  # --mirror PATH is --db PATH
        assert ran.code == 0 and ran.json()[0]["threads"] > 0
        assert run(["insights", "--json", "--db", str(seeded.mirror)], capsys) == ran
    else:
        raise AssertionError(f"no mirror check for {command}")
    if command not in FILE_ONLY:
        assert "reading the mirror " in ran.err  # of another deployment than the profile's: said


def acts_read_only(
    world: World, command: str, ran: Ran, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a command that changes nothing, --read-only is honoured by running as usual."""
    assert "read-only" not in ran.err
    if command not in FILE_ONLY:  # it went where it goes without the flag
        assert world.real.requests and not world.other.requests
    baseline = run(argv_for(world, command, None, "after"), capsys)
    assert ran.code == baseline.code


@pytest.mark.parametrize(("command", "flag", "where"), list(cases()))
def test_every_global_flag_acts_or_is_refused(
    command: str, flag: str, where: str, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(argv_for(world, command, flag, where), capsys)
    if (command, flag) in REFUSED:
        assert ran.code == 2, ran.err
        error = ran.err.splitlines()[-1]  # after a note, if any, on unused variables
        assert OPTION[flag] in error and error.startswith("chatkit-tui: error: ")
        assert world.untouched()
        return
    assert "does not go with" not in ran.err
    if flag in ("base_url", "profile", "config"):
        acts_elsewhere(world, command, ran)
    elif flag in ("chatkit_url", "header"):
        acts_on_chatkit_python(world, command, ran, flag)
    elif flag == "store":
        acts_on_store(world, command, ran)
    elif flag == "demo":
        acts_on_demo(world, command, ran)
    elif flag == "mirror":
        acts_on_mirror(world, command, ran, capsys)
    else:
        acts_read_only(world, command, ran, capsys)


# --- flags against each other, and a mirror named by nothing but the endpoint --------------------


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("--demo", "--mirror M", "--demo and --mirror cannot go together"),
        ("--demo", "--base-url http://x.invalid/v1", "--demo and --base-url cannot go together"),
        ("--mirror M", "--base-url http://x.invalid/v1", "--mirror PATH and --base-url cannot"),
        ("--demo", "--store S", "--demo and --store cannot go together"),
        ("--demo", "--chatkit-url http://x.invalid/c", "--demo and --chatkit-url cannot go"),
        ("--base-url http://x.invalid/v1", "--store S", "--base-url and --store name two"),
        ("--store S", "--chatkit-url http://x.invalid/c", "--store and --chatkit-url name two"),
        ("--mirror M", "--store S", "--mirror PATH and --store cannot go together"),
        ("--mirror M", "--chatkit-url http://x.invalid/c", "--mirror PATH and --chatkit-url"),
    ],
    ids=[
        "demo+mirror",
        "demo+base-url",
        "mirror PATH+base-url",
        "demo+store",
        "demo+chatkit-url",
        "base-url+store",
        "store+chatkit-url",
        "mirror PATH+store",
        "mirror PATH+chatkit-url",
    ],
)
@pytest.mark.parametrize("command", ["", "threads list", "search"], ids=["app", "list", "search"])
def test_flags_that_contradict_each_other_are_refused(
    command: str,
    first: str,
    second: str,
    message: str,
    world: World,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each pair before the command, after it, and one on each side; the app too."""
    one, two = (
        [{"M": str(world.seeded.mirror), "S": STORE}.get(w, w) for w in f.split()]
        for f in (first, second)
    )
    if command == "search" and first == "--demo":
        message = "--demo does not go with search"
    words = [*command.split(), *(["refund"] if command == "search" else [])]
    for argv in ([*one, *two, *words], [*words, *one, *two], [*one, *words, *two]):
        ran = run(argv, capsys)
        assert ran.code == 2, argv
        assert ran.err.startswith(f"chatkit-tui: error: {message}"), ran.err
    assert world.untouched()


def test_search_with_both_mirror_and_db_is_refused(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run(["--mirror", str(world.seeded.mirror), "search", "x", "--db", "other.db"], capsys)
    assert (ran.code, ran.err) == (
        2,
        "chatkit-tui: error: --mirror and --db cannot go together: both name the mirror; "
        "give one\n",
    )


def test_mirror_without_a_path_reads_the_endpoint_s_mirror(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bare --mirror, even right before the command (not taken for its PATH): the mirror of
    the endpoint the profile names, at its default place."""
    default = default_mirror_path(world.real.base_url)
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_bytes(world.seeded.mirror.read_bytes())
    ran = run(["--mirror", "threads", "list", "--json"], capsys)
    assert [t["id"] for t in ran.json()] == world.seeded.mirror_ids
    ran = run(["threads", "list", "--json", "--mirror", "--profile", "other"], capsys)
    assert ran.code == 2 and f"no mirror at {default_mirror_path(world.other.base_url)}" in ran.err
    assert world.untouched()


def test_a_mirror_needs_no_key(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a mirror needs no key (a profile's key command is not run for it)."""
    monkeypatch.delenv("REAL_KEY")
    ran = run(["--mirror", str(world.seeded.mirror), "threads", "list", "--json"], capsys)
    assert ran.code == 0, ran.err


def test_a_command_may_refuse_every_backends_flag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command naming its deployments with flags of its own refuses every backend's, the
    ones to come too, with one reason (``Row.backends``)."""
    import dataclasses

    row = dataclasses.replace(
        flags_table.TABLE["threads list"], backends=flags_table.Refused("it has its own")
    )
    monkeypatch.setitem(flags_table.TABLE, "threads list", row)
    for flag, value in (("--store", STORE), ("--chatkit-url", "http://x.invalid/c")):
        ran = run(["threads", "list", flag, value], capsys)
        assert (ran.code, ran.err) == (
            2,
            f"chatkit-tui: error: {flag} does not go with threads list: it has its own\n",
        )
