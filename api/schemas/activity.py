"""Bodies and responses of triggers, messages, notifications and execution details, in Novu's
shapes. Fields named ``_id``, ``_notificationId``… are declared with aliases (pydantic keeps
leading underscores for private attributes); the routes answer ``by_alias``."""

from datetime import datetime
from typing import Annotated, Any, Literal, get_origin

from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import Field

from activity.models import TRANSACTION_ID_MAX_LENGTH, WORKFLOW_IDENTIFIER_MAX_LENGTH
from activity.selectors import FILTER_VALUES_MAX, GRAPH_DAYS_MAX
from activity.triggers import EVENTS_PER_BULK_MAX, RECIPIENTS_MAX
from api.schemas.common import AliasedSchema, Error, PageQuery
from subscribers.models import (
    AVATAR_MAX_LENGTH,
    LOCALE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    SUBSCRIBER_ID_MAX_LENGTH,
    TOPIC_KEY_MAX_LENGTH,
)
from workflows.models import Channel

ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]


def refuse_repeated(request, query: type[Schema]) -> None:
    """400 for a single-valued parameter of ``query`` given more than once: which one was
    meant is anyone's guess (ninja would take the last)."""
    for name, field in query.model_fields.items():
        if get_origin(field.annotation) is not list and len(request.GET.getlist(name)) > 1:
            raise ValidationError({name: "Send this parameter once."})


# Triggers -------------------------------------------------------------------------------------


class RecipientIn(Schema):
    """A subscriber (``subscriberId`` and optional profile fields, which create or update it),
    or a topic (``{"type": "Topic", "topicKey": ...}``)."""

    type: Literal["Subscriber", "Topic"] | None = None
    subscriberId: str | None = Field(None, max_length=SUBSCRIBER_ID_MAX_LENGTH)
    topicKey: str | None = Field(None, max_length=TOPIC_KEY_MAX_LENGTH)
    email: str | None = Field(None, max_length=254)
    firstName: str | None = Field(None, max_length=NAME_MAX_LENGTH)
    lastName: str | None = Field(None, max_length=NAME_MAX_LENGTH)
    phone: str | None = Field(None, max_length=PHONE_MAX_LENGTH)
    avatar: str | None = Field(None, max_length=AVATAR_MAX_LENGTH)
    locale: str | None = Field(None, max_length=LOCALE_MAX_LENGTH)
    data: dict[str, Any] | None = None


Recipients = Annotated[list[str | RecipientIn], Field(min_length=1, max_length=RECIPIENTS_MAX)]


class TriggerIn(Schema):
    name: str = Field(
        min_length=1,
        max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH,
        description="The workflow's trigger identifier.",
    )
    to: str | RecipientIn | Recipients = Field(
        description=f"A subscriberId, a subscriber, a topic, or a list of at most "
        f"{RECIPIENTS_MAX} of these. Topics reach all their subscribers."
    )
    payload: dict[str, Any] | None = Field(
        None, description="Variables for the templates: a JSON object of at most 64 KB."
    )
    overrides: dict[str, Any] | None = None
    transactionId: str | None = Field(
        None,
        min_length=1,
        max_length=TRANSACTION_ID_MAX_LENGTH,
        description="Unique in the environment: a repeated one is refused (409).",
    )
    actor: str | RecipientIn | None = Field(
        None, description="The subscriber the notification is from."
    )


class BroadcastIn(Schema):
    name: str = Field(min_length=1, max_length=WORKFLOW_IDENTIFIER_MAX_LENGTH)
    payload: dict[str, Any] | None = None
    overrides: dict[str, Any] | None = None
    transactionId: str | None = Field(None, min_length=1, max_length=TRANSACTION_ID_MAX_LENGTH)
    actor: str | RecipientIn | None = None


class BulkTriggerIn(Schema):
    events: list[TriggerIn] = Field(min_length=1, max_length=EVENTS_PER_BULK_MAX)


class TriggerAck(Schema):
    acknowledged: bool
    status: str = Field(
        description="processed; trigger_not_active or error when a bulk event was refused."
    )
    transactionId: str
    error: list[str] | None = None


class TriggerNotActiveError(Error):
    status: Literal["trigger_not_active"]


# Messages -------------------------------------------------------------------------------------


class MessageQuery(PageQuery):
    subscriberId: str | None = Field(None, max_length=SUBSCRIBER_ID_MAX_LENGTH)
    channel: ChannelName | None = None
    transactionId: str | None = Field(None, max_length=TRANSACTION_ID_MAX_LENGTH)


class MessageCtaOut(Schema):
    type: str | None = None
    data: dict[str, Any] = {}


class MessageOut(AliasedSchema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    notificationId: str = Field(alias="_notificationId")
    subscriberId_: str = Field(alias="_subscriberId", description="The subscriber's _id.")
    templateId: str = Field(alias="_templateId")
    jobId: str = Field(alias="_jobId")
    feedId: str | None = Field(None, alias="_feedId")
    subscriberId: str
    templateIdentifier: str
    transactionId: str
    channel: ChannelName
    subject: str | None = None
    content: str
    cta: MessageCtaOut
    payload: dict[str, Any]
    seen: bool
    read: bool
    lastSeenDate: datetime | None = None
    lastReadDate: datetime | None = None
    status: str
    providerId: str | None = None
    errorText: str | None = None
    deleted: bool = False
    createdAt: datetime
    updatedAt: datetime


class MessagePage(Schema):
    """A page of messages. No ``totalCount``: the table is not counted (and a null one breaks
    the novu SDK's ``stream()``)."""

    page: int
    pageSize: int
    hasMore: bool
    data: list[MessageOut]


class MessageDeleted(Schema):
    acknowledged: bool
    status: Literal["deleted"]


# Execution details ------------------------------------------------------------------------


class ExecutionDetailsQuery(Schema):
    notificationId: str = Field(max_length=64)
    subscriberId: str | None = Field(None, max_length=SUBSCRIBER_ID_MAX_LENGTH)


class ExecutionDetailOut(AliasedSchema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    notificationId: str = Field(alias="_notificationId")
    notificationTemplateId: str = Field(alias="_notificationTemplateId")
    subscriberId: str = Field(alias="_subscriberId")
    jobId: str | None = Field(None, alias="_jobId")
    messageId: str | None = Field(None, alias="_messageId")
    transactionId: str
    channel: str = Field(description="The step's channel, or trigger.")
    status: Literal["Success", "Warning", "Failed", "Pending", "Queued"]
    source: Literal["Internal", "Payload", "Credentials", "Webhook"]
    detail: str
    raw: str | None = Field(None, description="JSON text.")
    providerId: str | None = None
    isTest: bool = False
    isRetry: bool
    createdAt: datetime
    updatedAt: datetime


# Notifications ----------------------------------------------------------------------------


FilterValues = Annotated[list[str], Field(max_length=FILTER_VALUES_MAX)]


class NotificationQuery(PageQuery):
    """Novu's clients send lists as repeated parameters, with or without ``[]``."""

    channels: Annotated[list[ChannelName], Field(max_length=len(Channel.values))] = []
    templates: FilterValues = Field([], description="Workflow _ids or trigger identifiers.")
    emails: FilterValues = []
    subscriberIds: FilterValues = []
    search: str | None = Field(None, max_length=200)
    transactionId: str | None = Field(None, max_length=TRANSACTION_ID_MAX_LENGTH)


class TriggerOut(Schema):
    type: Literal["event"]
    identifier: str
    variables: list[dict[str, str]] = []


class NotificationWorkflowOut(AliasedSchema):
    id: str = Field(alias="_id")
    name: str
    triggers: list[TriggerOut]


class NotificationSubscriberOut(AliasedSchema):
    id: str = Field(alias="_id")
    subscriberId: str
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    phone: str | None = None


class JobTemplateOut(Schema):
    type: ChannelName


class JobStepOut(AliasedSchema):
    id: str = Field(alias="_id", description="The step's origin id.")
    name: str
    filters: list[Any] = []
    template: JobTemplateOut


class JobOut(AliasedSchema):
    id: str = Field(alias="_id")
    notificationId: str = Field(alias="_notificationId")
    type: ChannelName
    status: Literal["pending", "running", "completed", "skipped", "failed", "canceled"]
    providerId: str | None = None
    step: JobStepOut
    executionDetails: list[ExecutionDetailOut]
    payload: dict[str, Any]
    createdAt: datetime
    updatedAt: datetime


class NotificationOut(AliasedSchema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    templateId: str = Field(alias="_templateId")
    subscriberId: str = Field(alias="_subscriberId")
    transactionId: str
    channels: list[ChannelName]
    status: Literal["pending", "completed", "failed", "canceled"]
    template: NotificationWorkflowOut
    subscriber: NotificationSubscriberOut
    jobs: list[JobOut]
    createdAt: datetime
    updatedAt: datetime


class NotificationPage(Schema):
    page: int
    pageSize: int
    hasMore: bool
    data: list[NotificationOut]


class NotificationStats(Schema):
    weeklySent: int
    monthlySent: int


class GraphQuery(Schema):
    days: int = Field(32, ge=1, le=GRAPH_DAYS_MAX)


class GraphDayOut(AliasedSchema):
    id: str = Field(alias="_id", description="The day, YYYY-MM-DD (UTC).")
    count: int
    templates: list[str]
    channels: list[ChannelName]
