"""Small helpers for talking to the local server over real HTTP."""

from __future__ import annotations

import functools
import re
import ssl
from types import EllipsisType
from typing import Any

import httpx

from chatkit_tui.server.run import BackgroundServer
from tests.fixtures.server import BETA_HEADERS

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: httpx builds a new one per client (~45 ms)."""
    return ssl.create_default_context()


def api(
    server: BackgroundServer, *, key: str | None = None, beta: bool = True, root: bool = False
) -> httpx.Client:
    """A client on ``server.base_url`` (or the bare ``server.url`` with ``root``)."""
    headers = dict(BETA_HEADERS) if beta else {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    base = server.url if root else server.base_url
    return httpx.Client(base_url=base, headers=headers, timeout=10, verify=_tls())


def assert_error(
    response: httpx.Response,
    status: int,
    *,
    param: str | EllipsisType | None = ...,
    code: str | EllipsisType | None = ...,
) -> dict[str, Any]:
    """The response is an OpenAI-shaped error with a request id; returns the error object."""
    assert response.status_code == status, response.text
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"])
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    if param is not ...:
        assert error["param"] == param, error
    if code is not ...:
        assert error["code"] == code, error
    return error


def all_pages(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list, following ``after=last_id`` like the SDKs do."""
    pages: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        if not page["has_more"] or not page["last_id"]:
            return pages
        query["after"] = page["last_id"]
        assert len(pages) < 10_000
