"""Pages of subscribers and topics. Thin: parse input, call a selector or a service, render.

Runtime data is test data in the dashboard: members create and edit it where content is edited,
and every other environment shows it read-only (its subscribers come from its own backend,
through the API). Writing views declare ``@writes(Write.RUNTIME)``; the services ask again.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from environments.policy import Permissions, Write, writes
from subscribers import selectors, services
from subscribers.forms import (
    CHANNEL_LABELS,
    PreferenceForm,
    SubscriberForm,
    SubscriberSearchForm,
    TopicForm,
    TopicRenameForm,
    TopicSubscribersForm,
)
from subscribers.models import PREFERENCE_CHANNELS, Subscriber, SubscriberCredential, Topic
from workflows.models import Workflow
from workflows.selectors import workflow_get

TOPICS_SHOWN_ON_SUBSCRIBER = 50


def _subscriber_or_404(public_id) -> Subscriber:
    try:
        return selectors.subscriber_get_by_public_id(public_id=public_id)
    except Subscriber.DoesNotExist as missing:
        raise Http404("No such subscriber in this environment.") from missing


def _topic_or_404(public_id) -> Topic:
    try:
        return selectors.topic_get_by_public_id(public_id=public_id)
    except Topic.DoesNotExist as missing:
        raise Http404("No such topic in this environment.") from missing


def _url(request, name: str, **kwargs) -> str:
    return reverse(name, kwargs={**request.environment.url_kwargs, **kwargs})


# Subscribers ---------------------------------------------------------------------------------


@require_safe
def subscriber_index(request, organization_slug, environment_slug):
    search_form = SubscriberSearchForm(request.GET or None)
    search = search_form.search()
    page = selectors.subscriber_page(
        search=search, after=request.GET.get("after"), before=request.GET.get("before")
    )
    context = {
        "search_form": search_form,
        "search": search,
        "page": page,
        **page.links(q=search),
    }
    template = "subscribers/subscriber_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return TemplateResponse(request, template, context)


def _save_profile(request, form, subscriber=None):
    """Run the service for a valid form; None when it refused (its errors are on the form)."""
    try:
        if subscriber is None:
            return services.subscriber_identify(
                environment=request.environment,
                subscriber_id=form.cleaned_data["subscriber_id"],
                profile=form.profile(),
                actor=request.membership,
            ).subscriber
        return services.subscriber_update(
            subscriber=subscriber, profile=form.profile(), actor=request.membership
        )
    except ValidationError as invalid:
        form.add_error(None, invalid)
    return None


@writes(Write.RUNTIME, page=True)
@require_http_methods(["GET", "POST"])
def subscriber_create_view(request, organization_slug, environment_slug):
    form = SubscriberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscriber_id = form.cleaned_data["subscriber_id"]
        if selectors.subscriber_exists(subscriber_id=subscriber_id):
            form.add_error(
                "subscriber_id",
                f"{request.environment.name} already has the subscriber “{subscriber_id}”.",
            )
        elif subscriber := _save_profile(request, form):
            messages.success(request, f"Created the test subscriber “{subscriber_id}”.")
            return redirect(_url(request, "subscribers:detail", public_id=subscriber.public_id))
    return TemplateResponse(request, "subscribers/subscriber_form.html", {"form": form})


@dataclass(frozen=True)
class PreferenceRow:
    workflow: Workflow
    enabled: bool
    channel_states: list[tuple[str, str, bool]]  # (channel, label, on)


@dataclass(frozen=True)
class CredentialRow:
    credential: SubscriberCredential
    destination: str


def _destination(credential: SubscriberCredential) -> str:
    """Where a provider delivers, without the secret part: a webhook URL's path is a token."""
    parts = []
    if credential.webhook_url:
        parts.append(f"{urlsplit(credential.webhook_url).hostname}/… (webhook)")
    if credential.device_tokens:
        count = len(credential.device_tokens)
        parts.append(f"{count} device token{'' if count == 1 else 's'}")
    return ", ".join(parts) or "Nothing set"


@require_safe
def subscriber_detail(request, organization_slug, environment_slug, public_id):
    subscriber = _subscriber_or_404(public_id)
    preferences = [
        PreferenceRow(
            workflow=preference.workflow,
            enabled=preference.enabled,
            channel_states=[
                (channel, CHANNEL_LABELS[channel], preference.channels[channel])
                for channel in PREFERENCE_CHANNELS
            ],
        )
        for preference in selectors.subscriber_preferences(subscriber=subscriber)
    ]
    topics = selectors.subscriber_topics(
        subscriber=subscriber, limit=TOPICS_SHOWN_ON_SUBSCRIBER + 1
    )
    context = {
        "subscriber": subscriber,
        "data_json": json.dumps(subscriber.data, indent=2, ensure_ascii=False),
        "credentials": [
            CredentialRow(credential, _destination(credential))
            for credential in subscriber.credentials.all()
        ],
        "preferences": preferences,
        "channels": [(channel, CHANNEL_LABELS[channel]) for channel in PREFERENCE_CHANNELS],
        "topics": topics[:TOPICS_SHOWN_ON_SUBSCRIBER],
        "more_topics": len(topics) > TOPICS_SHOWN_ON_SUBSCRIBER,
    }
    return TemplateResponse(request, "subscribers/subscriber_detail.html", context)


@writes(Write.RUNTIME, page=True)
@require_http_methods(["GET", "POST"])
def subscriber_edit_view(request, organization_slug, environment_slug, public_id):
    subscriber = _subscriber_or_404(public_id)
    form = SubscriberForm(request.POST or None, subscriber=subscriber)
    if request.method == "POST" and form.is_valid() and _save_profile(request, form, subscriber):
        messages.success(request, "Saved the subscriber.")
        return redirect(_url(request, "subscribers:detail", public_id=subscriber.public_id))
    return TemplateResponse(
        request, "subscribers/subscriber_form.html", {"form": form, "subscriber": subscriber}
    )


@writes(Write.RUNTIME, page=True)
@require_http_methods(["GET", "POST"])
def subscriber_delete_view(request, organization_slug, environment_slug, public_id):
    subscriber = _subscriber_or_404(public_id)
    if request.method == "POST":
        services.subscriber_delete(subscriber=subscriber, actor=request.membership)
        messages.success(request, f"Deleted the subscriber “{subscriber.subscriber_id}”.")
        return redirect(_url(request, "subscribers:index"))
    return TemplateResponse(
        request, "subscribers/subscriber_delete.html", {"subscriber": subscriber}
    )


@writes(Write.RUNTIME)
@require_POST
def subscriber_preference_view(
    request, organization_slug, environment_slug, public_id, workflow_pk
):
    subscriber = _subscriber_or_404(public_id)
    try:
        workflow = workflow_get(pk=workflow_pk)
    except Workflow.DoesNotExist as missing:
        raise Http404("No such workflow in this environment.") from missing
    form = PreferenceForm(request.POST)
    form.is_valid()  # Checkboxes: every submission is valid, an absent box is off.
    try:
        services.preference_update(
            subscriber=subscriber,
            workflow=workflow,
            enabled=form.cleaned_data["enabled"],
            channels=form.channels(),
            actor=request.membership,
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, f"Saved the preferences for “{workflow.name}”.")
    detail = _url(request, "subscribers:detail", public_id=subscriber.public_id)
    return redirect(f"{detail}#preferences")


# Topics --------------------------------------------------------------------------------------


def _topic_list_page(request, *, form=None, status=200):
    if form is None and Permissions.of(request).write_runtime:
        form = TopicForm()
    page = selectors.topic_page(after=request.GET.get("after"), before=request.GET.get("before"))
    context = {"page": page, "form": form, **page.links()}
    return TemplateResponse(request, "subscribers/topic_list.html", context, status=status)


@require_safe
def topic_index(request, organization_slug, environment_slug):
    return _topic_list_page(request)


@writes(Write.RUNTIME)
@require_POST
def topic_create_view(request, organization_slug, environment_slug):
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            topic = services.topic_create(
                environment=request.environment,
                key=form.cleaned_data["key"],
                name=form.cleaned_data["name"],
                actor=request.membership,
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Created the topic “{topic.key}”.")
            return redirect(_url(request, "topics:detail", public_id=topic.public_id))
    return _topic_list_page(request, form=form)


def _topic_detail_page(request, topic, *, add_form=None):
    if add_form is None and Permissions.of(request).write_runtime:
        add_form = TopicSubscribersForm()
    page = selectors.topic_members_page(
        topic=topic, after=request.GET.get("after"), before=request.GET.get("before")
    )
    context = {"topic": topic, "page": page, "add_form": add_form, **page.links()}
    return TemplateResponse(request, "subscribers/topic_detail.html", context)


@require_safe
def topic_detail(request, organization_slug, environment_slug, public_id):
    return _topic_detail_page(request, _topic_or_404(public_id))


@writes(Write.RUNTIME)
@require_POST
def topic_subscribers_add_view(request, organization_slug, environment_slug, public_id):
    topic = _topic_or_404(public_id)
    form = TopicSubscribersForm(request.POST)
    if not form.is_valid():
        return _topic_detail_page(request, topic, add_form=form)
    outcome = services.topic_subscribers_add(
        topic=topic, subscriber_ids=form.cleaned_data["subscriber_ids"], actor=request.membership
    )
    if outcome.succeeded:
        messages.success(request, f"Added {', '.join(outcome.succeeded)} to “{topic.key}”.")
    if outcome.not_found:
        messages.warning(
            request,
            f"{request.environment.name} has no subscriber {', '.join(outcome.not_found)}.",
        )
    return redirect(_url(request, "topics:detail", public_id=topic.public_id))


@writes(Write.RUNTIME)
@require_POST
def topic_subscriber_remove_view(
    request, organization_slug, environment_slug, public_id, subscriber_public_id
):
    topic = _topic_or_404(public_id)
    subscriber = _subscriber_or_404(subscriber_public_id)
    services.topic_subscribers_remove(
        topic=topic, subscriber_ids=[subscriber.subscriber_id], actor=request.membership
    )
    messages.success(request, f"Removed {subscriber.subscriber_id} from “{topic.key}”.")
    return redirect(_url(request, "topics:detail", public_id=topic.public_id))


@writes(Write.RUNTIME, page=True)
@require_http_methods(["GET", "POST"])
def topic_rename_view(request, organization_slug, environment_slug, public_id):
    topic = _topic_or_404(public_id)
    form = TopicRenameForm(request.POST or None, initial={"name": topic.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_rename(
                topic=_topic_or_404(public_id),
                name=form.cleaned_data["name"],
                actor=request.membership,
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, "Renamed the topic.")
            return redirect(_url(request, "topics:detail", public_id=topic.public_id))
    context = {"topic": topic, "form": form}
    return TemplateResponse(request, "subscribers/topic_rename.html", context)


@writes(Write.RUNTIME, page=True)
@require_http_methods(["GET", "POST"])
def topic_delete_view(request, organization_slug, environment_slug, public_id):
    topic = _topic_or_404(public_id)
    if request.method == "POST":
        services.topic_delete(topic=topic, actor=request.membership, with_subscriptions=True)
        messages.success(request, f"Deleted the topic “{topic.key}”.")
        return redirect(_url(request, "topics:index"))
    context = {"topic": topic, "has_subscribers": selectors.topic_has_subscribers(topic=topic)}
    return TemplateResponse(request, "subscribers/topic_delete.html", context)
