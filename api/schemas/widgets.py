"""Bodies and responses of the client-side routes (``/v1/widgets/``), in Novu's shapes."""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, model_validator

from activity.selectors import FEED_IDENTIFIERS_MAX, PAYLOAD_FILTER_MAX_BYTES
from activity.services import MARK_AT_ONCE_MAX
from api.schemas.common import AliasedSchema, Error, bounded_text
from subscribers.models import NAME_MAX_LENGTH, PHONE_MAX_LENGTH, SUBSCRIBER_ID_MAX_LENGTH

# Every route after the session's start is admitted by its token: a body over the limit, a
# missing or expired token, an origin the environment does not list and the rate limit are
# answered before the route runs.
SESSION_ERRORS = {(401, 403, 413, 429): Error}


class SessionIn(Schema):
    # Storable text only: a NUL in the application identifier reached the environment lookup,
    # which PostgreSQL refuses (a 500).
    applicationIdentifier: bounded_text(64) = Field(min_length=1)
    subscriberId: bounded_text(SUBSCRIBER_ID_MAX_LENGTH) = Field(min_length=1)
    hmacHash: bounded_text(128) | None = None
    email: bounded_text(254) | None = None
    firstName: bounded_text(NAME_MAX_LENGTH) | None = None
    lastName: bounded_text(NAME_MAX_LENGTH) | None = None
    phone: bounded_text(PHONE_MAX_LENGTH) | None = None


class ProfileOut(AliasedSchema):
    id: str = Field(alias="_id")
    subscriberId: str
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    avatar: str | None = None


class SessionOut(Schema):
    token: str
    profile: ProfileOut


class FeedQuery(Schema):
    page: int = Field(0, ge=0, le=10_000)
    limit: int = Field(10, ge=1, le=100)
    feedIdentifier: bounded_text(80) | None = Field(None, description="One feed's identifier.")
    seen: bool | None = None
    read: bool | None = None
    payload: str | None = Field(
        None,
        max_length=PAYLOAD_FILTER_MAX_BYTES * 2,
        description=(
            "Base64 of a JSON object: messages whose trigger payload has these values at "
            'these paths, e.g. {"order": {"status": "shipped"}}.'
        ),
    )


class CountQuery(Schema):
    feedIdentifier: bounded_text(80) | None = Field(None, description="One feed's identifier.")
    limit: int = Field(100, ge=1, le=100, description="Count up to this many (clients show 99+).")


class CtaData(Schema):
    url: str | None = None


class FeedCtaOut(Schema):
    type: str | None = None
    data: CtaData = Field(default_factory=CtaData)


class InboxMessageOut(AliasedSchema):
    id: str = Field(alias="_id")
    templateId: str | None = Field(None, alias="_templateId")
    environmentId: str = Field(alias="_environmentId")
    notificationId: str = Field(alias="_notificationId")
    subscriberId: str = Field(alias="_subscriberId")
    feedId: str | None = Field(None, alias="_feedId")
    templateIdentifier: str
    channel: Literal["in_app"] = "in_app"
    content: str
    cta: FeedCtaOut
    payload: dict[str, Any] = {}
    seen: bool
    read: bool
    lastSeenDate: datetime | None = None
    lastReadDate: datetime | None = None
    createdAt: datetime
    updatedAt: datetime


class FeedPage(Schema):
    data: list[InboxMessageOut]
    totalCount: int = Field(description="Counted up to 10,000.")
    pageSize: int
    page: int
    hasMore: bool


class CountOut(Schema):
    count: int


IdOrIds = str | list[str]


class MarkIn(Schema):
    seen: bool | None = None
    read: bool | None = None


class MarkAsIn(Schema):
    """``POST /widgets/messages/markAs``."""

    messageId: IdOrIds = Field(description=f"One id, or up to {MARK_AT_ONCE_MAX}.")
    mark: MarkIn


class MarkAsWordIn(Schema):
    """``POST /widgets/messages/mark-as``."""

    messageId: IdOrIds = Field(description=f"One id, or up to {MARK_AT_ONCE_MAX}.")
    markAs: Literal["read", "seen", "unread", "unseen"]


class ObjectIn(Schema):
    """A body that must be a JSON object: ninja's schemas read attributes of any value, so a
    list would pass for a body whose fields are all optional."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value):
        if not isinstance(getattr(value, "_obj", value), dict):
            raise ValueError("Send a JSON object.")
        return value


class MarkAllIn(ObjectIn):
    feedId: IdOrIds | None = Field(
        None, description=f"Feed identifiers, at most {FEED_IDENTIFIERS_MAX}; every feed without."
    )


class DeletedOut(Schema):
    acknowledged: bool
    status: str


class TemplateOut(AliasedSchema):
    id: str = Field(alias="_id")
    name: str
    critical: bool


class PreferenceChannelsOut(Schema):
    email: bool
    sms: bool
    in_app: bool
    chat: bool
    push: bool


class PreferenceSettingOut(Schema):
    enabled: bool
    channels: PreferenceChannelsOut


class PreferenceOut(Schema):
    template: TemplateOut
    preference: PreferenceSettingOut


class PreferenceChannelIn(Schema):
    type: Literal["email", "sms", "in_app", "chat", "push"]
    enabled: bool


class PreferenceIn(ObjectIn):
    channel: PreferenceChannelIn | None = None
    enabled: bool | None = None


class BrandingOut(Schema):
    color: str
    fontColor: str
    contentBackground: str
    fontFamily: str
    direction: str
    logo: str | None = None


class OrganizationOut(AliasedSchema):
    id: str = Field(alias="_id")
    name: str
    branding: BrandingOut
