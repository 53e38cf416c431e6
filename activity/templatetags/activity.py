"""Activity on other pages: the chart of the last days (the overview), and a subscriber's inbox
and notifications (the subscriber's page). Template tags, so the pages that show them need
nothing from this app but ``{% load activity %}``: each runs its selectors in the request's
environment scope, in a fixed number of queries."""

import functools
import json

from django import template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from activity.charts import bar_chart
from activity.selectors import (
    DailyCounts,
    message_daily_counts,
    subscriber_activity,
    trigger_daily_counts,
)
from workflows.models import Channel

register = template.Library()

# Distinct charts whose markup this process keeps; an environment's chart changes only when its
# counts do, so a handful per environment is plenty.
CHART_MARKUPS_KEPT = 256


def _frozen(counts: DailyCounts) -> tuple:
    """The counts as a hashable value: the key of their chart's markup."""
    statuses = tuple((value, str(label)) for value, label in counts.statuses)
    per_day = tuple(
        tuple(counts.counts[day][value] for value, _ in statuses) for day in counts.days
    )
    return tuple(counts.days), statuses, per_day


def _thawed(frozen: tuple) -> DailyCounts:
    days, statuses, per_day = frozen
    return DailyCounts(
        days=list(days),
        statuses=list(statuses),
        counts={
            day: dict(zip((value for value, _ in statuses), row, strict=True))
            for day, row in zip(days, per_day, strict=True)
        },
    )


@functools.lru_cache(maxsize=CHART_MARKUPS_KEPT)
def _chart_markup(
    triggers: tuple, messages: tuple, *, environment_name: str, language: str, time_zone: str
) -> SafeString:
    """The chart section's markup: a function of its arguments only (the language and the time
    zone are the active ones, named so that they are part of the key)."""
    return render_to_string(
        "activity/chart.html",
        {
            "environment_name": environment_name,
            "charts": [
                bar_chart(_thawed(triggers), title="Triggers", noun="triggers"),
                bar_chart(_thawed(messages), title="Messages", noun="messages"),
            ],
        },
    )


@register.simple_tag(takes_context=True)
def activity_chart(context) -> SafeString:
    """Triggers and messages per day and status over the last 14 days: two queries. Drawing
    the SVG costs more than counting, so the markup is drawn once per distinct counts and kept
    (``CHART_MARKUPS_KEPT``): a page view draws it again only when a count has changed."""
    return _chart_markup(
        _frozen(trigger_daily_counts()),
        _frozen(message_daily_counts()),
        environment_name=context["environment"].name,
        language=translation.get_language(),
        time_zone=timezone.get_current_timezone_name(),
    )


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
