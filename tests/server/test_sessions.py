"""Sessions over HTTP: create with defaults or overrides, expiry, cancel."""

from __future__ import annotations

import time
from typing import Any

from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import REQUEST_ID, api, assert_error

MINIMAL: dict[str, Any] = {"user": "user_1", "workflow": {"id": "wf_abc"}}


def test_create_fills_every_default(local_server: BackgroundServer):
    before = int(time.time())
    with api(local_server) as client:
        response = client.post("/chatkit/sessions", json=MINIMAL)
    after = int(time.time())
    assert response.status_code == 200
    assert REQUEST_ID.fullmatch(response.headers["x-request-id"])
    session = response.json()
    assert session["id"].startswith("cksess_")
    assert session["client_secret"].startswith("ek_") and len(session["client_secret"]) > 30
    assert before + 600 <= session["expires_at"] <= after + 600
    session.pop("client_secret")
    session.pop("id")
    session.pop("expires_at")
    assert session == {
        "object": "chatkit.session",
        "workflow": {"id": "wf_abc", "version": None, "state_variables": None,
                     "tracing": {"enabled": True}},
        "user": "user_1",
        "rate_limits": {"max_requests_per_1_minute": 10},
        "max_requests_per_1_minute": 10,
        "status": "active",
        "chatkit_configuration": {
            "automatic_thread_titling": {"enabled": True},
            "file_upload": {"enabled": False, "max_file_size": 512, "max_files": 10},
            "history": {"enabled": True, "recent_threads": None},
        },
    }  # fmt: skip


def test_create_with_every_override(local_server: BackgroundServer):
    body = {
        "user": "ops@example.com",
        "workflow": {
            "id": "wf_full",
            "version": "7",
            "state_variables": {"plan": "pro", "seats": 12, "ratio": 0.5, "beta": True},
            "tracing": {"enabled": False},
        },
        "expires_after": {"anchor": "created_at", "seconds": 42},
        "rate_limits": {"max_requests_per_1_minute": 99},
        "chatkit_configuration": {
            "automatic_thread_titling": {"enabled": False},
            "file_upload": {"enabled": True, "max_file_size": 16, "max_files": 3},
            "history": {"enabled": False, "recent_threads": 5},
        },
    }
    with api(local_server) as client:
        session = client.post("/chatkit/sessions", json=body).json()
    assert abs(session["expires_at"] - (time.time() + 42)) <= 2
    assert session["workflow"] == body["workflow"]
    assert session["rate_limits"] == {"max_requests_per_1_minute": 99}
    assert session["max_requests_per_1_minute"] == 99
    assert session["chatkit_configuration"] == body["chatkit_configuration"]
    assert session["status"] == "active"


def test_partial_configuration_keeps_other_defaults(local_server: BackgroundServer):
    body: dict[str, Any] = {
        **MINIMAL,
        "workflow": {"id": "wf", "state_variables": {}, "tracing": {}},
        "rate_limits": {},
        "chatkit_configuration": {"file_upload": {"enabled": True}, "history": {}},
    }
    with api(local_server) as client:
        session = client.post("/chatkit/sessions", json=body).json()
    assert session["workflow"]["state_variables"] == {}
    assert session["workflow"]["tracing"] == {"enabled": True}
    assert session["max_requests_per_1_minute"] == 10
    assert session["chatkit_configuration"]["file_upload"] == {
        "enabled": True, "max_file_size": 512, "max_files": 10,
    }  # fmt: skip
    assert session["chatkit_configuration"]["history"] == {"enabled": True, "recent_threads": None}


def test_every_session_gets_a_fresh_id_and_secret(local_server: BackgroundServer):
    with api(local_server) as client:
        sessions = [client.post("/chatkit/sessions", json=MINIMAL).json() for _ in range(5)]
    assert len({s["id"] for s in sessions}) == 5
    assert len({s["client_secret"] for s in sessions}) == 5


def test_cancel(local_server: BackgroundServer):
    with api(local_server) as client:
        created = client.post("/chatkit/sessions", json=MINIMAL).json()
        response = client.post(f"/chatkit/sessions/{created['id']}/cancel")
        assert response.status_code == 200
        cancelled = response.json()
        assert cancelled == {**created, "status": "cancelled"}
        again = client.post(f"/chatkit/sessions/{created['id']}/cancel")
        assert again.status_code == 200 and again.json() == cancelled


def test_cancel_unknown_is_404(local_server: BackgroundServer):
    with api(local_server) as client:
        error = assert_error(
            client.post("/chatkit/sessions/cksess_missing/cancel"), 404, param="session_id",
            code="not_found",
        )  # fmt: skip
    assert "cksess_missing" in error["message"]


def test_sessions_expire_and_cancelled_wins(local_server: BackgroundServer):
    store = local_server.store
    with api(local_server) as client:
        short = client.post(
            "/chatkit/sessions", json={**MINIMAL, "expires_after": {"anchor": "created_at",
                                                                      "seconds": 5}}
        ).json()  # fmt: skip
        other = client.post("/chatkit/sessions", json=MINIMAL).json()
        real_clock = store.clock
        store.clock = lambda: real_clock() + 6
        try:
            expired = client.post(f"/chatkit/sessions/{short['id']}/cancel").json()
            assert store.get_session(other["id"]).status == "active"  # type: ignore[union-attr]
        finally:
            store.clock = real_clock
    # cancelling an expired session records the cancellation: cancelled is terminal
    assert expired["status"] == "cancelled"
    session = store.get_session(short["id"])
    assert session is not None and session.status == "cancelled"


def test_status_expired_after_expiry(local_server: BackgroundServer):
    store = local_server.store
    with api(local_server) as client:
        session = client.post(
            "/chatkit/sessions", json={**MINIMAL, "expires_after": {"anchor": "created_at",
                                                                      "seconds": 1}}
        ).json()  # fmt: skip
    stored = store.get_session(session["id"])
    assert stored is not None and stored.status == "active"
    real_clock = store.clock
    store.clock = lambda: session["expires_at"]
    try:
        stored = store.get_session(session["id"])
        assert stored is not None and stored.status == "expired"
    finally:
        store.clock = real_clock


def test_cancel_ignores_a_body(local_server: BackgroundServer):
    with api(local_server) as client:
        created = client.post("/chatkit/sessions", json=MINIMAL).json()
        response = client.post(f"/chatkit/sessions/{created['id']}/cancel", content=b"{}")
    assert response.json()["status"] == "cancelled"
