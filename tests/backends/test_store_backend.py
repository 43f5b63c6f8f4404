"""The operator's own chatkit-python Store in process (``--store MODULE:FACTORY``): a real
``chatkit.store.Store`` subclass (the sample's, scoped by user through its context,
tests/fixtures/own_store.py) browsed, read, exported, deleted with its archive, mirrored
and searched, purged; what HTTP hides (hidden context, metadata) shown; every way the
operator's factory or Store can fail worded, with its exit code; and ``--store`` without
chatkit installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chatkit_tui.backends import connect, describe
from chatkit_tui.backends.store.deployment import StoreDeployment
from chatkit_tui.cli import main
from chatkit_tui.config import Config
from chatkit_tui.core.mirror import default_mirror_path
from tests.fixtures import own_store
from tests.fixtures.chatkit_python import (
    HIDDEN_TYPES,
    ITEM_TYPES,
    KITCHEN_SINK_THREAD,
    LONG_THREAD,
    LONG_THREAD_HIDDEN,
    LONG_THREAD_VISIBLE,
    REFUND_THREAD,
    SampleStore,
)

SPEC = "tests.fixtures.own_store:make_store"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store() -> SampleStore:
    """A freshly seeded Store behind SPEC (30 threads, the sample's)."""
    return own_store.fresh()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


# --- browse --------------------------------------------------------------------------------


def test_list_in_both_orders_and_paged_as_the_store_pages(
    store: SampleStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "threads", "list", "--json", "--store", SPEC)
    assert code == 0, err
    listed = lines(out)
    assert [t["id"] for t in listed] == store.stored_thread_ids()  # newest first
    assert all(t["metadata"]["channel"] == "web" for t in listed)  # kept, as stored
    code, out, _ = run(capsys, "--store", SPEC, "threads", "list", "--order", "asc", "--json")
    assert [t["id"] for t in lines(out)] == store.stored_thread_ids()[::-1]
    code, out, _ = run(capsys, "threads", "list", "--store", SPEC)
    assert code == 0 and "Charged twice for order #5120" in out


async def test_pages_follow_the_stores_cursor(store: SampleStore) -> None:
    async with connect(Config(options={"store": SPEC})) as deployment:
        assert isinstance(deployment, StoreDeployment)
        assert describe(deployment) == f"chatkit-python store · {SPEC}"
        pages = [page async for page in deployment.threads.list(limit=7).pages()]
        assert [len(p.data) for p in pages] == [7, 7, 7, 7, 2]
        assert [t.id for p in pages for t in p.data] == store.stored_thread_ids()
        with pytest.raises(ValueError, match="cannot page backwards"):
            deployment.threads.list(before="thr_x")
        items = [i.id async for i in deployment.threads.list_items(LONG_THREAD, limit=50)]
        stored = [i.id for i in store.stored_items(LONG_THREAD)]
        assert items == stored[::-1]  # every one, hidden ones too, newest first


def test_show_gives_metadata_and_items_every_type_hidden_ones_too(
    store: SampleStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "threads", "show", KITCHEN_SINK_THREAD, "--store", SPEC)
    assert code == 0, err
    assert 'metadata: {"channel": "web", "rank": 0}' in out.splitlines()
    code, out, _ = run(capsys, "threads", "show", KITCHEN_SINK_THREAD, "--json", "--store", SPEC)
    [thread] = lines(out)
    assert thread["metadata"] == {"channel": "web", "rank": 0}
    assert thread["allowed_image_domains"] == ["files.example.com"]
    assert len(thread["items"]["data"]) == 14  # its first page, as threads.get_by_id's
    code, out, _ = run(capsys, "threads", "items", KITCHEN_SINK_THREAD, "--json", "--store", SPEC)
    items = lines(out)
    assert {i["type"] for i in items} == set(ITEM_TYPES)  # hidden context included
    assert HIDDEN_TYPES <= {i["type"] for i in items}
    code, out, _ = run(capsys, "threads", "items", KITCHEN_SINK_THREAD, "--store", SPEC)
    assert '{"customer_tier":"gold","order_id":"4411"}' in out


def test_a_thread_that_is_not_there_and_text_shown_literally(
    store: SampleStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "threads", "show", "thr_nope", "--store", SPEC)
    assert code == 3
    assert err == (
        f"chatkit-tui: error: not found in the Store ({SPEC}): load_thread of thread "
        "'thr_nope' raised NotFoundError: Thread thr_nope not found\n"
    )
    row = next(iter(store._threads.values()))
    row.meta.metadata = {"note": "\x1b[31mred\x1b[0m [bold]x[/bold]"}
    code, out, _ = run(capsys, "threads", "show", row.meta.id, "--store", SPEC)
    assert code == 0 and "\x1b" not in out
    # the JSON's escape, its backslash doubled by the CLI's escaping: nothing raw reaches it
    assert '"note": "\\\\u001b[31mred\\\\u001b[0m [bold]x[/bold]"' in out


# --- delete, export, purge -----------------------------------------------------------------


def test_delete_archives_what_the_store_had_then_the_thread_is_gone(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    had = [i.id for i in store.stored_items(LONG_THREAD)]
    code, out, err = run(
        capsys, "threads", "delete", LONG_THREAD, "--yes", "--archive-dir", str(tmp_path),
        "--store", SPEC,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"deleted {LONG_THREAD}")
    archive = json.loads(next(tmp_path.rglob("*.json")).read_text())
    assert archive["thread"]["id"] == LONG_THREAD
    assert archive["thread"]["metadata"] == {"channel": "web", "rank": 3}
    assert [i["id"] for i in archive["items"]] == had  # every item, hidden ones too
    assert len(had) == LONG_THREAD_VISIBLE + LONG_THREAD_HIDDEN
    assert LONG_THREAD not in store.stored_thread_ids()
    code, _, err = run(capsys, "threads", "show", LONG_THREAD, "--store", SPEC)
    assert code == 3 and "NotFoundError" in err


def test_export_holds_what_the_store_holds(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "threads", "export", KITCHEN_SINK_THREAD, "--dir", str(tmp_path), "--store", SPEC
    )
    assert code == 0, err
    exported = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert exported["thread"]["metadata"] == {"channel": "web", "rank": 0}
    assert [i["id"] for i in exported["items"]] == [
        i.id for i in store.stored_items(KITCHEN_SINK_THREAD)
    ]
    assert "hidden_context_item" in {i["type"] for i in exported["items"]}


def test_purge_by_age_and_status(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wanted = {
        row.meta.id
        for row in store._threads.values()
        if row.meta.status.type == "closed" and row.meta.created_at.isoformat() < "2026-11-01"
    }
    assert wanted and len(wanted) < store.count_threads()
    report = tmp_path / "report.jsonl"
    code, _, err = run(
        capsys, "threads", "purge", "--before", "2026-11-01", "--status", "closed", "--yes",
        "--report", str(report), "--archive-dir", str(tmp_path / "archive"), "--store", SPEC,
    )  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in report.read_text().splitlines()]
    deleted = {
        r["id"] for r in records if r.get("record") == "thread" and r["outcome"] == "deleted"
    }
    assert deleted == wanted
    assert not deleted & set(store.stored_thread_ids())
    assert records[0]["endpoint"] == SPEC


# --- a user's view ---------------------------------------------------------------------------


def test_a_user_filter_is_that_users_view(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The Store has no user filter; a user's view is context_for(user), and each thread
    listed there is that user's (the table and a purge by user say so)."""
    alices = store.stored_thread_ids(user="alice")
    assert 0 < len(alices) < store.count_threads()
    code, out, err = run(capsys, "threads", "list", "--user", "alice", "--json", "--store", SPEC)
    assert code == 0, err
    assert [t["id"] for t in lines(out)] == alices
    code, out, _ = run(capsys, "threads", "list", "--user", "alice", "--store", SPEC)
    assert out.count("alice") == len(alices)
    code, out, err = run(
        capsys, "threads", "purge", "--user", "alice", "--dry-run", "--store", SPEC,
        "--report", str(tmp_path / "r.jsonl"),
    )  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    matched = {r["id"] for r in records if r.get("record") == "thread"}
    assert matched == set(alices)
    assert store.count_threads() == 30  # a dry run


# --- mirror, search, --mirror ------------------------------------------------------------------


def test_mirror_of_a_store_searched_and_browsed(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "store.sqlite3"
    code, out, err = run(capsys, "mirror", "--db", str(db), "--store", SPEC)
    assert code == 0, err
    assert "mirrored 30 threads" in out
    code, out, _ = run(capsys, "search", "cracked", "jar", "--db", str(db), "--json")
    assert code == 0 and {h["thread_id"] for h in lines(out)} == {KITCHEN_SINK_THREAD}
    code, out, err = run(capsys, "--mirror", str(db), "threads", "list", "--json")
    assert code == 0 and len(out.splitlines()) == 30
    assert "chatkit-python store deployment" in err  # what the mirror copies
    code, out, _ = run(capsys, "--mirror", str(db), "threads", "items", LONG_THREAD, "--json")
    assert len(out.splitlines()) == LONG_THREAD_VISIBLE + LONG_THREAD_HIDDEN
    # without --db: the Store's own default mirror, found again by --store
    code, out, err = run(capsys, "mirror", "--store", SPEC)
    assert code == 0, err
    assert default_mirror_path(SPEC).exists()
    code, out, _ = run(capsys, "search", "charged", "twice", "--store", SPEC, "--json")
    assert code == 0 and {h["thread_id"] for h in lines(out)} == {REFUND_THREAD}
    code, out, err = run(capsys, "--mirror", "--store", SPEC, "threads", "list", "--json")
    assert code == 0 and len(out.splitlines()) == 30, err


def test_insights_of_a_store_mirror_counts_no_user(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """chatkit-python's threads carry no user (the mirror holds ""): insights counts no
    user, not one user named "" with every thread (it said "30 threads, 1 user")."""
    db = tmp_path / "store.sqlite3"
    code, _, err = run(capsys, "mirror", "--db", str(db), "--store", SPEC)
    assert code == 0, err
    code, out, err = run(capsys, "insights", "--db", str(db), "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["threads"] == 30
    assert figures["users"] == 0 and figures["active_users"] == []


# --- what cannot be done, and the operator's mistakes ---------------------------------------------


def test_refused_with_the_reason(store: SampleStore, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, why in [
        (["sessions", "cancel", "cksess_1", "--yes"], "--store does not go with sessions cancel"),
        (["serve"], "--store does not go with serve"),
        (["--base-url", "http://127.0.0.1:9/v1", "threads", "list"], "name two deployments"),
        (["--chatkit-url", "http://127.0.0.1:9/c", "threads", "list"], "name two deployments"),
        (["--demo", "threads", "list"], "--demo and --store cannot go together"),
        (["--header", "X-A: 1", "threads", "list"], "--store, and the hosted API take no --header"),
    ]:
        code, _, err = run(capsys, *argv, "--store", SPEC)
        assert code == 2 and why in err, (argv, err)


LOADER_ERRORS = [
    ("nocolon", "--store: expected MODULE:FACTORY (e.g. mystore:make_store), got 'nocolon'"),
    ("not-a-name:x", "'not-a-name' or 'x' is not a Python name"),
    ("tests.fixtures.no_such_module:make", "no module 'tests.fixtures.no_such_module'"),
    ("tests.fixtures.own_store:nothing", "'tests.fixtures.own_store' has no 'nothing'"),
    ("tests.fixtures.own_store:NOT_CALLABLE", "'NOT_CALLABLE' is not callable"),
    (
        "tests.fixtures.own_store:raises",
        "raises() raised RuntimeError: could not connect to postgres at db.internal:5432",
    ),
    (  # a DSN in the operator's exception: its password is never repeated
        "tests.fixtures.own_store:raises_with_its_dsn",
        "raised ConnectionError: cannot reach postgres://chatkit:***@db.internal/chatkit",
    ),
    ("tests.fixtures.own_store:not_a_pair", "must return a pair (store, context_for), not"),
    ("tests.fixtures.own_store:not_a_store", "the first of the pair is a dict, not a"),
    (
        "tests.fixtures.own_store:context_raises",
        "context_for(None) (the whole deployment) raised PermissionError: no such user None",
    ),
]


@pytest.mark.parametrize(("spec", "message"), LOADER_ERRORS, ids=[s for s, _ in LOADER_ERRORS])
def test_every_loader_error_is_an_exit_2_with_its_message(
    spec: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "threads", "list", "--store", spec)
    assert (code, out) == (2, "")
    assert err.startswith("chatkit-tui: error: ") and message in err, err
    assert "hunter2" not in err


def test_the_contract_allows_async(store: SampleStore, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "threads", "list", "--json", "--store", "tests.fixtures.own_store:make_store_async"
    )
    assert code == 0, err
    assert [t["id"] for t in lines(out)] == store.stored_thread_ids()


def test_a_store_that_fails_mid_list_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "tests.fixtures.own_store:failing_store"
    code, out, err = run(capsys, "threads", "list", "--json", "--store", spec)
    assert code == 1
    assert len(out.splitlines()) == 100  # the first page, then the failure
    assert err == (
        f"chatkit-tui: error: the Store ({spec}) failed: load_threads raised "
        "ConnectionResetError: server closed the connection unexpectedly\n"
    )


def test_a_profile_names_the_store(
    store: SampleStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'default_profile = "own"\n[profiles.own]\nstore = "{SPEC}"\n')
    code, out, err = run(capsys, "--config", str(config), "threads", "list", "--json")
    assert code == 0, err
    assert len(out.splitlines()) == 30
    config.write_text(f'[profiles.own]\nbase_url = "https://a.test/v1"\nstore = "{SPEC}"\n')
    code, _, err = run(capsys, "--config", str(config), "threads", "list")
    assert code == 2
    assert "line 3: profile 'own' sets base_url and store: a profile names one deployment" in err


BLOCK_CHATKIT = (
    "import sys; sys.modules['chatkit'] = None\n"  # as if openai-chatkit were not installed
    "from chatkit_tui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
RUN_CLI = "import sys\nfrom chatkit_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


@pytest.mark.parametrize("blocked", ["not installed", "broken install"])
@pytest.mark.parametrize("argv", [["threads", "list"], []], ids=["threads list", "the app"])
def test_without_chatkit_installed_it_says_how_to_install_it(
    argv: list[str], blocked: str, tmp_path: Path
) -> None:
    """Not installed (``import chatkit`` finds nothing), or a broken install found on the
    path whose import fails (a shim package on PYTHONPATH): the same words, exit 2."""
    path = str(ROOT)
    code = BLOCK_CHATKIT
    if blocked == "broken install":
        shim = tmp_path / "shim" / "chatkit"
        shim.mkdir(parents=True)
        (shim / "__init__.py").write_text("raise ImportError('chatkit is broken here')\n")
        path, code = f"{shim.parent}{os.pathsep}{ROOT}", RUN_CLI
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--store", SPEC],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "chatkit-tui: error: --store needs chatkit-python (openai-chatkit), which is not "
        "installed: pip install 'chatkit-tui[self-hosted]'\n"
    )


def test_the_app_opens_the_store_before_it_starts(tmp_path: Path) -> None:
    """The app's own path (cli.main -> run_app): the Store loaded, then the app built on it."""
    from tests.unit.test_startup_imports import start_up_modules

    modules = start_up_modules(["--store", SPEC], tmp_path=tmp_path)
    assert "chatkit.store" in modules and "tests.fixtures.own_store" in modules


def test_the_app_on_a_store_that_will_not_load_is_an_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--store", "tests.fixtures.own_store:raises"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "chatkit-tui: error: --store 'tests.fixtures.own_store:raises': raises() raised "
        "RuntimeError: could not connect to postgres at db.internal:5432\n"
    )
