"""The throttle the bulk delete and the mirror share: halve on a 429, wait, grow back."""

from __future__ import annotations

import pytest

from chatkit_tui.core.throttle import Throttle


def test_the_throttle_halves_on_a_429_waits_and_grows_back_by_one():
    throttle = Throttle(8)
    assert throttle.can_start(7, 0.0) and not throttle.can_start(8, 0.0)
    throttle.rate_limited(2.0, now=10.0)
    assert throttle.concurrency == 4 and throttle.waiting(10.5) == 1.5
    assert not throttle.can_start(0, 11.0) and throttle.can_start(3, 12.0)
    throttle.rate_limited(2.0, now=11.0)  # the same burst: no second cut
    assert throttle.concurrency == 4 and throttle.rate_limited_count == 2
    throttle.rate_limited(None, now=13.0)  # no Retry-After: exponential backoff (1 s, 2 s, ...)
    assert throttle.concurrency == 2 and throttle.not_before == 15.0 and throttle.lowest == 2
    for _ in range(4):
        throttle.succeeded()
    assert throttle.concurrency == 3
    for _ in range(100):
        throttle.succeeded()
    assert throttle.concurrency == 8
    with pytest.raises(ValueError):
        Throttle(0)


def test_a_long_retry_after_is_waited_out_up_to_the_cap_not_replaced_by_one_second():
    from chatkit_tui.core.throttle import MAX_BACKOFF, backoff_delay

    assert backoff_delay(90.0, 0) == 90.0  # was 1 s: anything over 60 fell to the default
    assert backoff_delay(10_000.0, 3) == MAX_BACKOFF
    assert backoff_delay(None, 0) == 1.0 and backoff_delay(None, 2) == 4.0
    throttle = Throttle(4)
    throttle.rate_limited(90.0, now=0.0)
    assert throttle.not_before == 90.0
