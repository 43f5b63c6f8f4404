"""Backends declare themselves: each folder is found, and the configuration chooses one."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatkit_tui.backends import NoDeployment, backends, connect, describe
from chatkit_tui.backends.chatkit_python.client import ChatKitPython
from chatkit_tui.backends.mirror.deployment import MirrorDeployment
from chatkit_tui.backends.store.deployment import StoreDeployment
from chatkit_tui.client import AsyncChatKit
from chatkit_tui.config import Config
from tests.fixtures.mirror_file import fill_mirror

PACKAGE = Path(__file__).resolve().parents[2] / "chatkit_tui" / "backends"


def test_every_backend_folder_declares_itself() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    found = backends()
    assert {b.name.replace("-", "_") for b in found} == folders
    flags = [f.name for b in found for f in b.flags]
    assert "--chatkit-url" in flags and "--header" in flags and "--store" in flags
    assert len(flags) == len(set(flags))


async def test_the_configuration_chooses_the_deployment(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    fill_mirror(path, 3)
    headers = (("Authorization", "Bearer a-secret-token-1234"),)
    self_hosted = Config(chatkit_url="http://127.0.0.1:9/chatkit", headers=headers)
    async with connect(self_hosted) as d:
        assert isinstance(d, ChatKitPython) and d.capabilities.kind == "chatkit-python"
        assert describe(d) == "chatkit-python · http://127.0.0.1:9/chatkit"
        assert "a-secret-token" not in repr(d)
    async with connect(self_hosted, mirror=path) as m:  # a mirror named wins: it is read
        assert isinstance(m, MirrorDeployment) and not m.capabilities.delete
        assert describe(m) == "mirror · http://origin.invalid/v1"
    own = Config(options={"store": "tests.fixtures.own_store:make_store"}, api_key="sk-x")
    async with connect(own) as s:  # the Store named wins over the hosted API
        assert isinstance(s, StoreDeployment) and s.capabilities.kind == "chatkit-python store"
        assert describe(s) == "chatkit-python store · tests.fixtures.own_store:make_store"
    async with connect(own, mirror=path) as m:
        assert isinstance(m, MirrorDeployment)
    async with connect(Config(api_key="sk-x", base_url="http://127.0.0.1:9/v1")) as h:
        assert isinstance(h, AsyncChatKit) and h.capabilities.sessions
        assert describe(h) == "http://127.0.0.1:9/v1"
    with pytest.raises(NoDeployment, match="no API key"):
        connect(Config())
