"""The retry policy: which results retry, exponential backoff with jitter, at most N attempts."""

from datetime import UTC, datetime, timedelta

import pytest

from activity.delivery import DeliveryResult
from activity.retries import next_attempt_at, retry_delay, should_retry

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RETRYABLE = DeliveryResult.failed("503", retry=True)


@pytest.fixture(autouse=True)
def policy(settings):
    settings.DELIVERY_MAX_ATTEMPTS = 4
    settings.DELIVERY_RETRY_BASE_SECONDS = 10
    settings.DELIVERY_RETRY_MAX_SECONDS = 60


def test_only_retryable_failures_are_retried():
    assert should_retry(RETRYABLE, attempt=1)
    assert not should_retry(DeliveryResult.failed("400"), attempt=1)
    assert not should_retry(DeliveryResult.sent("ok"), attempt=1)
    assert not should_retry(DeliveryResult.no_integration("no integration"), attempt=1)


def test_attempts_stop_at_the_maximum():
    assert [should_retry(RETRYABLE, attempt=n) for n in (1, 2, 3, 4, 5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)])
def test_the_delay_doubles_up_to_the_cap_with_half_of_it_jittered(attempt, ceiling):
    assert retry_delay(attempt=attempt, draw=lambda: 0.0) == timedelta(seconds=ceiling / 2)
    assert retry_delay(attempt=attempt, draw=lambda: 0.5) == timedelta(seconds=ceiling * 0.75)
    assert retry_delay(attempt=attempt, draw=lambda: 0.999) < timedelta(seconds=ceiling)


def test_jitter_spreads_messages_that_failed_together():
    draws = iter([0.1, 0.6, 0.9])
    delays = {retry_delay(attempt=2, draw=lambda: next(draws)) for _ in range(3)}
    assert len(delays) == 3


def test_a_retry_after_is_a_floor_within_the_cap():
    assert retry_delay(attempt=1, retry_after=45, draw=lambda: 0.0) == timedelta(seconds=45)
    assert retry_delay(attempt=1, retry_after=3600, draw=lambda: 0.0) == timedelta(seconds=60)


def test_next_attempt_time_or_none():
    assert next_attempt_at(RETRYABLE, attempt=1, now=NOW, draw=lambda: 0.0) == NOW + timedelta(
        seconds=5
    )
    assert next_attempt_at(RETRYABLE, attempt=4, now=NOW) is None
    limited = DeliveryResult.failed("429", retry=True, retry_after=30.0)
    assert next_attempt_at(limited, attempt=1, now=NOW, draw=lambda: 0.0) == NOW + timedelta(
        seconds=30
    )
