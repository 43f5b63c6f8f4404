"""Faults on demand: latency, injected 500s, rate limiting with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from chatkit_tui.server.faults import (
    FaultInjector,
    Faults,
    FaultSpecError,
    parse_error_rate,
    parse_latency,
    parse_rate_limit,
)
from chatkit_tui.server.run import BackgroundServer
from tests.server.helpers import api, assert_error

MakeServer = Callable[..., BackgroundServer]


def test_latency_is_added_to_every_response(make_server: MakeServer):
    server = make_server(seed=3, faults=Faults(latency_ms=120))
    with api(server) as client:
        client.get("/chatkit/threads")  # connect outside the timing
        for path in ("/chatkit/threads", "/chatkit/threads/nope", "/nope"):
            started = time.perf_counter()
            client.get(path)
            assert time.perf_counter() - started >= 0.12


def test_jitter_varies_the_delay_within_bounds(make_server: MakeServer):
    server = make_server(seed=1, faults=Faults(latency_ms=20, jitter_ms=80, rng_seed=3))
    delays: list[float] = []
    with api(server) as client:
        client.get("/chatkit/threads")
        for _ in range(8):
            started = time.perf_counter()
            client.get("/chatkit/threads", params={"limit": 1})
            delays.append(time.perf_counter() - started)
    assert min(delays) >= 0.02
    assert max(delays) < 0.5
    assert max(delays) - min(delays) > 0.01  # not a constant delay


def test_error_rate_answers_500s_in_openai_shape_and_changes_nothing(make_server: MakeServer):
    server = make_server(seed=10, faults=Faults(error_rate=0.5, rng_seed=7))
    statuses: list[int] = []
    with api(server) as client:
        for _ in range(200):
            response = client.get("/chatkit/threads", params={"limit": 1})
            statuses.append(response.status_code)
            if response.status_code == 500:
                error = assert_error(response, 500, param=None)
                assert error["type"] == "server_error"
    assert set(statuses) == {200, 500}
    assert 60 <= statuses.count(500) <= 140


def test_error_rate_one_never_runs_the_handler(make_server: MakeServer):
    server = make_server(seed=5, faults=Faults(error_rate=1.0))
    with api(server) as client:
        thread_id = server.store.list_threads(limit=1).data[0].id
        for _ in range(3):
            assert_error(client.delete(f"/chatkit/threads/{thread_id}"), 500)
    assert server.store.count_threads() == 5


def test_rate_limit_answers_429_with_retry_after(make_server: MakeServer):
    server = make_server(seed=2, faults=Faults(rate_limit=5))
    with api(server) as client:
        for _ in range(5):
            assert client.get("/chatkit/threads").status_code == 200
        response = client.get("/chatkit/threads")
        error = assert_error(response, 429, code="rate_limit_exceeded")
        assert "try again" in error["message"]
        retry_after = int(response.headers["retry-after"])
        retry_after_ms = int(response.headers["retry-after-ms"])
        assert 1 <= retry_after <= 60
        assert 0 < retry_after_ms <= 60_000 and retry_after == -(-retry_after_ms // 1000)
        assert_error(client.delete("/chatkit/threads/x"), 429)
    assert server.store.count_threads() == 2


def test_rate_limit_window_slides():
    now = [0.0]
    injector = FaultInjector(Faults(rate_limit=2), clock=lambda: now[0])
    assert injector.decide().status is None
    now[0] = 30.0
    assert injector.decide().status is None
    decision = injector.decide()
    assert decision.status == 429 and decision.retry_after_s == pytest.approx(30.0)  # pyright: ignore[reportUnknownMemberType]
    now[0] = 60.0  # the first request left the window
    assert injector.decide().status is None
    assert injector.decide().status == 429
    assert injector.remaining() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("200", (200.0, 0.0)), ("200:50", (200.0, 50.0)), ("0", (0.0, 0.0)),
     ("12.5:3", (12.5, 3.0)), ("100ms:10ms", (100.0, 10.0))],
)  # fmt: skip
def test_parse_latency(text: str, expected: tuple[float, float]):
    assert parse_latency(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-5", "10:", ":10", "1:2:3", "nan"])
def test_parse_latency_rejects(text: str):
    with pytest.raises(FaultSpecError, match="--latency"):
        parse_latency(text)


def test_parse_error_rate_and_rate_limit():
    assert parse_error_rate("0.25") == 0.25
    assert parse_error_rate("10%") == pytest.approx(0.1)  # pyright: ignore[reportUnknownMemberType]
    assert parse_error_rate("1") == 1.0
    for bad in ("1.5", "-0.1", "x", "nan", "200%", ""):
        with pytest.raises(FaultSpecError, match="--error-rate"):
            parse_error_rate(bad)
    assert parse_rate_limit("60/min") == 60
    assert parse_rate_limit("60") == 60
    assert parse_rate_limit(" 5 / minute ") == 5
    for bad in ("0/min", "x/min", "60/s", "-1", ""):
        with pytest.raises(FaultSpecError, match="--rate-limit"):
            parse_rate_limit(bad)


def test_faults_parse_and_validate():
    faults = Faults.parse("100:20", "0.1", "30/min")
    assert faults == Faults(latency_ms=100, jitter_ms=20, error_rate=0.1, rate_limit=30)
    assert faults.active and not Faults().active
    with pytest.raises(FaultSpecError):
        Faults(error_rate=2)
    with pytest.raises(FaultSpecError):
        Faults(rate_limit=0)


def test_faults_are_described_in_words():
    """The serve banner printed the dataclass (``Faults(latency_ms=40.0, ...)``)."""
    assert Faults().describe() == "none"
    assert Faults(latency_ms=40).describe() == "adds 40 ms latency to every response"
    assert Faults(latency_ms=0, jitter_ms=7.5).describe() == (
        "adds 0 ms latency to every response (plus up to 7.5 ms at random)"
    )
    assert Faults(error_rate=0.125).describe() == "answers 12.5% of requests with 500"
    assert Faults(error_rate=1.0).describe() == "answers 100% of requests with 500"
    assert Faults(rate_limit=1, rate_window_s=2).describe() == (
        "answers 429 (with Retry-After) past 1 request in any 2 s"
    )
    assert Faults.parse("100:20", "0.05", "600/min").describe() == (
        "adds 100 ms latency to every response (plus up to 20 ms at random),"
        " answers 5% of requests with 500, answers 429 (with Retry-After) past 600 requests"
        " a minute"
    )
