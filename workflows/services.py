"""Writes of workflows, steps, groups and feeds.

Every service checks again what the views check: the environment must be writable and the
actor an admin or editor. Promotion is the only other path that writes these rows, and it lives
in ``changes``. Services run inside the environment's scope (the request's, or a command's).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from changes.documents import content_hash_refresh, content_stamp
from environments import policy
from environments.models import Environment
from environments.policy import Write
from environments.services import Conflict, save_or_refuse_clash
from workflows.links import cta_url_template_problem
from workflows.liquid import template_problem
from workflows.models import (
    DEFAULT_GROUP_NAME,
    TEMPLATE_FIELDS_BY_CHANNEL,
    Channel,
    Feed,
    Step,
    Workflow,
    WorkflowGroup,
)

WORKFLOW_FIELDS = (
    "name",
    "identifier",
    "description",
    "group",
    "tags",
    "active",
    "critical",
    "preference_defaults",
)
STEP_FIELDS = ("name", "active", "subject", "body", "cta_url", "feed", "layout")


def _refuse_foreign_references(*, environment: Environment, **references) -> None:
    """Content points only at content of its own environment (a group, a feed, a layout)."""
    for field_name, target in references.items():
        if target is not None and target.environment_id != environment.pk:
            raise ValidationError({field_name: f"Choose a {field_name} of {environment.name}."})


def _touch_workflow(workflow: Workflow, *, actor) -> None:
    """Steps are part of their workflow's document: a step edit is an edit of the workflow,
    and changes its content hash."""
    workflow.record_edit_by(actor)
    workflow.save(update_fields=["updated_by", "updated_at"])
    content_hash_refresh(entity=workflow)


def _saved(entity):
    """Every content write ends here: the row's content hash follows its document."""
    content_hash_refresh(entity=entity)
    return entity


def step_template_errors(*, channel: str, values: dict[str, Any]) -> dict[str, str]:
    """``{field: "Line n: message"}`` for each Liquid field of ``channel`` that does not parse,
    and ``{"cta_url": message}`` for a call-to-action that can only make an unsafe link."""
    errors = {}
    for field_name, html in TEMPLATE_FIELDS_BY_CHANNEL[channel]:
        source = values.get(field_name) or ""
        problem = template_problem(source, html=html)
        if problem is not None:
            errors[field_name] = str(problem)
        elif field_name == "cta_url" and (url_problem := cta_url_template_problem(source)):
            errors[field_name] = url_problem
    return errors


# Default group -------------------------------------------------------------------------------


@transaction.atomic
def default_workflow_group_create(*, environments: Iterable[Environment]) -> list[WorkflowGroup]:
    """Give each environment the "General" group, with one shared ``origin_id``.

    Used when an organization is provisioned. The copies share their origin, so the Changes page
    sees the same group on both sides and reports nothing. Provisioning writes to read-only
    environments too: it creates the starting state that promotion then maintains.
    """
    environments = list(environments)
    existing = (
        WorkflowGroup.unscoped_across_environments.filter(
            environment__in=environments, name=DEFAULT_GROUP_NAME
        )
        .values_list("origin_id", flat=True)
        .first()
    )
    origin_id = existing or uuid.uuid4()
    groups = []
    for environment in environments:
        group, _ = WorkflowGroup.unscoped_across_environments.get_or_create(
            environment=environment,
            name=DEFAULT_GROUP_NAME,
            defaults={"origin_id": origin_id},
        )
        groups.append(_saved(group))
    return groups


# Groups --------------------------------------------------------------------------------------


def _refuse_duplicate(model, *, field: str, value: str, exclude_pk, environment, label: str):
    duplicates = model.objects.filter(**{field: value})
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise Conflict(
            {field: f"{environment.name} already has a {label} with the {field} “{value}”."}
        )


@transaction.atomic
def workflow_group_create(*, environment: Environment, name: str, actor) -> WorkflowGroup:
    policy.require(Write.CONTENT, environment=environment, actor=actor)
    _refuse_duplicate(
        WorkflowGroup,
        field="name",
        value=name,
        exclude_pk=None,
        environment=environment,
        label="group",
    )
    group = WorkflowGroup(environment=environment, name=name)
    group.record_edit_by(actor)
    return _saved(
        save_or_refuse_clash(group, field="name", message=f"The name “{name}” is already taken.")
    )


@transaction.atomic
def workflow_group_update(*, group: WorkflowGroup, name: str, actor) -> WorkflowGroup:
    policy.require(Write.CONTENT, environment=group.environment, actor=actor)
    if group.name == DEFAULT_GROUP_NAME and name != DEFAULT_GROUP_NAME:
        raise ValidationError({"name": "General is the default group; it keeps its name."})
    _refuse_duplicate(
        WorkflowGroup,
        field="name",
        value=name,
        exclude_pk=group.pk,
        environment=group.environment,
        label="group",
    )
    group.name = name
    group.record_edit_by(actor)
    return _saved(
        save_or_refuse_clash(group, field="name", message=f"The name “{name}” is already taken.")
    )


@transaction.atomic
def workflow_group_delete(*, group: WorkflowGroup, actor) -> None:
    """Delete an unused group. Refuses (ValidationError) the default group and any group that
    workflows still use, naming them."""
    policy.require(Write.CONTENT, environment=group.environment, actor=actor)
    if group.name == DEFAULT_GROUP_NAME:
        raise Conflict("General is the default group of every environment; keep it.")
    users = list(
        Workflow.objects.select_for_update()
        .filter(group=group)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if users:
        raise Conflict(
            f"“{group.name}” is still used by {_named_list(users)}. "
            "Move those workflows to another group first."
        )
    group.delete()
    content_stamp(environment_ids=[group.environment_id])


def _named_list(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


# Feeds ---------------------------------------------------------------------------------------


@transaction.atomic
def feed_create(*, environment: Environment, name: str, identifier: str, actor) -> Feed:
    policy.require(Write.CONTENT, environment=environment, actor=actor)
    _refuse_duplicate(
        Feed,
        field="identifier",
        value=identifier,
        exclude_pk=None,
        environment=environment,
        label="feed",
    )
    feed = Feed(environment=environment, name=name, identifier=identifier)
    feed.record_edit_by(actor)
    return _saved(
        save_or_refuse_clash(
            feed, field="identifier", message=f"The identifier “{identifier}” is already taken."
        )
    )


@transaction.atomic
def feed_update(*, feed: Feed, name: str, identifier: str, actor) -> Feed:
    policy.require(Write.CONTENT, environment=feed.environment, actor=actor)
    _refuse_duplicate(
        Feed,
        field="identifier",
        value=identifier,
        exclude_pk=feed.pk,
        environment=feed.environment,
        label="feed",
    )
    feed.name, feed.identifier = name, identifier
    feed.record_edit_by(actor)
    return _saved(
        save_or_refuse_clash(
            feed, field="identifier", message=f"The identifier “{identifier}” is already taken."
        )
    )


@transaction.atomic
def feed_delete(*, feed: Feed, actor) -> None:
    """Delete a feed that no in-app step uses; otherwise refuse, naming the workflows."""
    policy.require(Write.CONTENT, environment=feed.environment, actor=actor)
    users = sorted(
        set(
            Step.objects.filter(feed=feed)
            .select_related("workflow")
            .values_list("workflow__name", flat=True)
        )
    )
    if users:
        raise Conflict(
            f"“{feed.name}” is used by in-app steps of {_named_list(users)}. "
            "Point those steps at another feed first."
        )
    feed.delete()
    content_stamp(environment_ids=[feed.environment_id])


# Workflows -----------------------------------------------------------------------------------


def _save_workflow(workflow: Workflow) -> Workflow:
    return _saved(
        save_or_refuse_clash(
            workflow,
            field="identifier",
            message=f"The identifier “{workflow.identifier}” is already taken.",
        )
    )


@transaction.atomic
def workflow_create(
    *, environment: Environment, actor, steps: "list[StepContent] | None" = None, **fields
) -> Workflow:
    """Create a workflow from ``WORKFLOW_FIELDS``, with ``steps`` if given. The identifier must
    be unique in ``environment`` (``Conflict`` on ``identifier`` otherwise); invalid steps raise
    as ``workflow_steps_replace`` does, and nothing is saved."""
    policy.require(Write.CONTENT, environment=environment, actor=actor)
    unknown = set(fields) - set(WORKFLOW_FIELDS)
    if unknown:
        raise TypeError(f"Unknown workflow fields: {sorted(unknown)}")
    _refuse_foreign_references(environment=environment, group=fields.get("group"))
    _refuse_duplicate(
        Workflow,
        field="identifier",
        value=fields["identifier"],
        exclude_pk=None,
        environment=environment,
        label="workflow",
    )
    workflow = Workflow(environment=environment, **fields)
    workflow.record_edit_by(actor)
    _save_workflow(workflow)
    if steps is not None:
        workflow_steps_replace(workflow=workflow, steps=steps, actor=actor)
    return workflow


@transaction.atomic
def workflow_update(
    *, workflow: Workflow, actor, steps: "list[StepContent] | None" = None, **fields
) -> Workflow:
    """Save ``fields`` of ``workflow``; with ``steps``, its steps become exactly those."""
    policy.require(Write.CONTENT, environment=workflow.environment, actor=actor)
    unknown = set(fields) - set(WORKFLOW_FIELDS)
    if unknown:
        raise TypeError(f"Unknown workflow fields: {sorted(unknown)}")
    _refuse_foreign_references(environment=workflow.environment, group=fields.get("group"))
    if "identifier" in fields:
        _refuse_duplicate(
            Workflow,
            field="identifier",
            value=fields["identifier"],
            exclude_pk=workflow.pk,
            environment=workflow.environment,
            label="workflow",
        )
    for name, value in fields.items():
        setattr(workflow, name, value)
    workflow.record_edit_by(actor)
    _save_workflow(workflow)
    if steps is not None:
        workflow_steps_replace(workflow=workflow, steps=steps, actor=actor)
    return workflow


@transaction.atomic
def workflow_delete(*, workflow: Workflow, actor) -> None:
    policy.require(Write.CONTENT, environment=workflow.environment, actor=actor)
    workflow.delete()
    content_stamp(environment_ids=[workflow.environment_id])


# Steps ---------------------------------------------------------------------------------------


# What every step of a channel must have, as the editor's form requires it.
REQUIRED_STEP_FIELDS = {"name": "Give the step a name.", "body": "Give the step its content."}
REQUIRED_EMAIL_FIELDS = {"subject": "An email needs a subject."}


def _validate_step(*, environment: Environment, channel: str, values: dict[str, Any]) -> None:
    _refuse_foreign_references(
        environment=environment, feed=values.get("feed"), layout=values.get("layout")
    )
    required = {
        **REQUIRED_STEP_FIELDS,
        **(REQUIRED_EMAIL_FIELDS if channel == Channel.EMAIL else {}),
    }
    errors = {name: message for name, message in required.items() if not values.get(name)}
    errors.update(step_template_errors(channel=channel, values=values))
    if errors:
        raise ValidationError(errors)


def _channel_fields(channel: str, values: dict[str, Any]) -> dict[str, Any]:
    """Blank the fields a channel does not use, so a step never carries hidden content."""
    used = {"name", "active", "body"}
    if channel == Channel.EMAIL:
        used |= {"subject", "layout"}
    if channel == Channel.IN_APP:
        used |= {"cta_url", "feed"}
    blank = {"subject": "", "cta_url": "", "feed": None, "layout": None, "body": ""}
    return {name: (values.get(name) if name in used else blank[name]) for name in STEP_FIELDS}


@transaction.atomic
def step_create(*, workflow: Workflow, channel: str, actor, **values) -> Step:
    """Append a step. Raises ValidationError ``{field: "Line n: …"}`` on a template that does
    not parse, and saves nothing then."""
    policy.require(Write.CONTENT, environment=workflow.environment, actor=actor)
    if channel not in Channel.values:
        raise ValidationError({"channel": f"Unknown channel “{channel}”."})
    values = _channel_fields(channel, values)
    _validate_step(environment=workflow.environment, channel=channel, values=values)
    # Lock the workflow so two concurrent appends cannot take the same position.
    Workflow.objects.select_for_update().filter(pk=workflow.pk).exists()
    last = Step.objects.filter(workflow=workflow).aggregate(last=Max("position"))["last"]
    step = Step.objects.create(
        environment=workflow.environment,
        workflow=workflow,
        channel=channel,
        position=0 if last is None else last + 1,
        **values,
    )
    _touch_workflow(workflow, actor=actor)
    return step


@transaction.atomic
def step_update(*, step: Step, actor, **values) -> Step:
    """Save a step's content; like ``step_create``, nothing is saved if a template is invalid."""
    policy.require(Write.CONTENT, environment=step.environment, actor=actor)
    values = _channel_fields(step.channel, {**_current_step_values(step), **values})
    _validate_step(environment=step.environment, channel=step.channel, values=values)
    for name, value in values.items():
        setattr(step, name, value)
    step.save()
    _touch_workflow(step.workflow, actor=actor)
    return step


def _current_step_values(step: Step) -> dict[str, Any]:
    return {name: getattr(step, name) for name in STEP_FIELDS}


def _new_step_values() -> dict[str, Any]:
    return {name: Step._meta.get_field(name).get_default() for name in STEP_FIELDS}


def _renumber(workflow: Workflow, ordered: list[Step]) -> None:
    for position, step in enumerate(ordered):
        if step.position != position:
            step.position = position
            step.save(update_fields=["position"])


@transaction.atomic
def step_move(*, step: Step, direction: str, actor) -> Step:
    """Move a step one place ``"up"`` or ``"down"``; at either end it stays where it is."""
    policy.require(Write.CONTENT, environment=step.environment, actor=actor)
    if direction not in ("up", "down"):
        raise ValidationError(f"Unknown direction “{direction}”.")
    ordered = list(
        Step.objects.select_for_update()
        .filter(workflow_id=step.workflow_id)
        .order_by("position", "pk")
    )
    index = next(i for i, candidate in enumerate(ordered) if candidate.pk == step.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(step.workflow, ordered)
        _touch_workflow(step.workflow, actor=actor)
    return next(candidate for candidate in ordered if candidate.pk == step.pk)


@transaction.atomic
def step_delete(*, step: Step, actor) -> None:
    policy.require(Write.CONTENT, environment=step.environment, actor=actor)
    workflow = step.workflow
    step.delete()
    ordered = Step.objects.select_for_update().filter(workflow=workflow).order_by("position", "pk")
    _renumber(workflow, list(ordered))
    _touch_workflow(workflow, actor=actor)


@dataclass(frozen=True)
class StepContent:
    """One step of a whole-workflow write (the API's ``steps[]``).

    ``values`` holds ``STEP_FIELDS`` (missing ones keep the step's current value, or are blank
    for a new step). ``public_id`` names a step of the workflow to keep; None adds a step.
    """

    channel: str
    values: dict[str, Any]
    public_id: uuid.UUID | None = None


@transaction.atomic
def workflow_steps_replace(*, workflow: Workflow, steps: list[StepContent], actor) -> list[Step]:
    """Make ``workflow``'s steps exactly ``steps``, in that order: listed steps are kept and
    updated, new ones added, unlisted ones deleted.

    Each step is validated as ``step_create`` and ``step_update`` validate it. Every problem is
    raised at once, as a ValidationError keyed ``steps[i].<field>`` (``steps[i].body``:
    "Line 2: …"), and nothing is saved then. A kept step keeps its channel.
    """
    policy.require(Write.CONTENT, environment=workflow.environment, actor=actor)
    Workflow.objects.select_for_update().filter(pk=workflow.pk).exists()
    existing = {step.public_id: step for step in Step.objects.filter(workflow=workflow)}
    errors: dict[str, list[str]] = {}
    planned: list[tuple[Step | None, str, dict[str, Any]]] = []
    listed: set[uuid.UUID] = set()
    for index, content in enumerate(steps):
        where = f"steps[{index}]"
        step = existing.get(content.public_id) if content.public_id is not None else None
        if content.public_id is not None and (step is None or content.public_id in listed):
            errors[f"{where}.public_id"] = [
                f"“{workflow.name}” has no step with the id {content.public_id}."
                if step is None
                else "This step is listed twice."
            ]
            continue
        if step is not None:
            listed.add(step.public_id)
            if content.channel != step.channel:
                errors[f"{where}.channel"] = [
                    f"A step keeps its channel ({step.get_channel_display()}): remove it and "
                    "add a new step instead."
                ]
                continue
        elif content.channel not in Channel.values:
            errors[f"{where}.channel"] = [f"Unknown channel “{content.channel}”."]
            continue
        current = _current_step_values(step) if step is not None else _new_step_values()
        values = _channel_fields(content.channel, {**current, **content.values})
        try:
            _validate_step(environment=workflow.environment, channel=content.channel, values=values)
        except ValidationError as invalid:
            for field_name, messages in invalid.message_dict.items():
                errors[f"{where}.{field_name}"] = messages
            continue
        planned.append((step, content.channel, values))
    if errors:
        raise ValidationError(errors)
    kept = [step.pk for step, _channel, _values in planned if step is not None]
    Step.objects.filter(workflow=workflow).exclude(pk__in=kept).delete()
    saved = []
    for position, (step, channel, values) in enumerate(planned):
        if step is None:
            step = Step(environment=workflow.environment, workflow=workflow, channel=channel)
        for name, value in values.items():
            setattr(step, name, value)
        step.position = position
        step.save()
        saved.append(step)
    _touch_workflow(workflow, actor=actor)
    return saved
