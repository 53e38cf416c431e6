"""``/v1/notification-templates``: workflows with their steps, through the dashboard's services.

A write validates steps exactly as the editor does (``workflows.services``): a template that
does not parse is a 400 naming ``steps[i].template.content`` and the line. ``steps`` given on an
update replaces the workflow's steps: a step listed with its ``_id`` is kept and updated, one
without is added, an unlisted one is removed.
"""

from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from ninja import Query, Schema, Status
from ninja.decorators import decorate_view
from pydantic import AliasChoices, Field

from api.api import key_router
from api.authentication import key_may
from api.errors import fields_named, found_or_404, referenced_or_400, renamer
from api.pagination import page_of
from api.schemas.common import (
    ADMISSION_ERRORS,
    SLUG_OR_EMPTY,
    CountedPage,
    Envelope,
    Error,
    InputSchema,
    PageQuery,
    bounded_text,
    text_of,
)
from branding.selectors import layout_get_by_public_id
from environments.policy import Write
from workflows import services
from workflows.models import Channel, Step, Workflow, default_preferences
from workflows.previews import step_variables
from workflows.selectors import (
    default_workflow_group,
    feed_get_by_public_id,
    workflow_get_by_public_id,
    workflow_group_get_by_public_id,
    workflows_with_steps,
)
from workflows.services import StepContent

router = key_router(tags=["Notification templates"])

MAX_STEPS = 50
MAX_TAGS = 50

# Service fields in the API's words, so a 400 names what the client sent.
FIELD_NAMES = renamer(
    {"group": "notificationGroupId", "preference_defaults": "preferenceSettings"},
    steps={
        "public_id": "_id",
        "channel": "template.type",
        "name": "template.name",
        "subject": "template.subject",
        "body": "template.content",
        "cta_url": "template.cta.data.url",
        "feed": "template._feedId",
        "layout": "template._layoutId",
    },
)


# Input -------------------------------------------------------------------------------------


class CtaDataIn(InputSchema):
    url: text_of(Step, "cta_url") | None = None


class CtaIn(InputSchema):
    type: Literal["redirect"] = "redirect"
    data: CtaDataIn | None = None


class StepTemplateIn(InputSchema):
    type: Literal["in_app", "email", "chat", "sms"] = Field(
        description="The channel. Herald sends in-app, email, chat and SMS."
    )
    content: bounded_text(Step._meta.get_field("body").max_length) | None = Field(
        None,
        description="Liquid: the in-app body, the email HTML, or the chat/SMS text. Required "
        "for a new step; left out, a kept step keeps its content.",
    )
    subject: text_of(Step, "subject") | None = None
    name: text_of(Step, "name") | None = None
    cta: CtaIn | None = None
    feedId: str | None = Field(None, validation_alias=AliasChoices("_feedId", "feedId"))
    layoutId: str | None = Field(None, validation_alias=AliasChoices("_layoutId", "layoutId"))


class StepIn(InputSchema):
    id: str | None = Field(None, alias="_id", description="A step to keep; none adds a step.")
    name: text_of(Step, "name") | None = None
    active: bool | None = None
    template: StepTemplateIn


class PreferenceSettings(InputSchema):
    email: bool | None = None
    sms: bool | None = None
    in_app: bool | None = None
    chat: bool | None = None
    push: bool | None = None


Tag = text_of(Workflow, "name", required=True)
Description = bounded_text(Workflow._meta.get_field("description").max_length)


class WorkflowUpdate(InputSchema):
    """PUT: fields left out (or null) keep their value; ``steps`` replaces the steps."""

    name: text_of(Workflow, "name", required=True) | None = None
    identifier: text_of(Workflow, "identifier", pattern=SLUG_OR_EMPTY) | None = Field(
        None, description="The trigger identifier; derived from the name on create."
    )
    notificationGroupId: str | None = None
    description: Description | None = None
    tags: list[Tag] | None = Field(None, max_length=MAX_TAGS)
    active: bool | None = None
    critical: bool | None = None
    preferenceSettings: PreferenceSettings | None = None
    steps: list[StepIn] | None = Field(None, max_length=MAX_STEPS)


class WorkflowCreate(WorkflowUpdate):
    name: text_of(Workflow, "name", required=True)
    notificationGroupId: str | None = Field(
        None, description="The group's `_id`; the environment's General group when left out."
    )


# Output ------------------------------------------------------------------------------------


class NamedVariable(Schema):
    name: str


class Trigger(Schema):
    type: str
    identifier: str
    variables: list[NamedVariable]
    subscriberVariables: list[NamedVariable]


class CtaDataOut(Schema):
    url: str


class CtaOut(Schema):
    type: str
    data: CtaDataOut


class StepTemplateOut(Schema):
    id: str = Field(alias="_id")
    type: str
    name: str
    content: str
    subject: str | None = None
    cta: CtaOut | None = None
    feedId: str | None = Field(None, alias="_feedId")
    layoutId: str | None = Field(None, alias="_layoutId")

    model_config = {"populate_by_name": True}


class StepOut(Schema):
    id: str = Field(alias="_id")
    templateId: str = Field(alias="_templateId")
    name: str
    active: bool
    template: StepTemplateOut

    model_config = {"populate_by_name": True}


class GroupRef(Schema):
    id: str = Field(alias="_id")
    name: str

    model_config = {"populate_by_name": True}


class PreferenceSettingsOut(Schema):
    email: bool
    sms: bool
    in_app: bool
    chat: bool
    push: bool


class WorkflowOut(Schema):
    id: str = Field(alias="_id")
    name: str
    description: str
    active: bool
    critical: bool
    draft: bool
    tags: list[str]
    notificationGroupId: str = Field(alias="_notificationGroupId")
    notificationGroup: GroupRef
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    preferenceSettings: PreferenceSettingsOut
    triggers: list[Trigger]
    steps: list[StepOut]
    createdAt: str
    updatedAt: str

    model_config = {"populate_by_name": True}


def _step_out(step: Step) -> dict:
    template = {
        "_id": str(step.public_id),
        "type": step.channel,
        "name": step.name,
        "content": step.body,
    }
    if step.channel == Channel.EMAIL:
        template["subject"] = step.subject
        template["_layoutId"] = str(step.layout.public_id) if step.layout else None
    if step.channel == Channel.IN_APP:
        template["cta"] = {"type": "redirect", "data": {"url": step.cta_url}}
        template["_feedId"] = str(step.feed.public_id) if step.feed else None
    return {
        "_id": str(step.public_id),
        "_templateId": str(step.public_id),
        "name": step.name,
        "active": step.active,
        "template": template,
    }


def _trigger(workflow: Workflow, steps: list[Step]) -> dict:
    """What a trigger of this workflow should send: every ``payload.…`` its templates read, and
    the ``subscriber.…`` fields they use (the editor's Liquid analysis)."""
    payload, subscriber = set(), set()
    for step in steps:
        for variable in step_variables(step):
            root, _, rest = variable.path.partition(".")
            if rest and root == "payload":
                payload.add(rest)
            elif rest and root == "subscriber":
                subscriber.add(rest)
    return {
        "type": "event",
        "identifier": workflow.identifier,
        "variables": [{"name": name} for name in sorted(payload)],
        "subscriberVariables": [{"name": name} for name in sorted(subscriber)],
    }


def workflow_out(workflow: Workflow, environment) -> dict:
    steps = list(workflow.steps.all())
    preferences = {**default_preferences(), **workflow.preference_defaults}
    return {
        "_id": str(workflow.public_id),
        "name": workflow.name,
        "description": workflow.description,
        "active": workflow.active,
        "critical": workflow.critical,
        "draft": False,
        "tags": list(workflow.tags),
        "_notificationGroupId": str(workflow.group.public_id),
        "notificationGroup": {"_id": str(workflow.group.public_id), "name": workflow.group.name},
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        # Herald has no push channel: push is always "on", as Novu's default.
        "preferenceSettings": {**preferences, "push": True},
        "triggers": [_trigger(workflow, steps)],
        "steps": [_step_out(step) for step in steps],
        "createdAt": workflow.created_at.isoformat(),
        "updatedAt": workflow.updated_at.isoformat(),
    }


# Parsing -----------------------------------------------------------------------------------


def _step_contents(steps: list[StepIn], environment) -> list[StepContent]:
    contents = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        template = step.template
        values = {}
        if template.content is not None:
            values["body"] = template.content
        name = template.name or step.name
        if name:
            values["name"] = name
        elif step.id is None:
            values["name"] = Channel(template.type).label
        if step.active is not None:
            values["active"] = step.active
        if template.subject is not None:
            values["subject"] = template.subject
        if template.cta is not None:
            values["cta_url"] = (template.cta.data.url if template.cta.data else None) or ""
        if template.feedId is not None:
            values["feed"] = _step_reference(
                feed_get_by_public_id,
                template.feedId,
                field=f"{where}.template._feedId",
                what="feed",
                environment=environment,
            )
        if template.layoutId is not None:
            values["layout"] = _step_reference(
                layout_get_by_public_id,
                template.layoutId,
                field=f"{where}.template._layoutId",
                what="layout",
                environment=environment,
            )
        contents.append(
            StepContent(
                channel=template.type,
                values=values,
                public_id=_step_public_id(step.id, where),
            )
        )
    return contents


def _step_reference(selector, given: str, **kwargs):
    """A feed or layout by its ``_id``; an empty one clears it."""
    return referenced_or_400(selector, given, **kwargs) if given else None


def _step_public_id(given: str | None, where: str) -> UUID | None:
    if not given:
        return None
    try:
        return UUID(given)
    except ValueError:
        raise ValidationError({f"{where}._id": f"“{given[:64]}” is not a step id."}) from None


def _workflow_fields(payload: WorkflowUpdate, environment, *, workflow: Workflow | None) -> dict:
    fields = {}
    for name in ("name", "description", "tags", "active", "critical"):
        value = getattr(payload, name)
        if value is not None:
            fields[name] = value
    if payload.tags is not None:
        fields["tags"] = list(dict.fromkeys(payload.tags))
    if payload.identifier:
        fields["identifier"] = payload.identifier
    elif workflow is None:
        fields["identifier"] = slugify(payload.name)
        if not fields["identifier"]:
            raise ValidationError(
                {"name": "Give the workflow a name with letters or digits, or an identifier."}
            )
    if payload.notificationGroupId:
        fields["group"] = referenced_or_400(
            workflow_group_get_by_public_id,
            payload.notificationGroupId,
            field="notificationGroupId",
            what="notification group",
            environment=environment,
        )
    elif workflow is None:
        fields["group"] = default_workflow_group()
        if fields["group"] is None:
            raise ValidationError(
                {"notificationGroupId": f"{environment.name} has no General group: choose one."}
            )
    if payload.preferenceSettings is not None:
        current = workflow.preference_defaults if workflow else default_preferences()
        given = payload.preferenceSettings.model_dump(exclude_none=True)
        fields["preference_defaults"] = {
            channel: given.get(channel, current.get(channel, True)) for channel in Channel.values
        }
    return fields


def _workflow(request, workflow_id: str) -> Workflow:
    return found_or_404(
        workflow_get_by_public_id,
        workflow_id,
        what="notification template",
        environment=request.environment,
    )


# Routes ------------------------------------------------------------------------------------


@router.get(
    "", response={200: CountedPage[WorkflowOut], 400: Error, **ADMISSION_ERRORS}, by_alias=True
)
def notification_template_list(request, query: Query[PageQuery]):
    return page_of(
        workflows_with_steps(),
        page=query.page,
        limit=query.limit,
        serialize=lambda workflow: workflow_out(workflow, request.environment),
    )


@router.post(
    "",
    response={201: Envelope[WorkflowOut], 400: Error, 403: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_template_create(request, payload: WorkflowCreate):
    environment = request.environment
    with fields_named(FIELD_NAMES):
        workflow = services.workflow_create(
            environment=environment,
            actor=request.api_key,
            steps=_step_contents(payload.steps or [], environment),
            **_workflow_fields(payload, environment, workflow=None),
        )
    created = workflow_get_by_public_id(public_id=workflow.public_id)
    return Status(201, {"data": workflow_out(created, environment)})


@router.get(
    "/{workflow_id}",
    response={200: Envelope[WorkflowOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
def notification_template_get(request, workflow_id: str):
    return {"data": workflow_out(_workflow(request, workflow_id), request.environment)}


@router.put(
    "/{workflow_id}",
    response={
        200: Envelope[WorkflowOut],
        400: Error,
        403: Error,
        404: Error,
        409: Error,
        **ADMISSION_ERRORS,
    },
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_template_update(request, workflow_id: str, payload: WorkflowUpdate):
    environment = request.environment
    workflow = _workflow(request, workflow_id)
    with fields_named(FIELD_NAMES):
        services.workflow_update(
            workflow=workflow,
            actor=request.api_key,
            steps=None if payload.steps is None else _step_contents(payload.steps, environment),
            **_workflow_fields(payload, environment, workflow=workflow),
        )
    updated = workflow_get_by_public_id(public_id=workflow.public_id)
    return {"data": workflow_out(updated, environment)}


@router.delete(
    "/{workflow_id}",
    response={200: Envelope[bool], 403: Error, 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_template_delete(request, workflow_id: str):
    services.workflow_delete(workflow=_workflow(request, workflow_id), actor=request.api_key)
    return {"data": True}
