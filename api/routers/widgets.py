"""``/v1/widgets``: the in-app feed of client-side apps (Novu's ``@novu/client`` routes).

A session starts with the environment's public Application Identifier (and, when the
environment turns it on, an HMAC hash from the customer's backend); every other route carries
the session's token and reads or marks only that subscriber's in-app messages, in that
environment. See ``api.client_authentication`` for admission and ``activity.sessions`` for the
token.
"""

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from ninja import Query, Router
from ninja.responses import Status

from activity import selectors, services
from activity.sessions import (
    SessionRefused,
    client_session_start,
    environment_by_application_identifier,
)
from api.client_authentication import (
    SessionTokenAuth,
    admit_client_app,
    admit_with_session_token,
    origin_refusal,
)
from api.errors import ApiError, error_response
from api.schemas.common import Envelope, Error
from api.schemas.widgets import (
    SESSION_ERRORS,
    CountOut,
    CountQuery,
    DeletedOut,
    FeedPage,
    FeedQuery,
    InboxMessageOut,
    MarkAllIn,
    MarkAsIn,
    MarkAsWordIn,
    OrganizationOut,
    PreferenceIn,
    PreferenceOut,
    SessionIn,
    SessionOut,
)
from branding.models import Brand
from branding.selectors import brand_of_scope
from environments.cors import origin_refused
from environments.scoping import environment_scope
from subscribers.selectors import (
    EffectivePreference,
    subscriber_preferences,
    workflow_by_public_id,
)
from subscribers.services import SubscriberProfile, preference_update
from workflows.models import Workflow

session_start_router = Router(tags=["Client-side apps"], auth=None)
session_start_router.add_decorator(admit_client_app, mode="view")

router = Router(tags=["Client-side apps"], auth=SessionTokenAuth())
router.add_decorator(admit_with_session_token, mode="view")


def content_api_id(row) -> str:
    """The ``_id`` the API gives a workflow or a feed: its public id in this environment."""
    return str(row.public_id)


def _text(value: str) -> str | None:
    return value or None


def profile_out(subscriber) -> dict:
    return {
        "_id": str(subscriber.public_id),
        "subscriberId": subscriber.subscriber_id,
        "firstName": _text(subscriber.first_name),
        "lastName": _text(subscriber.last_name),
        "email": _text(subscriber.email),
        "phone": _text(subscriber.phone),
        "avatar": _text(subscriber.avatar),
    }


def _content_ids(messages) -> tuple[dict, dict]:
    """API ids of the messages' workflows and feeds, by origin id: two queries a page."""
    workflows = selectors.workflows_of(messages)
    feeds = selectors.feeds_of(messages)
    return (
        {origin: content_api_id(row) for origin, row in workflows.items()},
        {origin: content_api_id(row) for origin, row in feeds.items()},
    )


def inbox_messages_out(messages, *, subscriber) -> list[dict]:
    workflows, feeds = _content_ids(messages)
    return [
        {
            "_id": str(message.public_id),
            "_templateId": workflows.get(message.workflow_origin_id),
            "_environmentId": str(message.environment_id),
            "_notificationId": str(message.notification.public_id),
            "_subscriberId": str(subscriber.public_id),
            "_feedId": feeds.get(message.feed_origin_id),
            "templateIdentifier": message.workflow_identifier,
            "channel": "in_app",
            "content": message.content,
            "cta": {"type": None, "data": {}, **(message.cta or {})},
            "payload": message.payload or {},
            "seen": message.seen,
            "read": message.read,
            "lastSeenDate": message.last_seen_at,
            "lastReadDate": message.last_read_at,
            "createdAt": message.created_at,
            "updatedAt": message.updated_at,
        }
        for message in messages
    ]


def _ids(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _payload_filter(encoded: str | None) -> dict | None:
    if not encoded:
        return None
    try:
        return selectors.payload_filter_parse(encoded)
    except selectors.PayloadFilterInvalid as invalid:
        raise ApiError(400, f"payload: {invalid}") from invalid


# The session ---------------------------------------------------------------------------------


@session_start_router.post(
    "/session/initialize",
    response={
        201: Envelope[SessionOut],
        400: Error,
        401: Error,
        403: Error,
        413: Error,
        429: Error,
    },
    by_alias=True,
    summary="Start a client-side session for a subscriber",
)
def session_initialize(request, body: SessionIn):
    environment = environment_by_application_identifier(body.applicationIdentifier)
    if environment is None:
        return error_response(
            400, "applicationIdentifier: no environment has this Application Identifier."
        )
    if origin_refused(request, environment):
        return origin_refusal(environment)
    profile = SubscriberProfile(
        email=body.email, first_name=body.firstName, last_name=body.lastName, phone=body.phone
    )
    with environment_scope(environment):
        try:
            started = client_session_start(
                environment=environment,
                subscriber_id=body.subscriberId,
                hmac_hash=body.hmacHash,
                profile=profile,
            )
        except SessionRefused as refused:
            return error_response(refused.status, refused.message)
        except ValidationError as invalid:
            return error_response(400, _validation_messages(invalid))
    return Status(
        201, {"data": {"token": started.token, "profile": profile_out(started.subscriber)}}
    )


API_FIELD_NAMES = {
    "subscriber_id": "subscriberId",
    "first_name": "firstName",
    "last_name": "lastName",
}


def _validation_messages(invalid: ValidationError) -> list[str]:
    if not hasattr(invalid, "error_dict"):
        return invalid.messages
    return [
        f"{API_FIELD_NAMES.get(name, name)}: {message}"
        for name, messages in invalid.message_dict.items()
        for message in messages
    ]


# The feed ------------------------------------------------------------------------------------


@router.get(
    "/notifications/feed",
    response={200: FeedPage, 400: Error, **SESSION_ERRORS},
    by_alias=True,
    summary="The subscriber's in-app feed, newest first",
)
def feed(request, query: Query[FeedQuery]):
    if (query.page + 1) * query.limit > selectors.FEED_DEPTH_MAX:
        raise ApiError(
            400,
            f"page: the feed pages through its newest {selectors.FEED_DEPTH_MAX:,} messages; "
            "filter it to reach older ones.",
        )
    subscriber = request.subscriber
    rows = selectors.inbox_messages(
        subscriber=subscriber,
        feed_identifiers=_ids(query.feedIdentifier),
        seen=query.seen,
        read=query.read,
        payload=_payload_filter(query.payload),
    ).select_related("notification")
    page = selectors.inbox_page(rows, page=query.page, limit=query.limit)
    return {
        "data": inbox_messages_out(page.rows, subscriber=subscriber),
        "totalCount": page.total_count,
        "pageSize": query.limit,
        "page": query.page,
        "hasMore": page.has_more,
    }


def _count(request, query: CountQuery, **state) -> dict:
    rows = selectors.inbox_messages(
        subscriber=request.subscriber, feed_identifiers=_ids(query.feedIdentifier), **state
    )
    return {"data": {"count": selectors.inbox_count(rows, limit=query.limit)}}


@router.get(
    "/notifications/unseen",
    response={200: Envelope[CountOut], 400: Error, **SESSION_ERRORS},
    summary="How many in-app messages are unseen, up to limit",
)
def unseen_count(request, query: Query[CountQuery]):
    return _count(request, query, seen=False)


@router.get(
    "/notifications/unread",
    response={200: Envelope[CountOut], 400: Error, **SESSION_ERRORS},
    summary="How many in-app messages are unread, up to limit",
)
def unread_count(request, query: Query[CountQuery]):
    return _count(request, query, read=False)


# Marks and deletes ---------------------------------------------------------------------------


def _mark(request, message_id, *, seen, read) -> dict:
    ids = _ids(message_id)
    if not ids:
        raise ApiError(400, "messageId: send a message id, or a list of them.")
    if len(ids) > services.MARK_AT_ONCE_MAX:
        raise ApiError(400, f"messageId: mark at most {services.MARK_AT_ONCE_MAX} at a time.")
    subscriber = request.subscriber
    try:
        messages = services.messages_mark(
            subscriber=subscriber,
            message_ids=ids,
            seen=seen,
            read=read,
            actor=request.client_session,
        )
    except services.MessageNotFound as missing:
        raise Http404(str(missing)) from missing
    prefetch_related_objects(messages, "notification")
    return {"data": inbox_messages_out(messages, subscriber=subscriber)}


@router.post(
    "/messages/markAs",
    response={201: Envelope[list[InboxMessageOut]], 400: Error, 404: Error, **SESSION_ERRORS},
    by_alias=True,
    summary="Mark messages seen or read (or not)",
)
def mark_as(request, body: MarkAsIn):
    return Status(201, _mark(request, body.messageId, seen=body.mark.seen, read=body.mark.read))


MARK_WORDS = {
    "read": {"seen": True, "read": True},
    "seen": {"seen": True, "read": None},
    "unread": {"seen": None, "read": False},
    "unseen": {"seen": False, "read": None},
}


@router.post(
    "/messages/mark-as",
    response={201: Envelope[list[InboxMessageOut]], 400: Error, 404: Error, **SESSION_ERRORS},
    by_alias=True,
    summary="Mark messages read, seen, unread or unseen",
)
def mark_as_word(request, body: MarkAsWordIn):
    return Status(201, _mark(request, body.messageId, **MARK_WORDS[body.markAs]))


def _mark_all(request, body: MarkAllIn, *, read: bool):
    feeds = _ids(body.feedId)
    if len(feeds) > selectors.FEED_IDENTIFIERS_MAX:
        raise ApiError(400, f"feedId: name at most {selectors.FEED_IDENTIFIERS_MAX} feeds.")
    changed = services.messages_mark_all(
        subscriber=request.subscriber,
        feed_identifiers=feeds or None,
        read=read,
        actor=request.client_session,
    )
    return Status(201, {"data": changed})


@router.post(
    "/messages/read",
    response={201: Envelope[int], 400: Error, **SESSION_ERRORS},
    summary="Mark every unread message read (of some feeds, or all)",
)
def mark_all_read(request, body: MarkAllIn):
    return _mark_all(request, body, read=True)


@router.post(
    "/messages/seen",
    response={201: Envelope[int], 400: Error, **SESSION_ERRORS},
    summary="Mark every unseen message seen (of some feeds, or all)",
)
def mark_all_seen(request, body: MarkAllIn):
    return _mark_all(request, body, read=False)


@router.delete(
    "/messages/{message_id}",
    response={200: Envelope[DeletedOut], 404: Error, **SESSION_ERRORS},
    summary="Delete a message from the subscriber's feed",
)
def message_delete(request, message_id: str):
    try:
        services.inbox_message_delete(
            subscriber=request.subscriber, message_id=message_id, actor=request.client_session
        )
    except services.MessageNotFound as missing:
        raise Http404(str(missing)) from missing
    return {"data": {"acknowledged": True, "status": "deleted"}}


# Preferences and brand -----------------------------------------------------------------------


def preference_out(preference: EffectivePreference) -> dict:
    workflow = preference.workflow
    return {
        "template": {
            "_id": content_api_id(workflow),
            "name": workflow.name,
            "critical": workflow.critical,
        },
        "preference": {"enabled": preference.enabled, "channels": preference.channels},
    }


@router.get(
    "/preferences",
    response={200: Envelope[list[PreferenceOut]], **SESSION_ERRORS},
    by_alias=True,
    summary="The subscriber's preference for every workflow",
)
def preferences(request):
    return {
        "data": [
            preference_out(row) for row in subscriber_preferences(subscriber=request.subscriber)
        ]
    }


def _workflow_or_404(workflow_id: str) -> Workflow:
    """The workflow whose API ``_id`` (see ``content_api_id``) is ``workflow_id``."""
    try:
        return workflow_by_public_id(public_id=workflow_id)
    except Workflow.DoesNotExist as missing:
        raise Http404(f"Workflow {workflow_id} was not found.") from missing


@router.patch(
    "/preferences/{workflow_id}",
    response={200: Envelope[PreferenceOut], 400: Error, 404: Error, **SESSION_ERRORS},
    by_alias=True,
    summary="Change the subscriber's preference for one workflow",
)
def preference_change(request, workflow_id: str, body: PreferenceIn):
    workflow = _workflow_or_404(workflow_id)
    channels = {body.channel.type: body.channel.enabled} if body.channel else None
    preference = preference_update(
        subscriber=request.subscriber,
        workflow=workflow,
        enabled=body.enabled,
        channels=channels,
        actor=request.client_session,
    )
    return {"data": preference_out(preference)}


@router.get(
    "/organization",
    response={200: Envelope[OrganizationOut], **SESSION_ERRORS},
    by_alias=True,
    summary="The organization's name and the environment's brand",
)
def organization(request):
    organization = request.environment.organization
    brand = brand_of_scope() or Brand()
    logo = request.build_absolute_uri(brand.logo.url) if brand.logo else None
    return {
        "data": {
            "_id": str(organization.pk),
            "name": organization.name,
            "branding": {
                "color": brand.primary_color,
                "fontColor": brand.font_color,
                "contentBackground": brand.content_background_color,
                "fontFamily": brand.font_family,
                "direction": brand.direction,
                "logo": logo,
            },
        }
    }
