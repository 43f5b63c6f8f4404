"""Bad input: every invalid parameter or body is a 400 in OpenAI's shape, never a 500,
and never changes the database; routes, methods, keys and the beta header."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import REQUEST_ID, api, assert_error

MakeServer = Callable[..., BackgroundServer]

BAD_LIST_PARAMS: list[tuple[dict[str, str], str, str]] = [
    ({"limit": "-1"}, "limit", "invalid_type"),
    ({"limit": "101"}, "limit", "integer_above_max_value"),
    ({"limit": "1000000000"}, "limit", "invalid_type"),
    ({"limit": "abc"}, "limit", "invalid_type"),
    ({"limit": "1.5"}, "limit", "invalid_type"),
    ({"limit": ""}, "limit", "invalid_type"),
    ({"limit": " 5"}, "limit", "invalid_type"),
    ({"limit": "+5"}, "limit", "invalid_type"),
    ({"limit": "0x10"}, "limit", "invalid_type"),
    ({"order": "ASC"}, "order", "invalid_value"),
    ({"order": "newest"}, "order", "invalid_value"),
    ({"order": ""}, "order", "invalid_value"),
    ({"after": ""}, "after", "empty_string"),
    ({"before": ""}, "before", "empty_string"),
    ({"after": "cthr_missing"}, "after", "invalid_cursor"),
]


@pytest.mark.parametrize(("params", "param", "code"), BAD_LIST_PARAMS)
def test_bad_list_params_are_400(
    seeded_server: BackgroundServer, params: dict[str, str], param: str, code: str
):
    with api(seeded_server) as client:
        assert_error(client.get("/chatkit/threads", params=params), 400, param=param, code=code)
        thread_id = client.get("/chatkit/threads").json()["data"][0]["id"]
        response = client.get(f"/chatkit/threads/{thread_id}/items", params=params)
        assert_error(response, 400, param=param, code=code)


@pytest.mark.parametrize(
    ("user", "code"), [("", "empty_string"), ("x" * 513, "string_above_max_length")]
)
def test_bad_user_filter_is_400(seeded_server: BackgroundServer, user: str, code: str):
    with api(seeded_server) as client:
        assert_error(client.get("/chatkit/threads", params={"user": user}), 400, param="user",
                     code=code)  # fmt: skip
        ok = client.get("/chatkit/threads", params={"user": "x" * 512})
        assert ok.status_code == 200


def test_repeated_and_non_utf8_query_parameters(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        assert_error(client.get("/chatkit/threads?limit=1&limit=2"), 400, param="limit")
        assert_error(client.get("/chatkit/threads?user=%ff%fe"), 400)
        # unknown query parameters are ignored, as SDKs may add their own
        assert client.get("/chatkit/threads?foo=bar").status_code == 200


def test_item_cursor_from_another_thread_is_400(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        first, second = client.get("/chatkit/threads", params={"limit": 2}).json()["data"]
        other_item = client.get(f"/chatkit/threads/{second['id']}/items").json()["data"]
        if not other_item:
            pytest.skip("seed changed: the second thread has no items")
        response = client.get(
            f"/chatkit/threads/{first['id']}/items", params={"after": other_item[0]["id"]}
        )
        assert_error(response, 400, param="after", code="invalid_cursor")


VALID_SESSION: dict[str, Any] = {"user": "u", "workflow": {"id": "wf_1"}}

BAD_BODIES: list[tuple[bytes | dict[str, Any], str | None, str]] = [
    (b"", None, "invalid_json"),
    (b"{", None, "invalid_json"),
    (b"not json", None, "invalid_json"),
    (b"\xff\xfe", None, "invalid_json"),
    (b"[]", None, "invalid_type"),
    (b"null", None, "invalid_type"),
    ({}, "workflow", "missing_required_parameter"),
    ({"workflow": {"id": "wf"}}, "user", "missing_required_parameter"),
    ({"user": "u"}, "workflow", "missing_required_parameter"),
    ({"user": "", "workflow": {"id": "wf"}}, "user", "invalid_value"),
    ({"user": 5, "workflow": {"id": "wf"}}, "user", "invalid_type"),
    ({"user": None, "workflow": {"id": "wf"}}, "user", "invalid_type"),
    ({"user": "u", "workflow": "wf"}, "workflow", "invalid_type"),
    ({"user": "u", "workflow": {}}, "workflow.id", "missing_required_parameter"),
    ({"user": "u", "workflow": {"id": 1}}, "workflow.id", "invalid_type"),
    ({"user": "u", "workflow": {"id": "wf", "version": 2}}, "workflow.version", "invalid_type"),
    ({"user": "u", "workflow": {"id": "wf", "tracing": {"enabled": "yes"}}},
     "workflow.tracing.enabled", "invalid_type"),
    ({"user": "u", "workflow": {"id": "wf", "state_variables": {"a": [1]}}},
     "workflow.state_variables[...]", "invalid_type"),
    ({"user": "u", "workflow": {"id": "wf", "state_variables": {"a": None}}},
     "workflow.state_variables[...]", "invalid_type"),
    ({"user": "u", "workflow": {"id": "wf", "state_variables": {f"k{i}": i for i in range(65)}}},
     "workflow.state_variables", "invalid_value"),
    ({"user": "u", "workflow": {"id": "wf", "state_variables": {"k" * 65: 1}}},
     "workflow.state_variables", "invalid_value"),
    ({**VALID_SESSION, "expires_after": {"anchor": "created_at", "seconds": 0}},
     "expires_after.seconds", "invalid_value"),
    ({**VALID_SESSION, "expires_after": {"anchor": "created_at", "seconds": 601}},
     "expires_after.seconds", "invalid_value"),
    ({**VALID_SESSION, "expires_after": {"anchor": "created_at", "seconds": 1.5}},
     "expires_after.seconds", "invalid_type"),
    ({**VALID_SESSION, "expires_after": {"anchor": "now", "seconds": 60}},
     "expires_after.anchor", "invalid_value"),
    ({**VALID_SESSION, "expires_after": {"seconds": 60}},
     "expires_after.anchor", "missing_required_parameter"),
    ({**VALID_SESSION, "expires_after": 60}, "expires_after", "invalid_type"),
    ({**VALID_SESSION, "rate_limits": {"max_requests_per_1_minute": 0}},
     "rate_limits.max_requests_per_1_minute", "invalid_value"),
    ({**VALID_SESSION, "rate_limits": {"max_requests_per_1_minute": True}},
     "rate_limits.max_requests_per_1_minute", "invalid_type"),
    ({**VALID_SESSION, "chatkit_configuration": {"file_upload": {"max_file_size": 513}}},
     "chatkit_configuration.file_upload.max_file_size", "invalid_value"),
    ({**VALID_SESSION, "chatkit_configuration": {"file_upload": {"max_files": 0}}},
     "chatkit_configuration.file_upload.max_files", "invalid_value"),
    ({**VALID_SESSION, "chatkit_configuration": {"history": {"recent_threads": 0}}},
     "chatkit_configuration.history.recent_threads", "invalid_value"),
    ({**VALID_SESSION, "chatkit_configuration": {"history": {"enabled": 1}}},
     "chatkit_configuration.history.enabled", "invalid_type"),
    ({**VALID_SESSION, "surprise": 1}, "surprise", "unknown_parameter"),
    ({**VALID_SESSION, "workflow": {"id": "wf", "extra": 1}}, "workflow.extra",
     "unknown_parameter"),
    ({**VALID_SESSION, "chatkit_configuration": {"theme": "dark"}},
     "chatkit_configuration.theme", "unknown_parameter"),
]  # fmt: skip


@pytest.fixture(scope="module")
def session_server() -> Iterator[BackgroundServer]:
    """A server on which no valid session is ever created."""
    with BackgroundServer(seed=3) as server:
        yield server


@pytest.mark.parametrize(("body", "param", "code"), BAD_BODIES)
def test_bad_session_bodies_are_400_and_store_nothing(
    session_server: BackgroundServer, body: bytes | dict[str, Any], param: str | None, code: str
):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with api(session_server) as client:
        response = client.post(
            "/chatkit/sessions", content=content, headers={"content-type": "application/json"}
        )
    assert_error(response, 400, param=param, code=code)
    assert _session_count(session_server) == 0


def _session_count(server: BackgroundServer) -> int:
    return int(server.store._db.execute("SELECT count(*) FROM sessions").fetchone()[0])


def test_oversized_body_is_413(session_server: BackgroundServer):
    big = b'{"user": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    with api(session_server) as client:
        assert_error(client.post("/chatkit/sessions", content=big), 413)
    assert _session_count(session_server) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nope"),
        ("GET", "/nope"),
        ("GET", "/"),
        ("GET", "/chatkit/threads"),  # no /v1 prefix
        ("GET", "/v1/chatkit/threads/"),
        ("GET", "/v1/chatkit/threads//items"),
        ("GET", "/v1/chatkit/threads/x/items/y"),
        ("POST", "/v1/chatkit/sessions/x"),
        ("GET", "/v1/chatkit"),
    ],
)
def test_unknown_routes_are_404_in_openai_shape(
    seeded_server: BackgroundServer, method: str, path: str
):
    with api(seeded_server, root=True) as client:
        error = assert_error(client.request(method, path), 404)
    assert error["message"] == f"Invalid URL ({method} {path})"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/chatkit/threads", "GET"),
        ("PUT", "/chatkit/threads/cthr_1", "DELETE, GET"),
        ("DELETE", "/chatkit/threads/cthr_1/items", "GET"),
        ("GET", "/chatkit/sessions", "POST"),
        ("GET", "/chatkit/sessions/cksess_1/cancel", "POST"),
        ("HEAD", "/chatkit/threads", "GET"),
    ],
)
def test_wrong_methods_are_405(
    local_server: BackgroundServer, method: str, path: str, allowed: str
):
    count = local_server.store.count_threads()
    with api(local_server) as client:
        response = client.request(method, path)
    assert response.status_code == 405
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"])
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert_error(response, 405)
    assert local_server.store.count_threads() == count


def test_api_key(make_server: MakeServer):
    server = make_server(seed=5, api_key="sk-local-secret")
    with api(server) as client:
        error = assert_error(client.get("/chatkit/threads"), 401)
        assert "sk-local-secret" not in error["message"]
    with api(server, key="sk-wrong") as client:
        error = assert_error(client.get("/chatkit/threads"), 401, code="invalid_api_key")
        assert "sk-wrong" not in error["message"]
        assert_error(client.delete("/chatkit/threads/x"), 401)
        assert_error(client.post("/chatkit/sessions", json=VALID_SESSION), 401)
    with api(server, key="sk-local-secret") as client:
        assert client.get("/chatkit/threads").status_code == 200
        client.headers["Authorization"] = "Basic sk-local-secret"
        assert_error(client.get("/chatkit/threads"), 401)
        client.headers["Authorization"] = "bearer sk-local-secret"
        assert client.get("/chatkit/threads").status_code == 200
    assert server.store.count_threads() == 5


def test_without_a_configured_key_any_key_or_none_is_accepted(seeded_server: BackgroundServer):
    with api(seeded_server, key="anything") as client:
        assert client.get("/chatkit/threads").status_code == 200
    with api(seeded_server) as client:
        assert client.get("/chatkit/threads").status_code == 200


def test_beta_header_is_required(make_server: MakeServer, seeded_server: BackgroundServer):
    with api(seeded_server, beta=False) as client:
        assert_error(client.get("/chatkit/threads"), 400, code="missing_beta_header")
        client.headers["OpenAI-Beta"] = "assistants=v2, chatkit_beta=v1"
        assert client.get("/chatkit/threads").status_code == 200
        client.headers["OpenAI-Beta"] = "chatkit_beta=v2"
        assert_error(client.get("/chatkit/threads"), 400, code="missing_beta_header")
    relaxed = make_server(seed=2, require_beta_header=False)
    with api(relaxed, beta=False) as client:
        assert client.get("/chatkit/threads").status_code == 200


def test_request_ids_are_unique(seeded_server: BackgroundServer):
    with api(seeded_server) as client:
        ids = {client.get("/chatkit/threads", params={"limit": 1}).headers["x-request-id"]
               for _ in range(20)}  # fmt: skip
    assert len(ids) == 20
