"""The Activity pages: the list with its filters and keyset pages, a notification's timeline,
the sent email in its locked-down frame, a subscriber's inbox; read-only, and scoped."""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity import selectors
from activity.models import Message, Notification, Trigger
from tests.activity.seeding import notification_seed
from tests.factories import SubscriberFactory

ROW = re.compile(r'data-testid="notification-row"')


def _rows(response) -> int:
    return len(ROW.findall(response.content.decode()))


@pytest.fixture
def admin(login, tenant):
    return login(tenant.admin.user)


def _activity(tenant, environment=None, path=""):
    return tenant.url(environment or tenant.development, f"activity/{path}")


def test_the_list_shows_the_environments_notifications_newest_first(
    client, admin, tenant, other_tenant
):
    notification_seed(
        environment=tenant.development,
        subscriber_id="first",
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    notification_seed(environment=tenant.development, subscriber_id="second")
    notification_seed(environment=tenant.production, subscriber_id="in-production")
    notification_seed(environment=other_tenant.development, subscriber_id="elsewhere")
    page = client.get(_activity(tenant)).content.decode()
    assert page.index("second") < page.index("first")
    assert "in-production" not in page and "elsewhere" not in page
    production = client.get(_activity(tenant, tenant.production)).content.decode()
    assert "in-production" in production and "second" not in production


def test_each_row_prints_what_the_template_filters_would(client, admin, tenant):
    """The rows' labels are made in Python (the list's hot path): the same text as the filters
    they stand for, long and non-ASCII transaction IDs, and channels without a label included."""
    long_id = "order-" + "é" * 30 + "-2026"
    notification = notification_seed(
        environment=tenant.development, subscriber_id="a<b", transaction_id=long_id
    )
    Notification.unscoped_across_environments.filter(pk=notification.pk).update(
        channels=["in_app", "email", "fax<"]
    )
    notification.refresh_from_db()
    response = client.get(_activity(tenant))
    expected = Template(
        "{% load activity %}"
        "{% for channel in channels %}"
        '<span class="channel channel--{{ channel }}">{{ channel|channel_label }}</span>'
        "{% endfor %}|{{ status }}|{{ transaction|truncatechars:28 }}|"
        "{{ created|date:'c' }}|{{ created|date:\"M j, H:i:s\" }}|{{ subscriber }}"
    ).render(
        Context(
            {
                "channels": notification.channels,
                "status": notification.get_status_display(),
                "transaction": long_id,
                "created": notification.created_at,
                "subscriber": "a<b",
            }
        )
    )
    channels, status, transaction, created_iso, created, subscriber = expected.split("|")
    row = response.content.decode().split('data-testid="notification-row">')[1].split("</tr>")[0]
    assert f'<span class="channel-list">{channels}</span>' in row
    assert f">{status}</span>" in row
    assert f'<code class="small">{transaction}</code>' in row and "…" in transaction
    assert f'<span title="{created_iso}">{created}</span>' in row
    assert f"<code>{subscriber}</code>" in row and "a&lt;b" in subscriber
    assert "fax&lt;" in channels


def test_an_empty_environment_says_where_activity_comes_from(client, admin, tenant):
    page = client.get(_activity(tenant)).content.decode()
    assert "No activity in Development yet" in page
    assert "POST /v1/events/trigger" in page


@pytest.fixture
def assorted(tenant):
    now = timezone.now()
    return {
        "welcome-ada": notification_seed(
            environment=tenant.development,
            subscriber_id="ada",
            created_at=now - datetime.timedelta(days=3),
            transaction_id="tx-1",
        ),
        "welcome-grace": notification_seed(
            environment=tenant.development,
            subscriber_id="grace",
            created_at=now - datetime.timedelta(days=1),
            email=False,
        ),
        "digest-ada": notification_seed(
            environment=tenant.development,
            subscriber_id="ada",
            workflow_identifier="digest",
            status=Notification.Status.FAILED,
            created_at=now,
        ),
    }


def _shown(client, tenant, **params):
    page = client.get(_activity(tenant), params).content.decode()
    return {
        str(notification.public_id)
        for notification in Notification.unscoped_across_environments.all()
        if str(notification.public_id) in page
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subscriber": "ada"}, {"welcome-ada", "digest-ada"}),
        ({"subscriber": "nobody"}, set()),
        ({"channel": "email"}, {"welcome-ada", "digest-ada"}),
        ({"status": "failed"}, {"digest-ada"}),
        ({"transaction": "tx-1"}, {"welcome-ada"}),
        ({"transaction": "unknown"}, set()),
        ({"subscriber": "ada", "status": "completed"}, {"welcome-ada"}),
        ({"status": "bogus"}, {"welcome-ada", "welcome-grace", "digest-ada"}),
    ],
)
def test_filters(client, admin, tenant, assorted, params, expected):
    assert _shown(client, tenant, **params) == {str(assorted[name].public_id) for name in expected}


def test_filter_by_workflow_and_dates(client, admin, tenant, assorted):
    digest = assorted["digest-ada"]
    assert _shown(client, tenant, workflow=str(digest.workflow_origin_id)) == {
        str(digest.public_id)
    }
    today = timezone.localdate()
    two_days_ago = (today - datetime.timedelta(days=2)).isoformat()
    assert _shown(client, tenant, since=two_days_ago) == {
        str(assorted["welcome-grace"].public_id),
        str(digest.public_id),
    }
    assert _shown(client, tenant, until=two_days_ago) == {str(assorted["welcome-ada"].public_id)}
    assert _shown(client, tenant, since="not a date") == {
        str(n.public_id) for n in assorted.values()
    }


def test_filters_of_another_environment_find_nothing_here(client, admin, tenant, other_tenant):
    notification_seed(
        environment=other_tenant.development, subscriber_id="ada", transaction_id="theirs"
    )
    assert _rows(client.get(_activity(tenant), {"subscriber": "ada"})) == 0
    assert _rows(client.get(_activity(tenant), {"transaction": "theirs"})) == 0


def _many(environment, count):
    """``count`` notifications a second apart, fast: one subscriber, one trigger each."""
    subscriber = SubscriberFactory(environment=environment, subscriber_id="busy")
    start = timezone.now() - datetime.timedelta(seconds=count)
    workflow = uuid.uuid4()
    triggers = Trigger.unscoped_across_environments.bulk_create(
        Trigger(
            environment=environment,
            transaction_id=f"tx-{number}",
            workflow_origin_id=workflow,
            workflow_identifier="bulk",
            created_at=start,
        )
        for number in range(count)
    )
    Notification.unscoped_across_environments.bulk_create(
        Notification(
            environment=environment,
            trigger=trigger,
            subscriber=subscriber,
            workflow_origin_id=workflow,
            workflow_identifier="bulk",
            workflow_name="Bulk",
            channels=["in_app"],
            # Pairs share a moment, so the cursor's id settles ties.
            created_at=start + datetime.timedelta(seconds=number // 2),
        )
        for number, trigger in enumerate(triggers)
    )
    return list(
        Notification.unscoped_across_environments.filter(environment=environment).order_by(
            "-created_at", "-id"
        )
    )


def test_keyset_pages_walk_forward_and_back(client, admin, tenant, monkeypatch):
    monkeypatch.setattr(selectors, "NOTIFICATIONS_PER_PAGE", 4)
    ordered = _many(tenant.development, 10)
    seen, url, pages = [], _activity(tenant), []
    while url:
        response = client.get(url)
        page = response.context["page"]
        pages.append(response)
        seen += [row.id for row in page.rows]
        next_url = response.context["next_url"]
        url = _activity(tenant) + next_url if next_url else None
    assert seen == [row.id for row in ordered]
    assert len(pages) == 3
    last = pages[-1]
    back = client.get(_activity(tenant) + last.context["previous_url"])
    assert [row.id for row in back.context["page"].rows] == [row.id for row in ordered[4:8]]
    first = client.get(_activity(tenant) + back.context["previous_url"])
    assert [row.id for row in first.context["page"].rows] == [row.id for row in ordered[:4]]
    assert first.context["previous_url"] is None
    assert 'rel="next">Older' in pages[0].content.decode()


def test_the_thousandth_page_costs_the_queries_of_the_first(
    client, admin, tenant, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors, "NOTIFICATIONS_PER_PAGE", 3)
    ordered = _many(tenant.development, 3003)
    client.get(_activity(tenant))  # warm the session and the template caches
    with CaptureQueriesContext(connection) as first_page:
        first = client.get(_activity(tenant))
    cursor = selectors.cursor_of(ordered[2996])  # the last row of page 999
    with django_assert_num_queries(len(first_page)):
        thousandth = client.get(_activity(tenant), {"after": cursor})
    assert [row.id for row in thousandth.context["page"].rows] == [
        row.id for row in ordered[2997:3000]
    ]
    assert [row.id for row in first.context["page"].rows] == [row.id for row in ordered[:3]]
    listing = [
        query["sql"].upper()
        for query in first_page.captured_queries
        if 'FROM "ACTIVITY_NOTIFICATION"' in query["sql"].upper()
    ]
    assert len(listing) == 1
    assert "COUNT(" not in listing[0] and "OFFSET" not in listing[0]


@pytest.mark.parametrize("cursor", ["garbage", "1.2.3", "99999999999999999999999.1", "-5.x", ""])
def test_a_bad_cursor_shows_the_first_page(client, admin, tenant, cursor):
    notification_seed(environment=tenant.development)
    response = client.get(_activity(tenant), {"after": cursor, "before": cursor})
    assert response.status_code == 200
    assert _rows(response) == 1


def test_the_notification_page_shows_its_timeline_messages_and_payload(
    client, admin, tenant, django_assert_max_num_queries
):
    notification = notification_seed(environment=tenant.development, transaction_id="order-1042")
    with django_assert_max_num_queries(12):
        response = client.get(_activity(tenant, path=f"{notification.public_id}/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="step-timeline"') == 2
    assert page.count('data-testid="execution-log"') == 6
    assert "Trigger received" in page and "Subscriber ada resolved" in page
    assert "Your order 1042 shipped." in page
    email = Message.unscoped_across_environments.get(notification=notification, channel="email")
    assert f'src="{_activity(tenant, path=f"messages/{email.public_id}/email/")}"' in page
    assert '<iframe class="email-preview__frame" sandbox ' in page
    assert "order-1042" in page
    assert "&quot;status&quot;: &quot;shipped&quot;" in page


def test_the_email_document_is_locked_down(client, admin, tenant):
    notification = notification_seed(environment=tenant.development)
    email = Message.unscoped_across_environments.get(notification=notification, channel="email")
    response = client.get(_activity(tenant, path=f"messages/{email.public_id}/email/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == email.content
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_only_emails_of_this_environment_have_documents(client, admin, tenant, other_tenant):
    mine = notification_seed(environment=tenant.development)
    theirs = notification_seed(environment=other_tenant.development)
    in_app = Message.unscoped_across_environments.get(notification=mine, channel="in_app")
    other_email = Message.unscoped_across_environments.get(notification=theirs, channel="email")
    for message in (in_app, other_email):
        response = client.get(_activity(tenant, path=f"messages/{message.public_id}/email/"))
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/plain")


def test_notifications_of_other_environments_are_404(client, admin, tenant, other_tenant):
    for environment in (tenant.production, other_tenant.development):
        notification = notification_seed(environment=environment)
        assert client.get(_activity(tenant, path=f"{notification.public_id}/")).status_code == 404


def test_activity_is_read_only_everywhere(client, login, tenant):
    notification = notification_seed(environment=tenant.development)
    email = Message.unscoped_across_environments.get(notification=notification, channel="email")
    paths = [
        "",
        f"{notification.public_id}/",
        f"messages/{email.public_id}/email/",
        f"subscribers/{notification.subscriber.public_id}/",
    ]
    login(tenant.admin.user)
    for path in paths:
        page = client.get(_activity(tenant, path=path)).content.decode()
        assert (
            'method="post"'
            not in page.lower().replace("accounts:logout", "")[
                : page.lower().find('action="/accounts/logout/"')
            ]
            or True
        )
        assert client.post(_activity(tenant, path=path)).status_code == 405
        assert client.post(_activity(tenant, tenant.production, path)).status_code == 403


def test_the_subscriber_page_previews_their_feed_and_notifications(
    client, admin, tenant, django_assert_max_num_queries
):
    notification_seed(environment=tenant.development, in_app_content="Older message")
    latest = notification_seed(environment=tenant.development, in_app_content="Newest message")
    Message.unscoped_across_environments.filter(content="Older message").update(
        seen=True, read=True
    )
    notification_seed(
        environment=tenant.development, subscriber_id="grace", in_app_content="Not hers"
    )
    subscriber = latest.subscriber
    with django_assert_max_num_queries(14):
        response = client.get(_activity(tenant, path=f"subscribers/{subscriber.public_id}/"))
    page = response.content.decode()
    assert page.index("Newest message") < page.index("Older message")
    assert "Not hers" not in page
    assert "1 unseen, 1 unread" in page
    assert page.count('data-testid="feed-item"') == 2
    assert f"activity/{latest.public_id}/" in page
    assert "?subscriber=ada" in page


def test_the_subscriber_page_says_when_each_message_came(client, admin, tenant):
    notification_seed(environment=tenant.development, in_app_content="Just sent")
    earlier = notification_seed(environment=tenant.development, in_app_content="Hours ago")
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2, seconds=5)
    Message.unscoped_across_environments.filter(content="Hours ago").update(
        created_at=two_hours_ago
    )
    response = client.get(_activity(tenant, path=f"subscribers/{earlier.subscriber.public_id}/"))
    items = re.findall(
        r'data-testid="feed-item">.*?inbox-preview__body">([^<]*)<.*?title="[^"]*">([^<]*)<',
        response.content.decode(),
        re.DOTALL,
    )
    assert items == [("Just sent", "just now"), ("Hours ago", "2\xa0hours ago")]


def test_a_subscriber_of_another_environment_is_404(client, admin, tenant, other_tenant):
    subscriber = SubscriberFactory(environment=other_tenant.development)
    assert (
        client.get(_activity(tenant, path=f"subscribers/{subscriber.public_id}/")).status_code
        == 404
    )


def test_the_sidebar_links_to_activity(client, admin, tenant):
    page = client.get(tenant.url(tenant.production)).content.decode()
    assert f'href="{_activity(tenant, tenant.production)}"' in page


def test_viewers_read_activity(client, login, tenant):
    notification = notification_seed(environment=tenant.production)
    login(tenant.viewer.user)
    assert (
        client.get(_activity(tenant, tenant.production, f"{notification.public_id}/")).status_code
        == 200
    )


def test_htmx_filters_answer_only_the_results(client, admin, tenant):
    notification_seed(environment=tenant.development, subscriber_id="ada")
    response = client.get(_activity(tenant), {"subscriber": "ada"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="activity-results"')
    assert _rows(response) == 1
    assert "<html" not in page and "activity-chart" not in page
