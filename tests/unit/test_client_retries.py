"""The retry rules and delays as pure functions (no sleeping, no network)."""

from __future__ import annotations

import email.utils

import pytest

from chatkit_tui.client.retries import (
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_delay,
    should_retry_status,
)

POLICY = RetryPolicy()


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert should_retry_status(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_not_retryable_statuses(status: int) -> None:
    assert not should_retry_status(status, {})


def test_x_should_retry_overrides_the_status() -> None:
    assert should_retry_status(400, {"x-should-retry": "true"})
    assert not should_retry_status(503, {"x-should-retry": "false"})
    assert should_retry_status(503, {"x-should-retry": "maybe"})


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    no_jitter = [backoff_delay(n, POLICY, jitter=0.0) for n in range(7)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    # the jitter takes off at most a quarter
    assert backoff_delay(0, POLICY, jitter=0.999999) == pytest.approx(0.375, abs=1e-6)
    assert backoff_delay(4, POLICY, jitter=0.5) == 7.0


def test_retry_delay_uses_jitter_from_the_policy() -> None:
    policy = RetryPolicy(random=lambda: 0.4)
    assert retry_delay(1, None, policy) == pytest.approx(1.0 * 0.9)
    assert retry_delay(1, {}, policy) == pytest.approx(0.9)


def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "9"}
    assert parse_retry_after(headers) == 1.5
    assert retry_delay(0, headers, POLICY) == 1.5


def test_retry_after_seconds() -> None:
    assert retry_delay(3, {"retry-after": "3"}, POLICY) == 3.0
    assert retry_delay(0, {"retry-after": "0.25"}, POLICY) == 0.25


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(42)
    assert retry_delay(0, {"retry-after": date}, POLICY, now=now) == pytest.approx(42)


def test_retry_after_is_honoured_up_to_120_seconds() -> None:
    policy = RetryPolicy(random=lambda: 0.0)
    assert retry_delay(0, {"retry-after": "120"}, policy) == 120.0
    # beyond the ceiling (or nonsense) the normal backoff applies
    assert retry_delay(0, {"retry-after": "121"}, policy) == 0.5
    assert retry_delay(1, {"retry-after": "-3"}, policy) == 1.0
    assert retry_delay(2, {"retry-after": "soon"}, policy) == 2.0
    assert retry_delay(2, {"retry-after-ms": "abc"}, policy) == 2.0
    assert retry_delay(0, {"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}, policy) == 0.5


def test_garbage_dates_do_not_crash() -> None:
    for value in ("", "Mon, 99 Foo 2020", "1 2 3", "Tue, 01 Jan 2030 00:00:00"):
        parse_retry_after({"retry-after": value})
