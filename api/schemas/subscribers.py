"""Bodies and responses of ``/v1/subscribers`` and ``/v1/topics``, in Novu's shapes.

Fields named ``_id``, ``_environmentId``… are declared with aliases (pydantic keeps leading
underscores for private attributes); the routes answer ``by_alias``.
"""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from api.schemas.common import AliasedSchema, InputSchema, Page, PageQuery
from subscribers.models import (
    AVATAR_MAX_LENGTH,
    DEVICE_TOKENS_MAX,
    INTEGRATION_IDENTIFIER_MAX_LENGTH,
    LOCALE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    PREFERENCE_CHANNELS,
    SUBSCRIBER_ID_MAX_LENGTH,
    TOPIC_KEY_MAX_LENGTH,
    TOPIC_NAME_MAX_LENGTH,
    WEBHOOK_URL_MAX_LENGTH,
)
from subscribers.services import BULK_MAX, CHANNELS_PER_CALL, TOPIC_SUBSCRIBERS_PER_CALL

# Subscribers ---------------------------------------------------------------------------------


class ChannelCredentialsIn(InputSchema):
    webhookUrl: str | None = Field(None, max_length=WEBHOOK_URL_MAX_LENGTH)
    deviceTokens: list[str] | None = Field(None, max_length=DEVICE_TOKENS_MAX)


class ChannelIn(InputSchema):
    """Where one chat or push provider delivers to the subscriber."""

    providerId: str = Field(max_length=40)
    credentials: ChannelCredentialsIn = Field(default_factory=ChannelCredentialsIn)
    integrationIdentifier: str | None = Field(None, max_length=INTEGRATION_IDENTIFIER_MAX_LENGTH)


class SubscriberProfileIn(InputSchema):
    """Fields left out or ``null`` keep their value; ``""`` clears one."""

    email: str | None = Field(None, max_length=254)
    firstName: str | None = Field(None, max_length=NAME_MAX_LENGTH)
    lastName: str | None = Field(None, max_length=NAME_MAX_LENGTH)
    phone: str | None = Field(None, max_length=PHONE_MAX_LENGTH)
    avatar: str | None = Field(None, max_length=AVATAR_MAX_LENGTH)
    locale: str | None = Field(None, max_length=LOCALE_MAX_LENGTH)
    data: dict[str, Any] | None = Field(
        None, description="Free-form JSON object, at most 16 KB and 8 levels deep."
    )
    channels: list[ChannelIn] | None = Field(None, max_length=CHANNELS_PER_CALL)


class SubscriberIn(SubscriberProfileIn):
    subscriberId: str = Field(min_length=1, max_length=SUBSCRIBER_ID_MAX_LENGTH)


class SubscriberUpdateIn(SubscriberProfileIn):
    # Novu's clients repeat the ID in the body; the path decides.
    subscriberId: str | None = None


class BulkIn(InputSchema):
    subscribers: list[SubscriberIn] = Field(min_length=1, max_length=BULK_MAX)


class ChannelCredentialsOut(Schema):
    webhookUrl: str | None = None
    deviceTokens: list[str] = []


class ChannelOut(AliasedSchema):
    providerId: str
    credentials: ChannelCredentialsOut
    integrationIdentifier: str | None = None
    integrationId: str | None = Field(
        None,
        alias="_integrationId",
        description="The integration that delivers; null until one is chosen by identifier.",
    )


class SubscriberOut(AliasedSchema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    subscriberId: str
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    data: dict[str, Any] = {}
    channels: list[ChannelOut] = []
    deleted: bool = False
    createdAt: datetime
    updatedAt: datetime


class SubscriberListQuery(PageQuery):
    pass


SubscriberPage = Page[SubscriberOut]


class Acknowledged(Schema):
    acknowledged: bool
    status: str


class BulkCreatedOut(Schema):
    subscriberId: str


class BulkFailedOut(Schema):
    subscriberId: str
    message: str


class BulkOut(Schema):
    created: list[BulkCreatedOut]
    updated: list[BulkCreatedOut]
    failed: list[BulkFailedOut]


# Preferences ---------------------------------------------------------------------------------


class PreferenceChannels(Schema):
    email: bool
    sms: bool
    in_app: bool
    chat: bool
    push: bool


class PreferenceTemplateOut(AliasedSchema):
    id: str = Field(alias="_id")
    name: str
    critical: bool


class PreferenceStateOut(Schema):
    enabled: bool
    channels: PreferenceChannels


class SubscriberPreferenceOut(Schema):
    template: PreferenceTemplateOut
    preference: PreferenceStateOut


class PreferenceChannelIn(InputSchema):
    type: Literal[PREFERENCE_CHANNELS]  # type: ignore[valid-type]
    enabled: bool


class PreferenceUpdateIn(InputSchema):
    """Turn the workflow on or off for the subscriber, or one channel of it, or both."""

    enabled: bool | None = None
    channel: PreferenceChannelIn | None = None


class CredentialsIn(ChannelIn):
    pass


# Topics --------------------------------------------------------------------------------------


class TopicIn(InputSchema):
    key: str = Field(min_length=1, max_length=TOPIC_KEY_MAX_LENGTH)
    name: str = Field(min_length=1, max_length=TOPIC_NAME_MAX_LENGTH)


class TopicRenameIn(InputSchema):
    name: str = Field(min_length=1, max_length=TOPIC_NAME_MAX_LENGTH)


class TopicOut(AliasedSchema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    key: str
    name: str
    subscribers: list[str] = Field(
        description="Subscriber IDs of the first members (at most 1,000 from GET /topics/{key},"
        " 50 per topic in the list); the dashboard pages through all of them."
    )
    createdAt: datetime
    updatedAt: datetime


class TopicListQuery(PageQuery):
    key: str | None = Field(None, max_length=TOPIC_KEY_MAX_LENGTH)


class TopicSubscribersIn(InputSchema):
    subscribers: list[str] = Field(min_length=1, max_length=TOPIC_SUBSCRIBERS_PER_CALL)


class MembershipFailures(Schema):
    notFound: list[str]


class MembershipOut(Schema):
    succeeded: list[str]
    failed: MembershipFailures


class TopicSubscriptionOut(AliasedSchema):
    id: str = Field(alias="_id")
    organizationId: str = Field(alias="_organizationId")
    environmentId: str = Field(alias="_environmentId")
    subscriberId: str = Field(alias="_subscriberId")
    topicId: str = Field(alias="_topicId")
    topicKey: str
    externalSubscriberId: str
