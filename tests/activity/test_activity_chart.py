"""The chart of the last 14 days: triggers and messages per day and status, one query each,
drawn as SVG with a title, a description and a table."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.charts import bar_chart
from activity.models import Message
from activity.selectors import message_daily_counts, trigger_daily_counts
from environments.scoping import environment_scope
from tests.activity.seeding import notification_seed


def _aggregates(queries) -> int:
    return sum("GROUP BY" in query["sql"] for query in queries.captured_queries)


def _at(days_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


def test_counts_per_day_and_status_in_one_query_each(tenant, other_tenant):
    notification_seed(environment=tenant.development, created_at=_at(0))
    notification_seed(environment=tenant.development, created_at=_at(0), email=False)
    notification_seed(environment=tenant.development, created_at=_at(3))
    notification_seed(environment=tenant.development, created_at=_at(20))  # before the chart
    notification_seed(environment=tenant.production, created_at=_at(0))
    notification_seed(environment=other_tenant.development, created_at=_at(0))
    Message.unscoped_across_environments.filter(
        environment=tenant.development, channel="email", created_at__gte=_at(1)
    ).update(status="error")
    today = timezone.localdate()
    with environment_scope(tenant.development):
        with CaptureQueriesContext(connection) as queries:
            triggers = trigger_daily_counts()
            messages = message_daily_counts()
        assert _aggregates(queries) == 2
    assert triggers.days[0] == today - datetime.timedelta(days=13) and triggers.days[-1] == today
    assert triggers.counts[today] == {"received": 0, "processed": 2, "canceled": 0}
    assert triggers.total_of(today - datetime.timedelta(days=3)) == 1
    assert triggers.total == 3
    assert messages.counts[today] == {"sent": 2, "warning": 0, "error": 1}
    assert messages.counts[today - datetime.timedelta(days=3)] == {
        "sent": 2,
        "warning": 0,
        "error": 0,
    }


def test_the_chart_draws_stacked_bars_scaled_to_the_busiest_day(tenant):
    notification_seed(environment=tenant.development, created_at=_at(0))
    notification_seed(environment=tenant.development, created_at=_at(1))
    Message.unscoped_across_environments.filter(created_at__gte=_at(0.5), channel="email").update(
        status="error"
    )
    with environment_scope(tenant.development):
        chart = bar_chart(message_daily_counts(), title="Messages", noun="messages")
    today, yesterday = chart.bars[-1], chart.bars[-2]
    assert [segment.status for segment in today.segments] == ["sent", "error"]
    assert sum(segment.height for segment in today.segments) == sum(
        segment.height for segment in yesterday.segments
    )
    assert today.segments[1].y + today.segments[1].height == today.segments[0].y
    assert all(not bar.segments for bar in chart.bars[:-2])
    assert "4 messages over the last 14 days, 2 of them today" in chart.description


def test_the_overview_and_the_activity_page_show_the_chart(client, login, tenant):
    notification_seed(environment=tenant.development)
    login(tenant.viewer.user)
    for path in ("", "activity/"):
        page = client.get(tenant.url(tenant.development, path)).content.decode()
        assert page.count('role="img"') == 2
        assert (
            '<title id="chart-1-title">Triggers per day and status in Development</title>' in page
        )
        assert "1 triggers over the last 14 days, 1 of them today" in page
        assert "Messages as a table" in page
        assert 'class="chart__bar chart__bar--sent"' in page
        assert "style=" not in page.split('data-testid="activity-chart"')[1].split("</section>")[0]


def test_an_empty_chart_still_draws_its_axes(client, login, tenant):
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.production)).content.decode()
    assert "0 messages over the last 14 days" in page
    assert 'class="chart__grid"' in page


def test_past_days_come_from_the_cache_and_today_is_counted_live(tenant):
    notification_seed(environment=tenant.development, created_at=_at(2))
    with environment_scope(tenant.development):
        trigger_daily_counts()
        notification_seed(environment=tenant.development, created_at=_at(0))
        with CaptureQueriesContext(connection) as queries:
            counts = trigger_daily_counts()
    assert _aggregates(queries) == 1
    today = timezone.localdate()
    assert counts.total_of(today) == 1
    assert counts.total_of(today - datetime.timedelta(days=2)) == 1
    with environment_scope(tenant.production):
        assert trigger_daily_counts().total == 0


def test_the_chart_is_drawn_once_per_distinct_counts(client, login, tenant, monkeypatch):
    from activity.templatetags import activity as activity_tags

    activity_tags._chart_markup.cache_clear()
    drawn = []
    real_bar_chart = activity_tags.bar_chart

    def counting_bar_chart(counts, **labels):
        drawn.append(labels["title"])
        return real_bar_chart(counts, **labels)

    monkeypatch.setattr(activity_tags, "bar_chart", counting_bar_chart)
    notification_seed(environment=tenant.development)
    login(tenant.viewer.user)
    first = client.get(tenant.url(tenant.development)).content.decode()
    again = client.get(tenant.url(tenant.development, "activity/")).content.decode()
    assert drawn == ["Triggers", "Messages"]
    chart = 'data-testid="activity-chart"'
    assert (
        first.split(chart)[1].split("</section>")[0] == again.split(chart)[1].split("</section>")[0]
    )

    # A new trigger changes today's counts: the chart is drawn again, and shows it.
    notification_seed(environment=tenant.development, subscriber_id="grace")
    page = client.get(tenant.url(tenant.development)).content.decode()
    assert drawn == ["Triggers", "Messages"] * 2
    assert "2 triggers over the last 14 days, 2 of them today" in page
    # Another environment's chart is its own, even with the same counts.
    production = client.get(tenant.url(tenant.production)).content.decode()
    assert "Triggers per day and status in Production" in production
    assert "Triggers per day and status in Development" not in production
