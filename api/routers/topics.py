"""``/v1/topics``: named groups of subscribers, addressed by their ``key``, in the key's
environment."""

from django.http import Http404
from ninja import Query, Status

from api.api import key_router
from api.pagination import page_of
from api.routers.subscribers import api_field_names
from api.schemas.common import ADMISSION_ERRORS, CountedPage, Envelope, Error
from api.schemas.subscribers import (
    MembershipOut,
    TopicIn,
    TopicListQuery,
    TopicOut,
    TopicRenameIn,
    TopicSubscribersIn,
    TopicSubscriptionOut,
)
from subscribers import selectors, services
from subscribers.models import Topic, TopicSubscription

router = key_router(tags=["Topics"])

# How many subscriber IDs a topic shows: members are read a page at a time in the dashboard.
MEMBERS_IN_GET = 1000
MEMBERS_IN_LIST = 50


def topic_out(topic: Topic, *, environment) -> dict:
    members = getattr(topic, "first_members", [])
    return {
        "_id": str(topic.public_id),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "key": topic.key,
        "name": topic.name,
        "subscribers": [membership.subscriber.subscriber_id for membership in members],
        "createdAt": topic.created_at,
        "updatedAt": topic.updated_at,
    }


def _topic_or_404(key: str, *, members_limit: int = 0) -> Topic:
    try:
        return selectors.topic_get(key=key, members_limit=members_limit)
    except Topic.DoesNotExist as missing:
        raise Http404(f"Topic {key} was not found.") from missing


def _membership_out(outcome) -> dict:
    return {"succeeded": outcome.succeeded, "failed": {"notFound": outcome.not_found}}


@router.post(
    "",
    response={201: Envelope[TopicOut], 400: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Create a topic; a key already used here is 409",
)
def topic_create(request, body: TopicIn):
    with api_field_names():
        topic = services.topic_create(
            environment=request.environment, key=body.key, name=body.name, actor=request.api_key
        )
    return Status(201, {"data": topic_out(topic, environment=request.environment)})


@router.get(
    "",
    response={200: CountedPage[TopicOut], 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="List topics by key",
)
def topic_list(request, query: Query[TopicListQuery]):
    environment = request.environment
    return page_of(
        selectors.topic_list(key=query.key or "", members_limit=MEMBERS_IN_LIST),
        page=query.page,
        limit=query.limit,
        serialize=lambda topic: topic_out(topic, environment=environment),
    )


@router.get(
    "/{key}",
    response={200: Envelope[TopicOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Get a topic with its subscriber IDs",
)
def topic_get(request, key: str):
    topic = _topic_or_404(key, members_limit=MEMBERS_IN_GET)
    return {"data": topic_out(topic, environment=request.environment)}


@router.patch(
    "/{key}",
    response={200: Envelope[TopicOut], 400: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Rename a topic",
)
def topic_rename(request, key: str, body: TopicRenameIn):
    topic = _topic_or_404(key)
    with api_field_names():
        services.topic_rename(topic=topic, name=body.name, actor=request.api_key)
    topic = _topic_or_404(key, members_limit=MEMBERS_IN_GET)
    return {"data": topic_out(topic, environment=request.environment)}


@router.delete(
    "/{key}",
    response={204: None, 404: Error, 409: Error, **ADMISSION_ERRORS},
    summary="Delete a topic that has no subscribers (409 while it has some)",
)
def topic_delete(request, key: str):
    topic = _topic_or_404(key)
    with api_field_names():
        services.topic_delete(topic=topic, actor=request.api_key)
    return Status(204, None)


@router.post(
    "/{key}/subscribers",
    response={200: Envelope[MembershipOut], 400: Error, 404: Error, **ADMISSION_ERRORS},
    summary="Subscribe up to 100 subscribers; unknown IDs are reported in failed.notFound",
)
def topic_subscribers_add(request, key: str, body: TopicSubscribersIn):
    topic = _topic_or_404(key)
    with api_field_names():
        outcome = services.topic_subscribers_add(
            topic=topic, subscriber_ids=body.subscribers, actor=request.api_key
        )
    return {"data": _membership_out(outcome)}


@router.post(
    "/{key}/subscribers/removal",
    response={204: None, 400: Error, 404: Error, **ADMISSION_ERRORS},
    summary="Unsubscribe up to 100 subscribers",
)
def topic_subscribers_remove(request, key: str, body: TopicSubscribersIn):
    topic = _topic_or_404(key)
    with api_field_names():
        services.topic_subscribers_remove(
            topic=topic, subscriber_ids=body.subscribers, actor=request.api_key
        )
    return Status(204, None)


@router.get(
    "/{key}/subscribers/{subscriber_id}",
    response={200: Envelope[TopicSubscriptionOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Whether a subscriber is in the topic: 200, or 404",
)
def topic_subscriber_check(request, key: str, subscriber_id: str):
    topic = _topic_or_404(key)
    try:
        subscription = selectors.topic_subscription_get(topic=topic, subscriber_id=subscriber_id)
    except TopicSubscription.DoesNotExist as missing:
        raise Http404(f"Subscriber {subscriber_id} is not in the topic {key}.") from missing
    environment = request.environment
    return {
        "data": {
            "_id": str(subscription.public_id),
            "_organizationId": str(environment.organization_id),
            "_environmentId": str(environment.pk),
            "_subscriberId": str(subscription.subscriber.public_id),
            "_topicId": str(topic.public_id),
            "topicKey": topic.key,
            "externalSubscriberId": subscription.subscriber.subscriber_id,
        }
    }
