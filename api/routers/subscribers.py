"""``/v1/subscribers``: identify, read, update and delete subscribers, their preferences and
their chat and push credentials, in the key's environment.

Routes are thin: parse, call a selector or a service, shape the answer as Novu does. An ID
that is unknown here is 404, whichever environment it may exist in.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Status

from api.api import key_router
from api.pagination import page_of
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error
from api.schemas.subscribers import (
    Acknowledged,
    BulkIn,
    BulkOut,
    ChannelIn,
    CredentialsIn,
    PreferenceUpdateIn,
    SubscriberIn,
    SubscriberListQuery,
    SubscriberOut,
    SubscriberPage,
    SubscriberPreferenceOut,
    SubscriberProfileIn,
    SubscriberUpdateIn,
)
from subscribers import selectors, services
from subscribers.models import Subscriber
from subscribers.selectors import EffectivePreference
from subscribers.services import BulkEntry, ChannelCredentials, SubscriberProfile
from workflows.models import Workflow

router = key_router(tags=["Subscribers"])

# Model field -> the body field that Novu's clients send, for error messages.
API_FIELD_NAMES = {
    "subscriber_id": "subscriberId",
    "first_name": "firstName",
    "last_name": "lastName",
    "provider_id": "providerId",
    "webhook_url": "credentials.webhookUrl",
    "device_tokens": "credentials.deviceTokens",
    "integration_identifier": "integrationIdentifier",
    "workflow": "workflowId",
}


@contextmanager
def api_field_names():
    """Re-key a service's ValidationError by the API's field names (its status is kept)."""
    try:
        yield
    except ValidationError as invalid:
        if not hasattr(invalid, "error_dict"):
            raise
        renamed = ValidationError(
            {API_FIELD_NAMES.get(name, name): errors for name, errors in invalid.error_dict.items()}
        )
        renamed.status = getattr(invalid, "status", 400)
        raise renamed from invalid


def _text(value: str) -> str | None:
    return value or None


def channel_out(credential) -> dict:
    return {
        "providerId": credential.provider_id,
        "credentials": {
            "webhookUrl": _text(credential.webhook_url),
            "deviceTokens": credential.device_tokens,
        },
        "integrationIdentifier": _text(credential.integration_identifier),
        "_integrationId": None,
    }


def subscriber_out(subscriber: Subscriber, *, environment) -> dict:
    return {
        "_id": str(subscriber.public_id),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "subscriberId": subscriber.subscriber_id,
        "email": _text(subscriber.email),
        "firstName": _text(subscriber.first_name),
        "lastName": _text(subscriber.last_name),
        "phone": _text(subscriber.phone),
        "avatar": _text(subscriber.avatar),
        "locale": _text(subscriber.locale),
        "data": subscriber.data,
        "channels": [channel_out(credential) for credential in subscriber.credentials.all()],
        "deleted": False,
        "createdAt": subscriber.created_at,
        "updatedAt": subscriber.updated_at,
    }


def preference_out(preference: EffectivePreference) -> dict:
    workflow = preference.workflow
    return {
        "template": {
            "_id": str(workflow.public_id),
            "name": workflow.name,
            "critical": workflow.critical,
        },
        "preference": {"enabled": preference.enabled, "channels": preference.channels},
    }


def profile_of(body: SubscriberProfileIn) -> SubscriberProfile:
    return SubscriberProfile(
        email=body.email,
        first_name=body.firstName,
        last_name=body.lastName,
        phone=body.phone,
        avatar=body.avatar,
        locale=body.locale,
        data=body.data,
    )


def credentials_of(channel: ChannelIn) -> ChannelCredentials:
    return ChannelCredentials(
        provider_id=channel.providerId,
        webhook_url=channel.credentials.webhookUrl,
        device_tokens=channel.credentials.deviceTokens,
        integration_identifier=channel.integrationIdentifier,
    )


def _subscriber_or_404(subscriber_id: str) -> Subscriber:
    try:
        return selectors.subscriber_get(subscriber_id=subscriber_id)
    except Subscriber.DoesNotExist as missing:
        raise Http404(f"Subscriber {subscriber_id} was not found.") from missing


def _workflow_or_404(workflow_id: str) -> Workflow:
    try:
        return selectors.workflow_by_public_id(public_id=workflow_id)
    except Workflow.DoesNotExist as missing:
        raise Http404(f"Workflow {workflow_id} was not found.") from missing


def _fresh(subscriber: Subscriber) -> Subscriber:
    """The subscriber as stored now, with its credentials."""
    return selectors.subscriber_get(subscriber_id=subscriber.subscriber_id)


@router.get(
    "",
    response={200: SubscriberPage, 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="List subscribers, newest first",
)
def subscriber_list(request, query: Query[SubscriberListQuery]):
    environment = request.environment
    return page_of(
        selectors.subscriber_list(),
        page=query.page,
        limit=query.limit,
        serialize=lambda subscriber: subscriber_out(subscriber, environment=environment),
        count=False,
    )


@router.post(
    "",
    response={201: Envelope[SubscriberOut], 400: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Create a subscriber, or update the one with this subscriberId",
)
def subscriber_identify(request, body: SubscriberIn):
    with api_field_names():
        identified = services.subscriber_identify(
            environment=request.environment,
            subscriber_id=body.subscriberId,
            profile=profile_of(body),
            channels=[credentials_of(channel) for channel in body.channels or []],
            actor=request.api_key,
        )
    subscriber = _fresh(identified.subscriber)
    return Status(201, {"data": subscriber_out(subscriber, environment=request.environment)})


@router.post(
    "/bulk",
    response={201: Envelope[BulkOut], 400: Error, **ADMISSION_ERRORS},
    summary="Create or update up to 500 subscribers",
)
def subscriber_bulk_create(request, body: BulkIn):
    entries = [
        BulkEntry(subscriber_id=item.subscriberId, profile=profile_of(item))
        for item in body.subscribers
    ]
    with api_field_names():
        outcome = services.subscribers_bulk_create(
            environment=request.environment, entries=entries, actor=request.api_key
        )
    return Status(
        201,
        {
            "data": {
                "created": [{"subscriberId": id_} for id_ in outcome.created],
                "updated": [{"subscriberId": id_} for id_ in outcome.updated],
                "failed": [
                    {"subscriberId": failure.subscriber_id, "message": failure.message}
                    for failure in outcome.failed
                ],
            }
        },
    )


@router.get(
    "/{subscriber_id}",
    response={200: Envelope[SubscriberOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Get a subscriber",
)
def subscriber_get(request, subscriber_id: str):
    subscriber = _subscriber_or_404(subscriber_id)
    return {"data": subscriber_out(subscriber, environment=request.environment)}


@router.put(
    "/{subscriber_id}",
    response={200: Envelope[SubscriberOut], 400: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Update a subscriber",
)
def subscriber_update(request, subscriber_id: str, body: SubscriberUpdateIn):
    subscriber = _subscriber_or_404(subscriber_id)
    with api_field_names():
        try:
            subscriber = services.subscriber_update(
                subscriber=subscriber,
                profile=profile_of(body),
                channels=[credentials_of(channel) for channel in body.channels or []],
                actor=request.api_key,
            )
        except Subscriber.DoesNotExist as deleted:
            raise Http404(f"Subscriber {subscriber_id} was not found.") from deleted
    return {"data": subscriber_out(_fresh(subscriber), environment=request.environment)}


@router.delete(
    "/{subscriber_id}",
    response={200: Envelope[Acknowledged], 404: Error, **ADMISSION_ERRORS},
    summary="Delete a subscriber, with its preferences, credentials and topic memberships",
)
def subscriber_delete(request, subscriber_id: str):
    subscriber = _subscriber_or_404(subscriber_id)
    services.subscriber_delete(subscriber=subscriber, actor=request.api_key)
    return {"data": {"acknowledged": True, "status": "deleted"}}


@router.get(
    "/{subscriber_id}/preferences",
    response={200: Envelope[list[SubscriberPreferenceOut]], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Every workflow with the subscriber's effective preference",
)
def subscriber_preferences(request, subscriber_id: str):
    subscriber = _subscriber_or_404(subscriber_id)
    preferences = selectors.subscriber_preferences(subscriber=subscriber)
    return {"data": [preference_out(preference) for preference in preferences]}


@router.patch(
    "/{subscriber_id}/preferences/{workflow_id}",
    response={200: Envelope[SubscriberPreferenceOut], 400: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Change the subscriber's preference for one workflow (its `_id`)",
    description="Critical workflows ignore preferences: changing one is refused with 400.",
)
def subscriber_preference_update(
    request, subscriber_id: str, workflow_id: str, body: PreferenceUpdateIn
):
    subscriber = _subscriber_or_404(subscriber_id)
    workflow = _workflow_or_404(workflow_id)
    channels = {body.channel.type: body.channel.enabled} if body.channel else None
    with api_field_names():
        preference = services.preference_update(
            subscriber=subscriber,
            workflow=workflow,
            enabled=body.enabled,
            channels=channels,
            actor=request.api_key,
        )
    return {"data": preference_out(preference)}


@router.put(
    "/{subscriber_id}/credentials",
    response={200: Envelope[SubscriberOut], 400: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
    summary="Set where a chat or push provider delivers to the subscriber",
)
def subscriber_credentials_set(request, subscriber_id: str, body: CredentialsIn):
    subscriber = _subscriber_or_404(subscriber_id)
    with api_field_names():
        services.credentials_set(
            subscriber=subscriber, credentials=credentials_of(body), actor=request.api_key
        )
    return {"data": subscriber_out(_fresh(subscriber), environment=request.environment)}


@router.delete(
    "/{subscriber_id}/credentials/{provider_id}",
    response={204: None, 400: Error, 404: Error, **ADMISSION_ERRORS},
    summary="Forget the subscriber's credentials for a provider",
)
def subscriber_credentials_delete(request, subscriber_id: str, provider_id: str):
    subscriber = _subscriber_or_404(subscriber_id)
    with api_field_names():
        services.credentials_delete(
            subscriber=subscriber, provider_id=provider_id, actor=request.api_key
        )
    return Status(204, None)
