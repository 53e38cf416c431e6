"""``/v1/notification-groups``: workflow groups, through the dashboard's services."""

from ninja import Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from api.api import key_router
from api.authentication import key_may
from api.errors import found_or_404
from api.schemas.common import (
    ADMISSION_ERRORS,
    DELETED,
    Deleted,
    Envelope,
    Error,
    InputSchema,
    text_of,
)
from environments.policy import Write
from workflows import services
from workflows.models import WorkflowGroup
from workflows.selectors import workflow_group_get_by_public_id, workflow_group_list

router = key_router(tags=["Notification groups"])

GroupName = text_of(WorkflowGroup, "name", required=True)


class GroupIn(InputSchema):
    name: GroupName


class GroupOut(Schema):
    id: str = Field(alias="_id")
    name: str
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    createdAt: str
    updatedAt: str

    model_config = {"populate_by_name": True}


def group_out(group: WorkflowGroup, environment) -> dict:
    return {
        "_id": str(group.public_id),
        "name": group.name,
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "createdAt": group.created_at.isoformat(),
        "updatedAt": group.updated_at.isoformat(),
    }


def _group(request, group_id: str) -> WorkflowGroup:
    return found_or_404(
        workflow_group_get_by_public_id,
        group_id,
        what="notification group",
        environment=request.environment,
    )


@router.get("", response={200: Envelope[list[GroupOut]], **ADMISSION_ERRORS}, by_alias=True)
def notification_group_list(request):
    return {"data": [group_out(group, request.environment) for group in workflow_group_list()]}


@router.post(
    "",
    response={201: Envelope[GroupOut], 400: Error, 403: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_group_create(request, payload: GroupIn):
    group = services.workflow_group_create(
        environment=request.environment, name=payload.name, actor=request.api_key
    )
    return Status(201, {"data": group_out(group, request.environment)})


@router.get(
    "/{group_id}",
    response={200: Envelope[GroupOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
def notification_group_get(request, group_id: str):
    return {"data": group_out(_group(request, group_id), request.environment)}


@router.patch(
    "/{group_id}",
    response={
        200: Envelope[GroupOut],
        400: Error,
        403: Error,
        404: Error,
        409: Error,
        **ADMISSION_ERRORS,
    },
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_group_update(request, group_id: str, payload: GroupIn):
    group = services.workflow_group_update(
        group=_group(request, group_id), name=payload.name, actor=request.api_key
    )
    return {"data": group_out(group, request.environment)}


@router.delete(
    "/{group_id}",
    response={200: Envelope[Deleted], 403: Error, 404: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def notification_group_delete(request, group_id: str):
    """Refused (409) for the default group "General" and for a group workflows still use."""
    services.workflow_group_delete(group=_group(request, group_id), actor=request.api_key)
    return {"data": DELETED}
