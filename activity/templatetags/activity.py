"""Activity on other pages: the chart of the last days (the overview), and a subscriber's inbox
and notifications (the subscriber's page). Inclusion tags, so the pages that show them need
nothing from this app but ``{% load activity %}``: each runs its selectors in the request's
environment scope, in a fixed number of queries."""

import json

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from activity.charts import bar_chart
from activity.selectors import message_daily_counts, subscriber_activity, trigger_daily_counts
from workflows.models import Channel

register = template.Library()


@register.inclusion_tag("activity/chart.html", takes_context=True)
def activity_chart(context):
    """Triggers and messages per day and status over the last 14 days: two queries."""
    return {
        "organization": context.get("organization"),
        "environment": context.get("environment"),
        "charts": [
            bar_chart(trigger_daily_counts(), title="Triggers", noun="triggers"),
            bar_chart(message_daily_counts(), title="Messages", noun="messages"),
        ],
    }


@register.inclusion_tag("activity/subscriber_activity.html", takes_context=True)
def subscriber_activity_of(context, subscriber):
    """The subscriber's inbox as they see it, and their latest notifications: four queries."""
    return {
        "organization": context.get("organization"),
        "environment": context.get("environment"),
        "activity": subscriber_activity(subscriber=subscriber),
    }


@register.filter
def channel_label(value) -> str:
    try:
        return Channel(value).label
    except ValueError:
        return str(value)


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def ago(moment) -> str:
    """``timesince`` reads "0 minutes" for what happened a moment ago: say "just now" instead."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
