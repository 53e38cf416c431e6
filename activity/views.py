"""The Activity pages: read-only in every environment. Thin: parse input, call a selector,
render."""

from typing import TypedDict

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from activity import selectors
from activity.forms import NotificationFilterForm
from activity.models import Message, Notification
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_get_by_public_id
from workflows.models import Channel
from workflows.views import EMAIL_DOCUMENT_CSP

TRANSACTION_ID_SHOWN = 28


class NotificationRow(TypedDict):
    """A row of the Activity list, its links and labels made here. The list is the busiest
    page: printing 50 rows of plain values costs a fraction of resolving each one's filters,
    tags and inner loops in the template. A dict, which the template reads at its first try."""

    url: str
    workflow_name: str
    workflow_identifier: str
    subscriber_url: str
    subscriber_id: str
    channels: SafeString
    status: str
    status_label: str
    transaction_id: str
    created_iso: str
    created_label: str


def _notification_rows(notifications: list, *, activity_url: str) -> list[NotificationRow]:
    """What ``{{ value|date:"c" }}``, ``|date:"M j, H:i:s"``, ``|truncatechars:28``, the
    ``channel_label`` filter and ``get_status_display`` would print, and the rows' links
    (``<activity_url><public_id>/`` and ``<activity_url>subscribers/<id>/``, see urls.py: one
    reverse() for the page instead of two per row)."""
    badges = {
        value: format_html('<span class="channel channel--{}">{}</span>', value, label)
        for value, label in Channel.choices
    }
    status_labels = dict(Notification.Status.choices)
    months = {}
    rows = []
    for notification in notifications:
        created = timezone.localtime(notification.created_at)
        if created.month not in months:
            months[created.month] = MONTHS_3[created.month].title()
        transaction_id = notification.trigger__transaction_id
        rows.append(
            NotificationRow(
                url=f"{activity_url}{notification.public_id}/",
                workflow_name=notification.workflow_name,
                workflow_identifier=notification.workflow_identifier,
                subscriber_url=f"{activity_url}subscribers/{notification.subscriber__public_id}/",
                subscriber_id=notification.subscriber__subscriber_id,
                # Each badge is escaped by format_html.
                channels=mark_safe(
                    "".join(
                        badges.get(channel)
                        or format_html(
                            '<span class="channel channel--{}">{}</span>', channel, channel
                        )
                        for channel in notification.channels
                    )
                ),
                status=notification.status,
                status_label=status_labels.get(notification.status, notification.status),
                # Truncator normalizes (NFC) and cuts; short ASCII, the usual ID, is neither.
                transaction_id=transaction_id
                if transaction_id.isascii() and len(transaction_id) <= TRANSACTION_ID_SHOWN
                else Truncator(transaction_id).chars(TRANSACTION_ID_SHOWN),
                created_iso=created.isoformat(),
                created_label=f"{months[created.month]} {created.day}, {created:%H:%M:%S}",
            )
        )
    return rows


@require_safe
def notification_index(request, organization_slug, environment_slug):
    form = NotificationFilterForm(request.GET or None)
    filters = form.filters()
    page = selectors.notification_page(
        filters=filters, after=request.GET.get("after"), before=request.GET.get("before")
    )
    activity_url = reverse("activity:index", kwargs=request.environment.url_kwargs)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": _notification_rows(page.rows, activity_url=activity_url),
        **page.links(**form.query()),
    }
    template = "activity/index.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return TemplateResponse(request, template, context)


@require_safe
def notification_detail(request, organization_slug, environment_slug, public_id):
    try:
        timeline = selectors.notification_timeline(public_id=public_id)
    except Notification.DoesNotExist as missing:
        raise Http404("No such notification in this environment.") from missing
    return TemplateResponse(
        request, "activity/notification_detail.html", {"timeline": timeline, "Channel": Channel}
    )


def _document_message(text: str, *, status: int) -> HttpResponse:
    # Shown inside the frame, which has no stylesheet of Herald's: plain text reads best.
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@require_safe
@xframe_options_sameorigin
@csp_override(EMAIL_DOCUMENT_CSP)
def message_email_document(request, organization_slug, environment_slug, public_id):
    """A sent email as it was composed, for the notification page's sandboxed frame: the same
    locked-down document as the step preview's (no script, no form, framed only by Herald)."""
    try:
        message = selectors.message_get(public_id=public_id)
    except Message.DoesNotExist:
        return _document_message("No such message in this environment.", status=404)
    if message.channel != Channel.EMAIL:
        return _document_message("Only email messages have an email document.", status=404)
    return HttpResponse(message.content, content_type="text/html; charset=utf-8")


@require_safe
def subscriber_activity(request, organization_slug, environment_slug, public_id):
    """A subscriber's inbox as they see it and their latest notifications."""
    try:
        subscriber = subscriber_get_by_public_id(public_id=public_id)
    except Subscriber.DoesNotExist as missing:
        raise Http404("No such subscriber in this environment.") from missing
    return TemplateResponse(request, "activity/subscriber.html", {"subscriber": subscriber})
